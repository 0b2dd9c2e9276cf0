package dev.align4j.generate;

import dev.align4j.models.CausalLM;
import dev.align4j.models.KvCache;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.StepBuffers;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.DecodePanels;
import dev.align4j.tensor.kernels.Parallel;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The generation engine: token ids in, completions with per-token log-probs out.
 *
 * <p>What it is: continuous batching over a {@link KvCache}, as vLLM's scheduler and nanochat's
 * {@code engine.py} do it. Requests wait in a queue ({@link #submit}); each {@link #step} (1) admits
 * waiting requests while the running sequences leave room ({@code maxSequences}), prefilling their
 * prompts together in one packed batch; a request's n completions share its prefill (the prompt's
 * cache slot is forked n − 1 times) and each samples its first token from the prompt's last logits;
 * then (2) runs one decode step for every running sequence — one new token each, at the position
 * continuing its cache — and samples the next tokens. A completion leaves as soon as it generates a
 * stop token or its listener asks it to stop (finish "stop"), reaches max_new_tokens or fills the
 * model's context (finish "length"); its slot is freed and a waiting request joins at the next step,
 * without draining the batch. Each completion samples with its own random stream
 * ({@link SamplingParams#seed()} + its index), so its tokens do not depend on what else is in the
 * batch; the rows of one step are sampled in parallel, each from its own stream.
 *
 * <p>Live weights: every forward pass reads the model's trainable tensors as they are at that
 * moment, so a policy updated in place by its optimizer generates with its new weights at the next
 * call; nothing of them is copied or merged. The matrices that take no gradient when the
 * generator is made (a frozen model, or the base under LoRA adapters) are the exception: the
 * batched steps, and BF16 batch-1 steps, read them from a packed copy made on first use
 * ({@link DecodePanels}; float32 15-20% off a batch-32 step, frozen BF16 about half of the
 * layers' time, and a quarter off a BF16 batch-1 step), so they must not change
 * while this generator lives.
 *
 * <p>What it is not: a tokenizer or chat template user (STYLE rule 10: text sits above this class,
 * in {@code dev.align4j.generate.text}), or thread-safe ({@link GenerationService} owns one on its
 * own thread for concurrent callers); memory is not bounded beyond {@code maxSequences} slots.
 */
public final class Generator {

    /** Hears about one request's completions as they are generated. Called on the generating thread. */
    public interface Listener {
        /**
         * Completion {@code index} has sampled {@code token} (already part of it). Returning true ends
         * it here with finish "stop" — a stop string matched, or nobody is listening any more.
         */
        default boolean onToken(int index, int token) {
            return false;
        }

        /** Completion {@code index} has ended; called once per completion. */
        void onComplete(int index, Completion completion);

        /** The request was dropped because generation failed; no further calls follow. */
        default void onError(RuntimeException error) {}
    }

    /**
     * New tokens a sequence's cache holds before it grows: most requests end within them, and a
     * large max_new_tokens does not make every sequence zero (touch) a long buffer it may never fill.
     */
    static final int RESERVED_NEW_TOKENS = 256;

    /**
     * The packed copies of frozen matrices take at most the heap's size over this ({@link DecodePanels};
     * BF16 copies live outside the heap but count the same):
     * all of GPT-2 124M's (0.5 GB float32) under a 2 GB heap, while a base too big to copy whole (a 7B
     * BF16 model is 14 GB) packs what fits and leaves the heap its activations and KV cache.
     */
    static final int PANELS_SHARE_OF_HEAP = 4;

    private final CausalLM model;
    private final int maxSequences;
    private KvCache cache;
    private final DecodePanels panels; // the frozen matrices, packed for batched steps
    private final StepBuffers buffers = new StepBuffers(); // each forward pass's tensors' arrays, reused by the next (its logits are read before it)
    private final Deque<Admission> waiting = new ArrayDeque<>();
    private List<Sequence> running = new ArrayList<>();
    /** Each request's listener, in submission order, with its completions not yet ended. */
    private final Map<Listener, Integer> open = new LinkedHashMap<>();

    /** A generator running at most {@code maxSequences} sequences per decode step. */
    public Generator(CausalLM model, int maxSequences) {
        if (maxSequences < 1) throw new IllegalArgumentException("Generator: maxSequences must be >= 1, got " + maxSequences);
        this.model = model;
        this.maxSequences = maxSequences;
        this.cache = model.newKvCache();
        List<float[]> frozen = new ArrayList<>();
        List<MemorySegment> frozenBf16 = new ArrayList<>();
        for (Tensor t : model.parameters().values()) {
            if (t.rank() != 2 || t.requiresGrad() || t.is4Bit()) continue;
            if (t.isBf16()) frozenBf16.add(t.bf16Storage());
            else if (t.offset() == 0 && t.storage().length == t.numel()) frozen.add(t.storage());
        }
        this.panels = new DecodePanels(frozen, frozenBf16, Runtime.getRuntime().maxMemory() / PANELS_SHARE_OF_HEAP);
    }

    /** The model it generates from. */
    public CausalLM model() {
        return model;
    }

    /** The n completions of one prompt. */
    public List<Completion> generate(int[] promptIds, SamplingParams params) {
        return generate(List.of(new Request(promptIds, params))).getFirst();
    }

    /** The completions of every request, in request order, each request's n completions in index order. */
    public List<List<Completion>> generate(List<Request> requests) {
        for (int r = 0; r < requests.size(); r++) check("request " + r, requests.get(r));
        Completion[][] out = new Completion[requests.size()][];
        for (int r = 0; r < requests.size(); r++) {
            Completion[] mine = out[r] = new Completion[requests.get(r).params().n()];
            submit(requests.get(r), (index, completion) -> mine[index] = completion);
        }
        while (hasWork()) step();
        List<List<Completion>> result = new ArrayList<>();
        for (Completion[] c : out) result.add(List.of(c));
        return result;
    }

    /**
     * Queues a request; its completions are generated by the coming {@link #step}s and reported to
     * {@code listener}.
     *
     * @throws IllegalArgumentException when the prompt is empty, leaves no room in the model's
     *                                  context, or holds an id outside the vocabulary
     */
    public void submit(Request request, Listener listener) {
        check("request", request);
        waiting.add(new Admission(request, listener));
        open.merge(listener, request.params().n(), Integer::sum);
    }

    /** Whether requests wait or sequences run. */
    public boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    /** Sequences running now. */
    public int runningSequences() {
        return running.size();
    }

    /** Requests submitted and not yet admitted. */
    public int waitingRequests() {
        return waiting.size();
    }

    /**
     * One scheduling step: admit and prefill what fits, then decode one token for every running
     * sequence. A failure drops every request, waiting or running, telling each listener
     * ({@link Listener#onError}), and frees the cache: the generator stays usable.
     */
    public void step() {
        try (var g = Autograd.noGrad()) {
            List<Admission> admitted = new ArrayList<>();
            int planned = running.size();
            while (!waiting.isEmpty() && (planned == 0 || planned + waiting.peek().request.params().n() <= maxSequences)) {
                Admission a = waiting.poll();
                admitted.add(a);
                planned += a.request.params().n();
            }
            if (!admitted.isEmpty()) prefill(admitted);
            if (!running.isEmpty()) decode();
        } catch (RuntimeException | OutOfMemoryError e) {
            RuntimeException error = e instanceof RuntimeException re ? re : new IllegalStateException("generation failed: " + e, e);
            abort(error);
            throw error;
        }
    }

    /**
     * Drops every request, waiting, being prefilled or running, with a fresh cache, and tells each
     * request's listener {@link Listener#onError} once.
     */
    public void abort(RuntimeException error) {
        List<Listener> dropped = List.copyOf(open.keySet());
        open.clear();
        waiting.clear();
        running = new ArrayList<>();
        cache = model.newKvCache();
        for (Listener l : dropped) {
            try {
                l.onError(error);
            } catch (RuntimeException e) {
                if (e != error) error.addSuppressed(e);
            }
        }
    }

    /** One packed forward pass over the admitted prompts; then every completion's first token. */
    private void prefill(List<Admission> admitted) {
        List<int[]> prompts = new ArrayList<>();
        int[] slots = new int[admitted.size()], capacity = new int[admitted.size()];
        for (int i = 0; i < slots.length; i++) {
            Request r = admitted.get(i).request;
            prompts.add(r.promptIds());
            capacity[i] = Math.min(model.contextLength(), r.promptIds().length + Math.min(r.params().maxNewTokens(), RESERVED_NEW_TOKENS));
            slots[i] = cache.allocate(capacity[i]);
        }
        float[] logits; // (P, V)
        try (var open = panels.open(); var step = buffers.open()) {
            logits = logitsArray(model.logits(PackedBatch.of(prompts), cache, slots));
        }
        List<Sequence> fresh = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < slots.length; i++) {
            Admission a = admitted.get(i);
            SamplingParams params = a.request.params();
            for (int c = 0; c < params.n(); c++) {
                fresh.add(new Sequence(a.listener, c, c == 0 ? slots[i] : cache.fork(slots[i], capacity[i]), prompts.get(i), params));
                rows.add(i);
            }
        }
        sampleAndAdvance(fresh, logits, rows.stream().mapToInt(Integer::intValue).toArray());
    }

    /** One token for each running sequence, in one packed forward pass. */
    private void decode() {
        List<Sequence> batch = running;
        int b = batch.size();
        int[] tokens = new int[b], positions = new int[b], slots = new int[b], ones = new int[b], rows = new int[b];
        for (int i = 0; i < b; i++) {
            Sequence s = batch.get(i);
            tokens[i] = s.tokens[s.generated - 1];
            positions[i] = cache.length(s.slot);
            slots[i] = s.slot;
            ones[i] = 1;
            rows[i] = i;
        }
        float[] logits;
        try (var open = panels.open(); var step = buffers.open()) {
            logits = logitsArray(model.logits(new PackedBatch(tokens, positions, PackedSegments.ofLengths(ones)), cache, slots));
        }
        running = new ArrayList<>();
        sampleAndAdvance(batch, logits, rows);
    }

    /** The logits' rows as one array: the tensor's own storage when it holds exactly them (no 6 MB copy a batch-32 step). */
    private static float[] logitsArray(Tensor logits) {
        return logits.offset() == 0 && logits.storage().length == logits.numel() ? logits.storage() : logits.toArray();
    }

    /**
     * Samples each sequence's next token from its logits row ({@code rows[i]} of {@code logits}),
     * the rows in parallel; then, in order, appends each token and keeps the sequence running or
     * finishes it.
     */
    private void sampleAndAdvance(List<Sequence> batch, float[] logits, int[] rows) {
        int vocab = model.vocabSize();
        Sampler.Sampled[] next = new Sampler.Sampled[batch.size()];
        Parallel.forRange(batch.size(), 1, (start, end) -> {
            for (int i = start; i < end; i++) {
                Sequence s = batch.get(i);
                next[i] = Sampler.sample(logits, rows[i] * vocab, vocab, s.params, s.seen, s.rng);
            }
        });
        for (int i = 0; i < next.length; i++) {
            Sequence s = batch.get(i);
            s.add(next[i]);
            boolean stop = s.params.isStop(next[i].token()) | s.listener.onToken(s.index, next[i].token());
            Completion.FinishReason reason = stop ? Completion.FinishReason.STOP
                    : s.generated == s.params.maxNewTokens() || s.promptLength + s.generated >= model.contextLength()
                    ? Completion.FinishReason.LENGTH : null;
            if (reason == null) {
                running.add(s);
            } else {
                cache.free(s.slot);
                if (open.merge(s.listener, -1, Integer::sum) == 0) open.remove(s.listener);
                s.listener.onComplete(s.index, s.completion(reason));
            }
        }
    }

    /**
     * Checks a request against the model: a non-empty prompt of ids in the vocabulary, short enough
     * to leave room for one new token. Reads only the model's sizes, so any thread may call it.
     *
     * @throws IllegalArgumentException naming {@code what} and the fault
     */
    public void check(String what, Request request) {
        int[] prompt = request.promptIds();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("Generator: " + what + " has an empty prompt; start it with at least one token (e.g. BOS)");
        }
        if (prompt.length >= model.contextLength()) {
            throw new IllegalArgumentException("Generator: " + what + " has a prompt of " + prompt.length
                    + " tokens, but the model's context is " + model.contextLength() + " tokens and must leave room for at "
                    + "least one new token; shorten the prompt or truncate it from the left");
        }
        for (int t = 0; t < prompt.length; t++) {
            if (prompt[t] < 0 || prompt[t] >= model.vocabSize()) {
                throw new IllegalArgumentException("Generator: " + what + " has token id " + prompt[t] + " at position " + t
                        + ", outside the model's vocabulary of " + model.vocabSize());
            }
        }
    }

    private record Admission(Request request, Listener listener) {}

    /** A completion being generated. */
    private static final class Sequence {
        final Listener listener;
        final int index, slot, promptLength;
        final SamplingParams params;
        final SplittableRandom rng;
        final BitSet seen = new BitSet(); // ids in the prompt and the completion so far, for the repetition penalty
        int[] tokens = new int[16];
        float[] logprobs = new float[16], rawLogprobs = new float[16];
        int generated;

        Sequence(Listener listener, int index, int slot, int[] prompt, SamplingParams params) {
            this.listener = listener;
            this.index = index;
            this.slot = slot;
            this.promptLength = prompt.length;
            this.params = params;
            this.rng = new SplittableRandom(params.seed() + index);
            for (int t : prompt) seen.set(t);
        }

        void add(Sampler.Sampled next) {
            if (generated == tokens.length) {
                tokens = Arrays.copyOf(tokens, 2 * generated);
                logprobs = Arrays.copyOf(logprobs, 2 * generated);
                rawLogprobs = Arrays.copyOf(rawLogprobs, 2 * generated);
            }
            tokens[generated] = next.token();
            logprobs[generated] = (float) next.logprob();
            rawLogprobs[generated] = (float) next.rawLogprob();
            generated++;
            seen.set(next.token());
        }

        Completion completion(Completion.FinishReason reason) {
            return new Completion(Arrays.copyOf(tokens, generated), Arrays.copyOf(logprobs, generated),
                    Arrays.copyOf(rawLogprobs, generated), reason);
        }
    }
}
