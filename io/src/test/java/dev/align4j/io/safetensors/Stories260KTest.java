package dev.align4j.io.safetensors;

import dev.align4j.io.hf.HfConfig;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real stories260K checkpoint (shared/fixtures/models/stories260K): names and shapes follow its
 * config.json, values are finite, and a few values and sums equal what numpy reads from the same
 * bytes ({@code np.frombuffer(..., '<f4')}, sums in float64).
 */
class Stories260KTest {

    private static Path folder() {
        Path fixtures = RawFiles.fixtures();
        Path folder = fixtures == null ? null : fixtures.resolve("models/stories260K");
        assumeTrue(folder != null && Files.isRegularFile(folder.resolve("model.safetensors")),
                "SKIPPED: shared/fixtures/models/stories260K not found beside the repository root");
        return folder;
    }

    @Test
    void namesAndShapesFollowTheConfig() throws IOException {
        Path folder = folder();
        HfConfig config = HfConfig.read(folder.resolve("config.json"));
        int hidden = config.getInt("hidden_size");
        int layers = config.getInt("num_hidden_layers");
        int vocab = config.getInt("vocab_size");
        int inter = config.getInt("intermediate_size");
        int kv = config.getInt("num_key_value_heads") * config.getInt("head_dim");
        assertEquals("llama", config.modelType());
        assertEquals(List.of(64, 5, 512), List.of(hidden, layers, vocab));
        assertTrue(config.getBoolean("tie_word_embeddings"));

        List<String> expected = new ArrayList<>(List.of("model.embed_tokens.weight", "model.norm.weight"));
        try (SafetensorsSource src = SafetensorsSource.openFolder(folder)) {
            SafetensorsFile file = (SafetensorsFile) src;
            assertEquals("pt", file.metadata().get("format"));
            shape(src, "model.embed_tokens.weight", vocab, hidden);
            shape(src, "model.norm.weight", hidden);
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                shape(src, p + "input_layernorm.weight", hidden);
                shape(src, p + "post_attention_layernorm.weight", hidden);
                shape(src, p + "self_attn.q_proj.weight", hidden, hidden);
                shape(src, p + "self_attn.k_proj.weight", kv, hidden);
                shape(src, p + "self_attn.v_proj.weight", kv, hidden);
                shape(src, p + "self_attn.o_proj.weight", hidden, hidden);
                shape(src, p + "mlp.gate_proj.weight", inter, hidden);
                shape(src, p + "mlp.up_proj.weight", inter, hidden);
                shape(src, p + "mlp.down_proj.weight", hidden, inter);
                for (String n : List.of("input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj",
                        "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")) {
                    expected.add(p + n + ".weight");
                }
            }
            assertFalse(src.contains("lm_head.weight"), "tied embeddings: no lm_head.weight");
            assertEquals(expected.stream().sorted().toList(), src.names().stream().sorted().toList());
            long params = 0;
            for (String name : src.names()) {
                assertEquals(DType.F32, src.info(name).dtype());
                for (float v : src.readFloats(name)) assertTrue(Float.isFinite(v), name);
                params += src.info(name).numel();
            }
            assertEquals(260_032, params);
        }
    }

    @Test
    void valuesEqualWhatNumpyReads() throws IOException {
        try (SafetensorsSource src = SafetensorsSource.openFolder(folder())) {
            Tensor emb = src.readTensor("model.embed_tokens.weight");
            assertArrayEquals(new float[] {-0.29474878311157227f, 0.5618956089019775f, 0.1754225343465805f},
                    new float[] {emb.get(0, 0), emb.get(0, 1), emb.get(0, 2)});
            assertEquals(-0.4240326f, emb.get(511, 63));
            assertEquals(-752.3677446640068, sum(emb.toArray()), 1e-9);
            assertEquals(115.95276230573654, sum(src.readFloats("model.norm.weight")), 1e-9);
            Tensor q = src.readTensor("model.layers.4.self_attn.q_proj.weight");
            assertEquals(-0.18901382f, q.get(63, 63));
            assertEquals(2.187665213362834, sum(q.toArray()), 1e-9);
        }
    }

    private static double sum(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return s;
    }

    private static void shape(SafetensorsSource src, String name, long... shape) {
        assertArrayEquals(shape, src.info(name).shape(), name);
    }
}
