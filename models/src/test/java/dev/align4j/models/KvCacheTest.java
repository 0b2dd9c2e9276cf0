package dev.align4j.models;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.llama.RopeScaling;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The cached forward pass against the full one: the same logits for the same tokens, however they are split. */
class KvCacheTest {

    static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(97, 64, 48, 2, 4, 96, 1e-5, "gelu_new"), 21, 0.2)
                : LlamaModel.random(LlamaConfig.tiny(type, 89, 64, 2, 4, 2), 22, 0.2);
    }

    /** The logits row (V) of the full, uncached forward pass at the last token of {@code tokens}. */
    static float[] fullLastRow(CausalLM m, int[] tokens) {
        Tensor logits = m.logits(PackedBatch.of(tokens));
        return ShapeOps.slice(logits, 0, tokens.length - 1, tokens.length).toArray();
    }

    /**
     * Three sequences prefilled together (lengths 5, 1, 9), then three decode steps of one token each,
     * with a forked fourth sequence: every row equals the full forward pass over the whole sequence.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3", "mistral"})
    void prefillAndDecodeMatchTheFullForwardPass(String type) {
        CausalLM m = model(type);
        int v = m.vocabSize();
        List<int[]> seqs = new ArrayList<>(List.of(ModelParityTest.randomIds(1, 5, v), ModelParityTest.randomIds(2, 1, v),
                ModelParityTest.randomIds(3, 9, v)));
        try (var g = Autograd.noGrad()) {
            KvCache cache = m.newKvCache();
            // a slot that grows from the default, one reserved too short for its decode, one with room to spare
            List<Integer> slots = new ArrayList<>(List.of(cache.allocate(), cache.allocate(2), cache.allocate(64)));
            Tensor logits = m.logits(PackedBatch.of(seqs), cache, new int[] {0, 1, 2});
            for (int s = 0; s < 3; s++) assertArrayEquals(fullLastRow(m, seqs.get(s)), logits.row(s).toArray(), 1e-4f, "prefill " + s);
            slots.add(cache.fork(2, 10));
            seqs.add(seqs.get(2).clone());
            for (int step = 0; step < 3; step++) {
                int[] tokens = new int[seqs.size()], positions = new int[seqs.size()], ids = new int[seqs.size()];
                for (int s = 0; s < seqs.size(); s++) {
                    tokens[s] = (7 * step + 13 * s) % v;
                    positions[s] = cache.length(slots.get(s));
                    ids[s] = slots.get(s);
                    seqs.set(s, append(seqs.get(s), tokens[s]));
                }
                int[] ones = new int[seqs.size()];
                Arrays.fill(ones, 1);
                logits = m.logits(new PackedBatch(tokens, positions, PackedSegments.ofLengths(ones)), cache, ids);
                for (int s = 0; s < seqs.size(); s++) {
                    assertArrayEquals(fullLastRow(m, seqs.get(s)), logits.row(s).toArray(), 1e-4f, "step " + step + " seq " + s);
                    assertEquals(seqs.get(s).length, cache.length(slots.get(s)));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 11, 40})
    void growingPastTheInitialCapacityKeepsEarlierRows(int reserved) {
        CausalLM m = model("llama");
        int[] seq = ModelParityTest.randomIds(4, 40, m.vocabSize());
        try (var g = Autograd.noGrad()) {
            KvCache cache = m.newKvCache();
            int slot = reserved == 0 ? cache.allocate() : cache.allocate(reserved); // the prefill alone outgrows 3
            m.logits(PackedBatch.of(Arrays.copyOf(seq, 10)), cache, new int[] {slot});
            Tensor last = null;
            for (int t = 10; t < 40; t++) {
                last = m.logits(new PackedBatch(new int[] {seq[t]}, new int[] {t}, PackedSegments.single(1)), cache, new int[] {slot});
            }
            assertArrayEquals(fullLastRow(m, seq), last.toArray(), 1e-4f);
        }
    }

    @Test
    void slotsAreReusedAfterFree() {
        KvCache cache = new KvCache(2, 2, 8);
        int a = cache.allocate(), b = cache.allocate();
        cache.free(a);
        assertEquals(1, cache.size());
        assertEquals(a, cache.allocate());
        assertEquals(0, cache.length(b));
        assertThrows(IllegalArgumentException.class, () -> cache.length(7));
        cache.free(b);
        assertThrows(IllegalArgumentException.class, () -> cache.fork(b));
    }

    /**
     * A freed slot's buffers serve the next sequence, as they are or grown: its old rows never show
     * in the logits, which equal the full forward pass after a prefill and a decode step.
     */
    @Test
    void aFreedSlotsBuffersServeTheNextSequence() {
        CausalLM m = model("gpt2");
        int v = m.vocabSize();
        try (var g = Autograd.noGrad()) {
            KvCache cache = m.newKvCache();
            int old = cache.allocate(16);
            m.logits(PackedBatch.of(ModelParityTest.randomIds(5, 12, v)), cache, new int[] {old});
            cache.free(old);
            assertEquals(1, cache.spareSlots());
            for (int[] prompt : new int[][] {ModelParityTest.randomIds(6, 3, v), ModelParityTest.randomIds(7, 30, v)}) {
                int slot = cache.allocate(prompt.length + 1); // 4 fits the spare as it is; 31 grows it
                assertEquals(0, cache.spareSlots());
                Tensor logits = m.logits(PackedBatch.of(prompt), cache, new int[] {slot});
                assertArrayEquals(fullLastRow(m, prompt), logits.row(0).toArray(), 1e-4f, "prefill of " + prompt.length);
                int next = (prompt[0] + 1) % v;
                logits = m.logits(new PackedBatch(new int[] {next}, new int[] {prompt.length}, PackedSegments.ofLengths(new int[] {1})),
                        cache, new int[] {slot});
                int[] longer = Arrays.copyOf(prompt, prompt.length + 1);
                longer[prompt.length] = next;
                assertArrayEquals(fullLastRow(m, longer), logits.row(0).toArray(), 1e-4f, "decode after " + prompt.length);
                cache.free(slot);
            }
        }
    }

    @Test
    void badBatchesAreRejectedBeforeTheCacheChanges() {
        CausalLM m = model("gpt2");
        try (var g = Autograd.noGrad()) {
            KvCache cache = m.newKvCache();
            int s = cache.allocate(), t = cache.allocate();
            m.logits(PackedBatch.of(1, 2, 3), cache, new int[] {s});
            PackedBatch restart = PackedBatch.of(4); // position 0, but the slot holds 3 tokens
            assertThrows(IllegalArgumentException.class, () -> m.logits(restart, cache, new int[] {s}));
            assertThrows(IllegalArgumentException.class, () -> m.logits(PackedBatch.of(List.of(new int[] {1}, new int[] {2})),
                    cache, new int[] {t}));
            assertThrows(IllegalArgumentException.class, () -> m.logits(PackedBatch.of(List.of(new int[] {1}, new int[] {2})),
                    cache, new int[] {t, t}));
            assertThrows(IllegalArgumentException.class, () -> m.logits(PackedBatch.of(List.of(new int[] {1}, new int[0])),
                    cache, new int[] {t, cache.allocate()}));
            PackedBatch past = new PackedBatch(new int[] {1}, new int[] {64}, PackedSegments.single(1)); // n_positions 64
            assertThrows(IllegalArgumentException.class, () -> m.logits(past, cache, new int[] {s}));
            assertEquals(3, cache.length(s));
            assertEquals(0, cache.length(t));
        }
    }

    @Test
    void mistralCountsCachedTokensAgainstTheWindow() {
        LlamaConfig c = new LlamaConfig("mistral", 50, 32, 48, 1, 2, 1, 16, 1e-6, 10000, RopeScaling.NONE, 64, false,
                false, false, false, false, 4);
        LlamaModel m = LlamaModel.random(c, 5, 0.2);
        try (var g = Autograd.noGrad()) {
            KvCache cache = m.newKvCache();
            int s = cache.allocate();
            m.logits(PackedBatch.of(1, 2, 3, 4), cache, new int[] {s});
            var e = assertThrows(IllegalArgumentException.class, () -> m.logits(
                    new PackedBatch(new int[] {5}, new int[] {4}, PackedSegments.single(1)), cache, new int[] {s}));
            assertEquals(true, e.getMessage().contains("sliding_window 4"), e.getMessage());
        }
    }

    static int[] append(int[] a, int x) {
        int[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = x;
        return b;
    }
}
