package dev.align4j.models;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.llama.RopeScaling;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Every architecture's per-token log-probs against the independent float64 {@link ReferenceLm}. */
class ModelParityTest {

    static Map<String, double[]> toDouble(Map<String, Tensor> weights) {
        Map<String, double[]> out = new HashMap<>();
        weights.forEach((k, v) -> {
            float[] f = v.toArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            out.put(k, d);
        });
        return out;
    }

    static int[] randomIds(long seed, int n, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }

    /** Packs two sequences and checks each one's log-probs against the reference run on it alone. */
    static void assertParity(CausalLM model, java.util.function.Function<int[], double[][]> referenceLogits, int vocab) {
        int[] a = randomIds(1, 13, vocab), b = randomIds(2, 9, vocab);
        PackedBatch batch = PackedBatch.of(List.of(a, b));
        float[] got = model.tokenLogProbs(batch, batch.nextTokenLabels()).toArray();
        double[] ra = ReferenceLm.tokenLogProbs(referenceLogits.apply(a), a);
        double[] rb = ReferenceLm.tokenLogProbs(referenceLogits.apply(b), b);
        for (int t = 0; t < ra.length; t++) assertEquals(ra[t], got[t], 1e-4, "sequence a, token " + t);
        assertEquals(0f, got[a.length - 1], "the last token of a sequence has no label");
        for (int t = 0; t < rb.length; t++) assertEquals(rb[t], got[a.length + t], 1e-4, "sequence b, token " + t);
    }

    @Test
    void gpt2MatchesTheFloat64Reference() {
        Gpt2Config c = new Gpt2Config(97, 32, 48, 2, 4, 96, 1e-5, "gelu_new");
        Gpt2Model m = Gpt2Model.random(c, 11, 0.2);
        var w = toDouble(m.parameters());
        var rc = new ReferenceLm.Gpt2(c.nEmbd(), c.nInner(), c.nLayer(), c.nHead(), c.vocabSize(), c.layerNormEpsilon(), "transformer.");
        assertParity(m, ids -> ReferenceLm.gpt2Logits(rc, w, ids), c.vocabSize());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral"})
    void llamaFamilyMatchesTheFloat64Reference(String type) {
        LlamaConfig c = LlamaConfig.tiny(type, 89, 64, 2, 4, 2);
        LlamaModel m = LlamaModel.random(c, 12, 0.2);
        var w = toDouble(m.parameters());
        double[] invFreq = ReferenceLm.invFreq(c.headDim(), c.ropeTheta());
        var rc = new ReferenceLm.Llama(c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), c.vocabSize(), c.rmsNormEps(), invFreq, c.qkNorm(), c.tieWordEmbeddings());
        assertParity(m, ids -> ReferenceLm.llamaLogits(rc, w, ids, positions(ids.length)), c.vocabSize());
    }

    @Test
    void llama3RopeScalingAttentionAndMlpBiasesAndTiedEmbeddingsMatchTheReference() {
        RopeScaling scaling = RopeScaling.llama3(8, 1, 4, 64);
        LlamaConfig c = new LlamaConfig("llama", 71, 32, 48, 2, 4, 1, 16, 1e-5, 500000, scaling, 128, true,
                true, true, true, false, 0);
        LlamaModel m = LlamaModel.random(c, 13, 0.2);
        var w = toDouble(m.parameters());
        assertTrue(w.containsKey("model.layers.0.self_attn.o_proj.bias") && w.containsKey("model.layers.1.mlp.down_proj.bias"));
        // HF's _compute_llama3_parameters read independently, in double: wavelengths above
        // 64/low_freq_factor are divided by the factor, below 64/high_freq_factor kept, between blended.
        double[] original = ReferenceLm.invFreq(16, 500000), inv = original.clone();
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > 64.0) inv[i] /= 8;
            else if (wavelen >= 16.0) {
                double smooth = (64 / wavelen - 1) / (4 - 1);
                inv[i] = (1 - smooth) * inv[i] / 8 + smooth * inv[i];
            }
        }
        assertTrue(inv[0] == original[0] && inv[1] < original[1] && inv[1] > original[1] / 8 && inv[2] == original[2] / 8,
                "the config exercises the kept, blended and scaled bands");
        var rc = new ReferenceLm.Llama(32, 48, 2, 4, 1, 16, 71, 1e-5, inv, false, true);
        assertParity(m, ids -> ReferenceLm.llamaLogits(rc, w, ids, positions(ids.length)), c.vocabSize());
    }

    static int[] positions(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }
}
