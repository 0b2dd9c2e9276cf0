package dev.align4j.generate;

import dev.align4j.models.CausalLM;
import dev.align4j.models.KvCache;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.PackedSegments;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The generation engine: token ids in, completions with per-token log-probs out.
 *
 * <p>What it is: continuous batching over a {@link KvCache}, as vLLM's scheduler and nanochat's
 * {@code engine.py} do it. Each step (1) admits waiting requests while the running sequences leave
 * room ({@code maxSequences}), prefilling their prompts together in one packed batch; a request's
 * n completions share its prefill (the prompt's cache slot is forked n − 1 times) and each samples
 * its first token from the prompt's last logits; then (2) runs one decode step for every running
 * sequence — one new token each, at the position continuing its cache — and samples the next
 * tokens. A completion leaves as soon as it generates a stop token (finish "stop"), reaches
 * max_new_tokens or fills the model's context (finish "length"); its slot is freed and a waiting
 * request joins at the next step, without draining the batch. Each completion samples with its own
 * random stream ({@link SamplingParams#seed()} + its index), so its tokens do not depend on what
 * else is in the batch.
 *
 * <p>What it is not: a tokenizer or chat template user (STYLE rule 10: text sits above this
 * class), thread-safe, or a server; memory is not bounded beyond {@code maxSequences} slots.
 */
public final class Generator {
    private final CausalLM model;
    private final int maxSequences;

    /** A generator running at most {@code maxSequences} sequences per decode step. */
    public Generator(CausalLM model, int maxSequences) {
        if (maxSequences < 1) throw new IllegalArgumentException("Generator: maxSequences must be >= 1, got " + maxSequences);
        this.model = model;
        this.maxSequences = maxSequences;
    }

    /** The n completions of one prompt. */
    public List<Completion> generate(int[] promptIds, SamplingParams params) {
        return generate(List.of(new Request(promptIds, params))).getFirst();
    }

    /** The completions of every request, in request order, each request's n completions in index order. */
    public List<List<Completion>> generate(List<Request> requests) {
        for (int r = 0; r < requests.size(); r++) check(r, requests.get(r));
        Completion[][] out = new Completion[requests.size()][];
        for (int r = 0; r < out.length; r++) out[r] = new Completion[requests.get(r).params().n()];
        KvCache cache = model.newKvCache();
        Deque<Integer> waiting = new ArrayDeque<>();
        for (int r = 0; r < requests.size(); r++) waiting.add(r);
        List<Sequence> running = new ArrayList<>();
        try (var g = Autograd.noGrad()) {
            while (!waiting.isEmpty() || !running.isEmpty()) {
                List<Integer> admitted = new ArrayList<>();
                int planned = running.size();
                while (!waiting.isEmpty() && (planned == 0 || planned + requests.get(waiting.peek()).params().n() <= maxSequences)) {
                    int r = waiting.poll();
                    admitted.add(r);
                    planned += requests.get(r).params().n();
                }
                if (!admitted.isEmpty()) prefill(requests, admitted, cache, running, out);
                if (!running.isEmpty()) decode(cache, running, out);
            }
        }
        List<List<Completion>> result = new ArrayList<>();
        for (Completion[] c : out) result.add(List.of(c));
        return result;
    }

    /** One packed forward pass over the admitted prompts; then every completion's first token. */
    private void prefill(List<Request> requests, List<Integer> admitted, KvCache cache, List<Sequence> running,
                         Completion[][] out) {
        List<int[]> prompts = new ArrayList<>();
        int[] slots = new int[admitted.size()];
        for (int i = 0; i < slots.length; i++) {
            prompts.add(requests.get(admitted.get(i)).promptIds());
            slots[i] = cache.allocate();
        }
        float[] logits = model.logits(PackedBatch.of(prompts), cache, slots).toArray(); // (P, V)
        int vocab = model.vocabSize();
        for (int i = 0; i < slots.length; i++) {
            int r = admitted.get(i);
            Request request = requests.get(r);
            SamplingParams params = request.params();
            List<Sequence> group = new ArrayList<>();
            for (int c = 0; c < params.n(); c++) {
                group.add(new Sequence(r, c, c == 0 ? slots[i] : cache.fork(slots[i]), request.promptIds(), params));
            }
            for (Sequence s : group) step(s, logits, i * vocab, cache, running, out);
        }
    }

    /** One token for each running sequence, in one packed forward pass. */
    private void decode(KvCache cache, List<Sequence> running, Completion[][] out) {
        List<Sequence> batch = List.copyOf(running);
        int b = batch.size();
        int[] tokens = new int[b], positions = new int[b], slots = new int[b], ones = new int[b];
        for (int i = 0; i < b; i++) {
            Sequence s = batch.get(i);
            tokens[i] = s.tokens[s.generated - 1];
            positions[i] = cache.length(s.slot);
            slots[i] = s.slot;
            ones[i] = 1;
        }
        float[] logits = model.logits(new PackedBatch(tokens, positions, PackedSegments.ofLengths(ones)), cache, slots).toArray();
        running.clear();
        for (int i = 0; i < b; i++) step(batch.get(i), logits, i * model.vocabSize(), cache, running, out);
    }

    /** Samples the sequence's next token from its logits row; it keeps running or finishes. */
    private void step(Sequence s, float[] logits, int offset, KvCache cache, List<Sequence> running, Completion[][] out) {
        Sampler.Sampled next = Sampler.sample(logits, offset, model.vocabSize(), s.params, s.seen, s.rng);
        s.add(next);
        Completion.FinishReason reason = s.params.isStop(next.token()) ? Completion.FinishReason.STOP
                : s.generated == s.params.maxNewTokens() || s.promptLength + s.generated >= model.contextLength()
                ? Completion.FinishReason.LENGTH : null;
        if (reason == null) {
            running.add(s);
            return;
        }
        cache.free(s.slot);
        out[s.request][s.index] = new Completion(Arrays.copyOf(s.tokens, s.generated), Arrays.copyOf(s.logprobs, s.generated),
                Arrays.copyOf(s.rawLogprobs, s.generated), reason);
    }

    private void check(int r, Request request) {
        int[] prompt = request.promptIds();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("Generator: request " + r + " has an empty prompt; start it with at least one token (e.g. BOS)");
        }
        if (prompt.length >= model.contextLength()) {
            throw new IllegalArgumentException("Generator: request " + r + " has a prompt of " + prompt.length
                    + " tokens, but the model's context is " + model.contextLength() + " tokens and must leave room for at "
                    + "least one new token; shorten the prompt");
        }
        for (int t = 0; t < prompt.length; t++) {
            if (prompt[t] < 0 || prompt[t] >= model.vocabSize()) {
                throw new IllegalArgumentException("Generator: request " + r + " has token id " + prompt[t] + " at position " + t
                        + ", outside the model's vocabulary of " + model.vocabSize());
            }
        }
    }

    /** A completion being generated. */
    private static final class Sequence {
        final int request, index, slot, promptLength;
        final SamplingParams params;
        final SplittableRandom rng;
        final BitSet seen = new BitSet(); // ids in the prompt and the completion so far, for the repetition penalty
        int[] tokens = new int[16];
        float[] logprobs = new float[16], rawLogprobs = new float[16];
        int generated;

        Sequence(int request, int index, int slot, int[] prompt, SamplingParams params) {
            this.request = request;
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
    }
}
