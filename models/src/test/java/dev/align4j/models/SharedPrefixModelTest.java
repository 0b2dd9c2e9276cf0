package dev.align4j.models;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A prompt's completions packed with the prompt once ({@link PackedBatch#sharingPrefixes}) give
 * every token the log-prob, and every parameter the gradient, of the unshared sequences
 * prompt ++ completion packed side by side: for GPT-2 (learned positions), the Llama family
 * (RoPE, grouped-query attention) and LoRA adapters.
 *
 * <p>The layout is the trainers': the shared prefix is the prompt without its last token, and each
 * continuation begins with that token, so every row of the unshared sequences but the repeated
 * prompt rows appears once.
 */
class SharedPrefixModelTest {

    static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(53, 64, 32, 2, 4, 96, 1e-5, "gelu_new"), 3, 0.3)
                : LlamaModel.random(LlamaConfig.tiny(type, 47, 32, 2, 4, 2), 4, 0.3);
    }

    /** Prompts (first) and their completions: a 9-token prompt with three, a 1-token one with two (not shared), a 2-token one with two. */
    static List<int[][]> groups(int vocab) {
        SplittableRandom r = new SplittableRandom(5);
        List<int[][]> out = new ArrayList<>();
        for (int[] sizes : new int[][] {{9, 5, 1, 7}, {1, 4, 3}, {2, 3, 6}}) {
            int[][] g = new int[sizes.length][];
            for (int i = 0; i < sizes.length; i++) g[i] = r.ints(sizes[i], 0, vocab).toArray();
            out.add(g);
        }
        return out;
    }

    /** The two packings of the same sequences, and for each row of the shared one, its row in the unshared one. */
    record Packings(PackedBatch unshared, PackedBatch shared, int[] rowOf) {
        /** The unshared packing's next-token labels on the shared rows: a prefix's last row too is labelled (its continuations agree on what follows). */
        int[] sharedLabels() {
            int[] unsharedLabels = unshared.nextTokenLabels(), labels = new int[rowOf.length];
            for (int t = 0; t < labels.length; t++) labels[t] = unsharedLabels[rowOf[t]];
            return labels;
        }
    }

    static Packings pack(List<int[][]> groups) {
        List<int[]> sequences = new ArrayList<>();
        List<PackedBatch.PrefixGroup> shared = new ArrayList<>();
        List<Integer> rowOf = new ArrayList<>();
        int row = 0;
        for (int[][] g : groups) {
            int[] prompt = g[0];
            int cut = prompt.length >= 2 ? prompt.length - 1 : 0; // the shared prefix: the prompt but its last token
            List<int[]> continuations = new ArrayList<>();
            for (int c = 1; c < g.length; c++) {
                int[] seq = Arrays.copyOf(prompt, prompt.length + g[c].length);
                System.arraycopy(g[c], 0, seq, prompt.length, g[c].length);
                sequences.add(seq);
                continuations.add(Arrays.copyOfRange(seq, cut, seq.length));
                if (c == 1) for (int t = 0; t < cut; t++) rowOf.add(row + t);
                for (int t = cut; t < seq.length; t++) rowOf.add(row + t);
                row += seq.length;
            }
            shared.add(new PackedBatch.PrefixGroup(Arrays.copyOf(prompt, cut), continuations));
        }
        return new Packings(PackedBatch.of(sequences), PackedBatch.sharingPrefixes(shared),
                rowOf.stream().mapToInt(Integer::intValue).toArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen3"})
    void everyTokenHasTheLogProbOfTheUnsharedSequence(String type) {
        CausalLM m = model(type);
        Packings p = pack(groups(m.vocabSize()));
        assertEquals(p.shared().size(), p.rowOf().length);
        assertTrue(p.shared().size() < p.unshared().size(), "the 9- and 2-token prompts are packed once");
        int[] sharedLabels = p.sharedLabels(), unsharedLabels = p.unshared().nextTokenLabels();
        float[] shared, unshared;
        try (var g = Autograd.noGrad()) {
            shared = m.tokenLogProbs(p.shared(), sharedLabels).toArray();
            unshared = m.tokenLogProbs(p.unshared(), unsharedLabels).toArray();
        }
        for (int t = 0; t < shared.length; t++) {
            assertEquals(unshared[p.rowOf()[t]], shared[t], 1e-5, type + " row " + t + " (unshared row " + p.rowOf()[t] + ")");
        }
    }

    /**
     * Gradients of {@code Σ w·log p} with random weights on the completion rows and on the first
     * sequence's prompt rows (the prompt's other copies weigh 0, as the shared packing holds one).
     */
    static Map<String, float[]> gradients(CausalLM m, Map<String, Tensor> params, PackedBatch batch, int[] labels, float[] weights) {
        for (Tensor t : params.values()) t.zeroGrad();
        Tensor lp = m.tokenLogProbs(batch, labels);
        Reductions.sum(Elementwise.mul(lp, Tensor.vector(weights))).backward();
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.grad() == null ? null : v.grad().toArray()));
        return out;
    }

    static void assertSameGradients(CausalLM m, Map<String, Tensor> params, String what) {
        Packings p = pack(groups(m.vocabSize()));
        SplittableRandom r = new SplittableRandom(9);
        float[] unsharedW = new float[p.unshared().size()], sharedW = new float[p.shared().size()];
        for (int t = 0; t < sharedW.length; t++) sharedW[t] = unsharedW[p.rowOf()[t]] = (float) r.nextGaussian();
        Map<String, float[]> expected = gradients(m, params, p.unshared(), p.unshared().nextTokenLabels(), unsharedW);
        Map<String, float[]> actual = gradients(m, params, p.shared(), p.sharedLabels(), sharedW);
        for (String name : expected.keySet()) {
            float[] e = expected.get(name), a = actual.get(name);
            if (e == null) fail(what + " " + name + " has no gradient");
            double scale = 0;
            for (float x : e) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < e.length; i++) {
                if (Math.abs(a[i] - e[i]) > 1e-5 + 1e-4 * scale) {
                    fail(what + " " + name + "[" + i + "]: shared " + a[i] + ", unshared " + e[i] + " (largest " + scale + ")");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen3"})
    void parameterGradientsAreThoseOfTheUnsharedSequences(String type) {
        CausalLM m = model(type);
        for (Tensor t : m.parameters().values()) t.requiresGrad(true);
        assertSameGradients(m, m.parameters(), type);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen2"})
    void loraGradientsAreThoseOfTheUnsharedSequences(String type) {
        CausalLM m = model(type);
        LoraModel lora = LoraModel.attach(m, new LoraConfig(2, 4, 0, List.of("all-linear"), false, List.of()), 1);
        SplittableRandom r = new SplittableRandom(3);
        lora.trainableParameters().forEach((name, b) -> { // a trained adapter, in effect: B ≠ 0
            if (name.endsWith("lora_B.weight")) for (int i = 0; i < b.storage().length; i++) b.storage()[i] = (float) (0.2 * r.nextGaussian());
        });
        assertSameGradients(m, lora.trainableParameters(), type + " LoRA");
    }

    @Test
    void gradientCheckpointingKeepsTheSharedPrefix() {
        Map<String, float[]>[] grads = new Map[2];
        for (int pass = 0; pass < 2; pass++) {
            CausalLM m = model("llama");
            for (Tensor t : m.parameters().values()) t.requiresGrad(true);
            m.gradientCheckpointing(pass == 1);
            Packings p = pack(groups(m.vocabSize()));
            float[] w = new float[p.shared().size()];
            Arrays.fill(w, 1f);
            grads[pass] = gradients(m, m.parameters(), p.shared(), p.sharedLabels(), w);
        }
        for (String name : grads[0].keySet()) assertArrayEquals(grads[0].get(name), grads[1].get(name), name);
    }

    @Test
    void positionsContinueFromThePrefixAndPlainGroupsStayPlain() {
        PackedBatch b = PackedBatch.sharingPrefixes(List.of(
                new PackedBatch.PrefixGroup(new int[] {7, 8, 9}, List.of(new int[] {1, 2}, new int[] {3})),
                new PackedBatch.PrefixGroup(new int[0], List.of(new int[] {4, 5}))));
        assertArrayEquals(new int[] {7, 8, 9, 1, 2, 3, 4, 5}, b.tokens());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 3, 0, 1}, b.positions());
        assertEquals(PackedSegments.ofLengths(new int[] {3, 2, 1, 2}, new int[] {-1, 0, 0, -1}), b.segments());
        int I = PackedBatch.IGNORE;
        assertArrayEquals(new int[] {8, 9, I, 2, I, I, 5, I}, b.nextTokenLabels(), "a segment's last row, a prefix's too, has no label");
    }

    @Test
    void theKvCacheRefusesSharedPrefixes() {
        CausalLM m = model("llama");
        KvCache cache = m.newKvCache();
        int[] slots = {cache.allocate(), cache.allocate()};
        PackedBatch b = PackedBatch.sharingPrefixes(List.of(new PackedBatch.PrefixGroup(new int[] {1, 2}, List.of(new int[] {3}))));
        try (var g = Autograd.noGrad()) {
            var e = assertThrows(IllegalArgumentException.class, () -> m.logits(b, cache, slots));
            assertTrue(e.getMessage().contains("share prefixes"), e.getMessage());
        }
        assertEquals(0, cache.length(slots[0]), "nothing was cached");
    }
}
