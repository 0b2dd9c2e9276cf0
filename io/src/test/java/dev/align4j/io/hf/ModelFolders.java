package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsSource;
import dev.align4j.io.safetensors.SafetensorsWriter;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.ReferenceLm;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.llama.RopeScaling;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Test helpers for model folders: the golden folders made by transformers ({@code dev/make_golden_models.py}),
 * per-token log-probs of a model and of the float64 {@link ReferenceLm}, bit-exact weight comparison, BF16
 * rounding, and rewriting a checkpoint's tensors.
 */
final class ModelFolders {
    private ModelFolders() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A golden folder under {@code src/test/resources/golden}. */
    static Path golden(String name) {
        var url = ModelFolders.class.getResource("/golden/" + name + "/config.json");
        assertNotNull(url, "no golden folder " + name + "; run dev/make_golden_models.py");
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A golden's token sequences and transformers' per-token log-probs of them. */
    record Golden(List<int[]> sequences, List<double[]> logprobs) {
        static Golden read(Path folder) throws IOException {
            JsonNode root = JSON.readTree(folder.resolve("logprobs.json").toFile());
            List<int[]> sequences = new ArrayList<>();
            List<double[]> logprobs = new ArrayList<>();
            for (JsonNode s : root.get("sequences")) sequences.add(JSON.treeToValue(s, int[].class));
            for (JsonNode l : root.get("logprobs")) logprobs.add(JSON.treeToValue(l, double[].class));
            return new Golden(sequences, logprobs);
        }
    }

    /** Next-token log-probs of each sequence, all packed into one batch: element [s][t] = log p(ids[t+1] | ids[..t]). */
    static List<double[]> logProbs(CausalLM model, List<int[]> sequences) {
        PackedBatch batch = PackedBatch.of(sequences);
        float[] all = model.tokenLogProbs(batch, batch.nextTokenLabels()).toArray();
        List<double[]> out = new ArrayList<>();
        int start = 0;
        for (int[] s : sequences) {
            double[] lp = new double[s.length - 1];
            for (int t = 0; t < lp.length; t++) lp[t] = all[start + t];
            out.add(lp);
            start += s.length;
        }
        return out;
    }

    /** The largest absolute difference, after checking each element is within {@code tolerance}. */
    static double assertClose(List<double[]> expected, List<double[]> actual, double tolerance, String what) {
        assertEquals(expected.size(), actual.size(), what);
        double max = 0;
        for (int s = 0; s < expected.size(); s++) {
            assertEquals(expected.get(s).length, actual.get(s).length, what + ", sequence " + s);
            for (int t = 0; t < expected.get(s).length; t++) {
                assertEquals(expected.get(s)[t], actual.get(s)[t], tolerance, what + ", sequence " + s + ", token " + t);
                max = Math.max(max, Math.abs(expected.get(s)[t] - actual.get(s)[t]));
            }
        }
        return max;
    }

    /** The float64 reference's log-probs for a GPT-2 or Llama-family model (plain or linear RoPE) on the given weights. */
    static List<double[]> referenceLogProbs(CausalLM model, Map<String, Tensor> weights, List<int[]> sequences) {
        Map<String, double[]> w = toDouble(weights);
        List<double[]> out = new ArrayList<>();
        for (int[] ids : sequences) {
            double[][] logits = switch (model) {
                case Gpt2Model g -> ReferenceLm.gpt2Logits(new ReferenceLm.Gpt2(g.config().nEmbd(), g.config().nInner(),
                        g.config().nLayer(), g.config().nHead(), g.config().vocabSize(), g.config().layerNormEpsilon(),
                        "transformer."), w, ids);
                case LlamaModel l -> ReferenceLm.llamaLogits(reference(l.config()), w, ids, positions(ids.length));
                default -> throw new IllegalArgumentException(model.getClass().getName());
            };
            out.add(ReferenceLm.tokenLogProbs(logits, ids));
        }
        return out;
    }

    private static ReferenceLm.Llama reference(LlamaConfig c) {
        double[] invFreq = ReferenceLm.invFreq(c.headDim(), c.ropeTheta());
        RopeScaling s = c.ropeScaling();
        switch (s.type()) {
            case NONE -> { }
            case LINEAR -> {
                for (int i = 0; i < invFreq.length; i++) invFreq[i] /= s.factor();
            }
            case LLAMA3 -> throw new IllegalArgumentException("the round-trip tests use plain or linear RoPE");
        }
        return new ReferenceLm.Llama(c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), c.vocabSize(), c.rmsNormEps(), invFreq, c.qkNorm(), c.tieWordEmbeddings());
    }

    static Map<String, double[]> toDouble(Map<String, Tensor> weights) {
        Map<String, double[]> out = new HashMap<>();
        weights.forEach((name, t) -> {
            float[] f = t.toArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            out.put(name, d);
        });
        return out;
    }

    static int[] positions(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    /** Same names, same shapes, bit-identical values. */
    static void assertSameWeights(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(actual.keySet()));
        expected.forEach((name, t) -> {
            assertArrayEquals(t.shape(), actual.get(name).shape(), name);
            assertArrayEquals(bits(t.toArray()), bits(actual.get(name).toArray()), name);
        });
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    /**
     * float32 → bfloat16 → float32, round to nearest even: written here from the bit layout (top 16 bits
     * kept), independently of the safetensors codec. The test weights are finite.
     */
    static float bf16(float x) {
        int b = Float.floatToRawIntBits(x);
        int rounded = b + 0x7FFF + ((b >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    /** Copies of {@code weights} rounded to BF16. */
    static Map<String, Tensor> bf16(Map<String, Tensor> weights) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        weights.forEach((name, t) -> {
            float[] v = t.toArray();
            for (int i = 0; i < v.length; i++) v[i] = bf16(v[i]);
            out.put(name, Tensor.of(v, t.shape()));
        });
        return out;
    }

    /** Every tensor of a folder's checkpoint by its stored name, widened to float32. */
    static Map<String, Tensor> readAll(Path folder) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsSource src = SafetensorsSource.openFolder(folder)) {
            for (String name : src.names()) out.put(name, src.readTensor(name));
        }
        return out;
    }

    /** Rewrites a folder's single {@code model.safetensors} as F32 with its tensors changed by {@code edit}. */
    static void rewrite(Path folder, UnaryOperator<Map<String, Tensor>> edit) throws IOException {
        Map<String, Tensor> tensors = edit.apply(readAll(folder));
        SafetensorsWriter.write(folder.resolve(SafetensorsSource.SINGLE_FILE),
                SafetensorsWriter.entries(tensors, DType.F32));
    }
}
