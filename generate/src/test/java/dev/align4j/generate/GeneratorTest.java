package dev.align4j.generate;

import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine against full forward passes recomputed without a cache, and its batching invariants. */
class GeneratorTest {

    static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(97, 64, 48, 2, 4, 96, 1e-5, "gelu_new"), 31, 0.3)
                : LlamaModel.random(LlamaConfig.tiny(type, 89, 64, 2, 4, 2), 32, 0.3);
    }

    static int[] ids(long seed, int n, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = r.nextInt(vocab);
        return out;
    }

    /** The logits row (V) of a full, uncached forward pass at the last token. */
    static float[] fullLastRow(CausalLM m, int[] tokens) {
        try (var g = Autograd.noGrad()) {
            return ShapeOps.slice(m.logits(PackedBatch.of(tokens)), 0, tokens.length - 1, tokens.length).toArray();
        }
    }

    static int[] concat(int[] a, int[] b, int bLength) {
        int[] c = Arrays.copyOf(a, a.length + bLength);
        System.arraycopy(b, 0, c, a.length, bLength);
        return c;
    }

    /**
     * Every generated token equals the argmax of a full forward pass over the prompt and the tokens
     * before it, and its raw log-prob that pass's log-softmax; four prompts of lengths 1, 3, 7, 12
     * run two at a time, so prompts join as others finish.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3", "mistral"})
    void greedyWithTheCacheEqualsTheFullForwardArgmaxAtEveryStep(String type) {
        CausalLM m = model(type);
        int[][] prompts = {ids(1, 7, m.vocabSize()), ids(2, 1, m.vocabSize()), ids(3, 12, m.vocabSize()), ids(4, 3, m.vocabSize())};
        int[] maxNew = {6, 9, 4, 8};
        List<Request> requests = new ArrayList<>();
        for (int r = 0; r < prompts.length; r++) requests.add(new Request(prompts[r], SamplingParams.greedy(maxNew[r])));
        List<List<Completion>> out = new Generator(m, 2).generate(requests);
        for (int r = 0; r < prompts.length; r++) {
            Completion c = out.get(r).getFirst();
            int[] gen = c.tokenIds();
            assertEquals(maxNew[r], gen.length);
            assertEquals("length", c.finishReason().value());
            for (int t = 0; t < gen.length; t++) {
                float[] row = fullLastRow(m, concat(prompts[r], gen, t));
                int argmax = 0;
                for (int i = 1; i < row.length; i++) if (row[i] > row[argmax]) argmax = i;
                assertEquals(argmax, gen[t], type + " request " + r + " token " + t);
                assertEquals(Sampler.logSoftmaxAt(row, 0, row.length, gen[t]), c.rawLogprobs()[t], 1e-4, "raw log-prob");
                assertEquals(0f, c.logprobs()[t]);
            }
        }
    }

    /** Sampled tokens too: raw log-probs equal the full pass's log-softmax, sampling ones log-softmax(logits / T). */
    @Test
    void sampledLogProbsMatchTheFullForwardPass() {
        CausalLM m = model("llama");
        int[] prompt = ids(9, 5, m.vocabSize());
        Completion c = new Generator(m, 4).generate(prompt, SamplingParams.sample(1, 12, 0.7, 42)).getFirst();
        int[] gen = c.tokenIds();
        for (int t = 0; t < gen.length; t++) {
            float[] row = fullLastRow(m, concat(prompt, gen, t));
            assertEquals(Sampler.logSoftmaxAt(row, 0, row.length, gen[t]), c.rawLogprobs()[t], 1e-4);
            float[] scaled = row.clone();
            for (int i = 0; i < scaled.length; i++) scaled[i] /= 0.7f;
            assertEquals(Sampler.logSoftmaxAt(scaled, 0, scaled.length, gen[t]), c.logprobs()[t], 1e-4);
        }
    }

    /** A request alone and the same request among 16 mixed ones (5 running at a time) give the same completion. */
    @Test
    void aSeedGivesTheSameCompletionAloneAndInABatchOf16() {
        CausalLM m = model("qwen3");
        SamplingParams params = new SamplingParams(1, 10, 0.9, 20, 0.95, 0.05, 1.2, 1234, null);
        int[] prompt = ids(100, 6, m.vocabSize());
        Completion alone = new Generator(m, 1).generate(prompt, params).getFirst();
        List<Request> mixed = new ArrayList<>();
        for (int r = 0; r < 16; r++) {
            mixed.add(r == 11 ? new Request(prompt, params)
                    : new Request(ids(200 + r, 1 + r % 9, m.vocabSize()), SamplingParams.sample(1, 3 + r % 7, 1.0 + r * 0.05, r)));
        }
        Completion batched = new Generator(m, 5).generate(mixed).get(11).getFirst();
        assertArrayEquals(alone.tokenIds(), batched.tokenIds());
        assertArrayEquals(alone.logprobs(), batched.logprobs(), 1e-5f);
        assertArrayEquals(alone.rawLogprobs(), batched.rawLogprobs(), 1e-5f);
    }

    /** n = 4 completions sharing one prefill equal four single requests seeded seed + i, and differ from each other. */
    @Test
    void nCompletionsSharingAPrefillEqualSeparateRequests() {
        CausalLM m = model("gpt2");
        int[] prompt = ids(7, 9, m.vocabSize());
        SamplingParams params = new SamplingParams(4, 8, 1.0, 0, 0.9, 0, 1, 77, null);
        List<Completion> shared = new Generator(m, 8).generate(prompt, params);
        assertEquals(4, shared.size());
        List<Request> separate = new ArrayList<>();
        for (int i = 0; i < 4; i++) separate.add(new Request(prompt, params.withSeed(1, 77 + i)));
        List<List<Completion>> alone = new Generator(m, 8).generate(separate);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(alone.get(i).getFirst().tokenIds(), shared.get(i).tokenIds(), "completion " + i);
            assertArrayEquals(alone.get(i).getFirst().rawLogprobs(), shared.get(i).rawLogprobs(), 1e-5f);
        }
        assertTrue(!Arrays.equals(shared.get(0).tokenIds(), shared.get(1).tokenIds())
                || !Arrays.equals(shared.get(2).tokenIds(), shared.get(3).tokenIds()), "different seeds, different samples");
    }

    @Test
    void stopTokensLengthAndTheContextEndACompletion() {
        CausalLM m = model("gpt2"); // n_positions 64
        int[] prompt = ids(5, 4, m.vocabSize());
        int[] greedy = new Generator(m, 1).generate(prompt, SamplingParams.greedy(5)).getFirst().tokenIds();
        Completion stopped = new Generator(m, 1).generate(prompt, SamplingParams.greedy(5, greedy[2])).getFirst();
        int firstStop = 0;
        while (greedy[firstStop] != greedy[2]) firstStop++;
        assertArrayEquals(Arrays.copyOf(greedy, firstStop + 1), stopped.tokenIds(), "the stop token is kept, nothing after it");
        assertEquals(Completion.FinishReason.STOP, stopped.finishReason());
        Completion full = new Generator(m, 1).generate(ids(6, 60, m.vocabSize()), SamplingParams.greedy(10)).getFirst();
        assertEquals(4, full.tokenIds().length, "60 prompt tokens + 4 fill the context of 64");
        assertEquals(Completion.FinishReason.LENGTH, full.finishReason());
    }

    @Test
    void badRequestsAreRejectedBeforeAnyWork() {
        CausalLM m = model("gpt2");
        Generator g = new Generator(m, 2);
        SamplingParams p = SamplingParams.greedy(3);
        var tooLong = assertThrows(IllegalArgumentException.class, () -> g.generate(ids(1, 64, m.vocabSize()), p));
        assertTrue(tooLong.getMessage().contains("context is 64"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.generate(new int[0], p));
        assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {1, m.vocabSize()}, p));
        assertThrows(IllegalArgumentException.class, () -> g.generate(new int[] {-1}, p));
        assertThrows(IllegalArgumentException.class, () -> new Generator(m, 0));
        assertThrows(IllegalArgumentException.class, () -> new Request(null, p));
    }

    /** A listener that asks to stop ends the completion at that token with finish "stop". */
    @Test
    void aListenerCanStopACompletion() {
        CausalLM m = model("llama");
        int[] prompt = ids(8, 5, m.vocabSize());
        int[] free = new Generator(m, 2).generate(prompt, SamplingParams.greedy(8)).getFirst().tokenIds();
        Completion[] got = new Completion[1];
        Generator g = new Generator(m, 2);
        g.submit(new Request(prompt, SamplingParams.greedy(8)), new Generator.Listener() {
            int seen;

            @Override
            public boolean onToken(int index, int token) {
                assertEquals(free[seen], token);
                return ++seen == 3;
            }

            @Override
            public void onComplete(int index, Completion completion) {
                got[0] = completion;
            }
        });
        while (g.hasWork()) g.step();
        assertArrayEquals(Arrays.copyOf(free, 3), got[0].tokenIds());
        assertEquals(Completion.FinishReason.STOP, got[0].finishReason());
    }

    /**
     * The policy's weights changed in place between calls: the same generator generates from the
     * new ones, in batched steps too (8 sequences: trainable weights are never read from a packed copy).
     */
    @Test
    void generationReadsTheLiveWeights() {
        CausalLM m = model("qwen2");
        m.parameters().values().forEach(t -> t.requiresGrad(true)); // a policy being trained
        Generator g = new Generator(m, 8);
        int[] prompt = ids(12, 4, m.vocabSize());
        List<Request> eight = java.util.Collections.nCopies(8, new Request(prompt, SamplingParams.greedy(6)));
        int[] before = g.generate(eight).getFirst().getFirst().tokenIds();
        float[] w = m.parameters().get("lm_head.weight").storage();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < w.length; i++) w[i] += (float) r.nextGaussian(); // an optimizer step, as large as it gets
        List<List<Completion>> out = g.generate(eight);
        int[] after = out.getFirst().getFirst().tokenIds();
        assertTrue(!Arrays.equals(before, after), "the new weights change the completion");
        for (List<Completion> c : out) assertArrayEquals(after, c.getFirst().tokenIds(), "every sequence of the batch");
        for (int t = 0; t < after.length; t++) {
            float[] row = fullLastRow(m, concat(prompt, after, t));
            int argmax = 0;
            for (int i = 1; i < row.length; i++) if (row[i] > row[argmax]) argmax = i;
            assertEquals(argmax, after[t], "token " + t);
        }
    }

    /**
     * A frozen model's batched steps read its matrices from packed copies, float32 or BF16 pairs:
     * at batch 8 (past the few-rows kernels) the frozen float32 model still generates the full
     * forward's argmax, and the same weights held as frozen BF16 give the same tokens and raw
     * log-probs, bit for bit — in the batch and alone, at batch 1.
     */
    @Test
    void frozenFloat32AndBf16WeightsGenerateTheSameTokensInBatchesAndAlone() {
        Gpt2Config config = new Gpt2Config(97, 64, 48, 2, 4, 96, 1e-5, "gelu_new");
        Map<String, Tensor> f32 = new LinkedHashMap<>(), bf16 = new LinkedHashMap<>();
        Gpt2Model.random(config, 31, 0.3).parameters().forEach((name, t) -> {
            float[] values = t.toArray();
            short[] bits = new short[values.length];
            for (int i = 0; i < values.length; i++) { // BF16 values, so both models hold the same numbers
                bits[i] = (short) (Float.floatToRawIntBits(values[i]) >>> 16);
                values[i] = Float.intBitsToFloat(bits[i] << 16);
            }
            f32.put(name, Tensor.of(values, t.shape()));
            bf16.put(name, t.rank() == 2 ? Tensor.frozenBf16(MemorySegment.ofArray(bits), t.shape()) : Tensor.of(values.clone(), t.shape()));
        });
        CausalLM widened = new Gpt2Model(config, f32), frozen = new Gpt2Model(config, bf16);
        List<Request> eight = new ArrayList<>();
        for (int r = 0; r < 8; r++) eight.add(new Request(ids(60 + r, 2 + r, config.vocabSize()), SamplingParams.greedy(5)));
        List<List<Completion>> a = new Generator(widened, 8).generate(eight), b = new Generator(frozen, 8).generate(eight);
        for (int r = 0; r < eight.size(); r++) {
            Completion x = a.get(r).getFirst(), y = b.get(r).getFirst();
            assertArrayEquals(x.tokenIds(), y.tokenIds(), "request " + r);
            assertArrayEquals(x.rawLogprobs(), y.rawLogprobs(), "request " + r);
            for (int t = 0; t < x.tokenIds().length; t++) {
                float[] row = fullLastRow(widened, concat(eight.get(r).promptIds(), x.tokenIds(), t));
                int argmax = 0;
                for (int i = 1; i < row.length; i++) if (row[i] > row[argmax]) argmax = i;
                assertEquals(argmax, x.tokenIds()[t], "request " + r + " token " + t);
            }
        }
        for (int r : new int[] {0, 5}) { // alone, its decode steps are batch-1 products, which read BF16 pairs too
            Completion alone = new Generator(frozen, 1).generate(List.of(eight.get(r))).getFirst().getFirst();
            assertArrayEquals(b.get(r).getFirst().tokenIds(), alone.tokenIds(), "request " + r + " alone");
            assertArrayEquals(b.get(r).getFirst().rawLogprobs(), alone.rawLogprobs(), "request " + r + " alone");
        }
    }

    /** A failure inside a step drops every request, tells each listener once, and leaves the generator usable. */
    @Test
    void aFailedStepDropsEveryRequestAndTheGeneratorStillWorks() {
        CausalLM m = model("gpt2");
        Generator g = new Generator(m, 4);
        List<String> events = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            int request = r;
            g.submit(new Request(ids(40 + r, 3, m.vocabSize()), SamplingParams.sample(2, 5, 1.0, r)), new Generator.Listener() {
                @Override
                public boolean onToken(int index, int token) {
                    if (request == 1) throw new IllegalStateException("listener failed");
                    return false;
                }

                @Override
                public void onComplete(int index, Completion completion) {
                    events.add("complete " + request);
                }

                @Override
                public void onError(RuntimeException error) {
                    events.add("error " + request + ": " + error.getMessage());
                }
            });
        }
        var e = assertThrows(IllegalStateException.class, g::step);
        assertEquals("listener failed", e.getMessage());
        assertEquals(List.of("error 0: listener failed", "error 1: listener failed", "error 2: listener failed"), events);
        assertTrue(!g.hasWork());
        int[] prompt = ids(1, 7, m.vocabSize());
        assertArrayEquals(new Generator(m, 1).generate(prompt, SamplingParams.greedy(4)).getFirst().tokenIds(),
                g.generate(prompt, SamplingParams.greedy(4)).getFirst().tokenIds());
    }

    /**
     * LoRA adapters on the policy are live in generation: greedy decoding equals the argmax of full
     * forward passes with the adapters, follows an in-place change of an adapter at the next call, and
     * with the adapters switched off equals the base model's.
     */
    @Test
    void generationUsesLiveLoraAdaptersWithoutMerging() throws Exception {
        CausalLM m = model("llama");
        Generator g = new Generator(m, 2);
        int[] prompt = ids(21, 5, m.vocabSize());
        int[] base = g.generate(prompt, SamplingParams.greedy(8)).getFirst().tokenIds();
        var lora = dev.align4j.models.lora.LoraModel.attach(m,
                new dev.align4j.models.lora.LoraConfig(4, 8, 0.1, List.of("all-linear"), false, List.of()), 1);
        SplittableRandom r = new SplittableRandom(2);
        for (var e : lora.trainableParameters().entrySet()) {
            float[] w = e.getValue().storage();
            if (e.getKey().endsWith("lora_B.weight")) for (int i = 0; i < w.length; i++) w[i] = (float) (0.5 * r.nextGaussian());
        }
        int[] adapted = g.generate(prompt, SamplingParams.greedy(8)).getFirst().tokenIds();
        assertTrue(!Arrays.equals(base, adapted), "the adapter changes the completion");
        assertGreedyMatchesFullForward(m, prompt, adapted);
        try (var off = lora.disabled()) {
            assertArrayEquals(base, g.generate(prompt, SamplingParams.greedy(8)).getFirst().tokenIds());
        }
        float[] b = lora.trainableParameters().values().stream().filter(t -> t.rank() == 2 && t.dim(1) == 4).findFirst().orElseThrow().storage();
        for (int i = 0; i < b.length; i++) b[i] *= -3; // an optimizer step on the adapter
        int[] after = g.generate(prompt, SamplingParams.greedy(8)).getFirst().tokenIds();
        assertGreedyMatchesFullForward(m, prompt, after);
    }

    static void assertGreedyMatchesFullForward(CausalLM m, int[] prompt, int[] generated) {
        for (int t = 0; t < generated.length; t++) {
            float[] row = fullLastRow(m, concat(prompt, generated, t));
            int argmax = 0;
            for (int i = 1; i < row.length; i++) if (row[i] > row[argmax]) argmax = i;
            assertEquals(argmax, generated[t], "token " + t);
        }
    }
}
