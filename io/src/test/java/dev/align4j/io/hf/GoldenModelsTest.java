package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsSource;
import dev.align4j.io.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.align4j.io.hf.ModelFolders.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The golden folders that transformers made and saved ({@code dev/make_golden_models.py}): each loads and
 * gives transformers' per-token log-probs, and saving what was loaded writes what transformers wrote.
 *
 * <p>Tolerance 1e-4 (absolute, on log-probs around -5) for every golden, the BF16 one included: its
 * log-probs were computed by transformers in float32 from the BF16 weights widened, which is exactly what
 * the loader computes on; the remaining difference is float32 summation order (observed ~1e-6).
 */
class GoldenModelsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gpt2_noprefix", "llama", "llama_bf16", "llama_sharded", "qwen2", "qwen3", "mistral"})
    void logProbsMatchTransformers(String name) throws IOException {
        Path folder = golden(name);
        LoadedModel loaded = HfModels.load(folder);
        var expected = ModelFolders.Golden.read(folder);
        ModelFolders.assertClose(expected.logprobs(), ModelFolders.logProbs(loaded.model(), expected.sequences()), 1e-4, name);
        assertEquals(HfConfig.read(folder.resolve("config.json")).modelType(), loaded.model().modelType());
    }

    @Test
    void theHubsGpt2LayoutLoadsWithItsBuffersIgnored() throws IOException {
        LoadedModel loaded = HfModels.load(golden("gpt2_noprefix"));
        assertEquals(4, loaded.ignoredTensors().size(), loaded.ignoredTensors().toString());
        assertTrue(loaded.ignoredTensors().get("h.1.attn.masked_bias").contains("causal-mask buffers"));
        assertTrue(loaded.model().parameters().containsKey("transformer.h.1.attn.c_attn.weight"));
        assertEquals(Map.of(), HfModels.load(golden("gpt2")).ignoredTensors());
    }

    /** Saving what was loaded writes the same bytes as transformers' save_pretrained: weights and config.json. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "llama_bf16", "qwen2", "qwen3", "mistral"})
    void saveWritesTheFilesTransformersWrote(String name) throws IOException {
        Path folder = golden(name);
        DType dtype = name.endsWith("bf16") ? DType.BF16 : DType.F32;
        HfModels.save(HfModels.load(folder), dir, SaveOptions.defaults().withDtype(dtype));
        assertArrayEquals(Files.readAllBytes(folder.resolve("model.safetensors")), Files.readAllBytes(dir.resolve("model.safetensors")),
                "model.safetensors, byte for byte");
        assertEquals(Files.readString(folder.resolve("config.json")), Files.readString(dir.resolve("config.json")));
        assertEquals(List.of("config.json", "model.safetensors"), listing(dir));
    }

    @Test
    void aShardedSaveHoldsTheTensorsTransformersSharded() throws IOException {
        Path folder = golden("llama_sharded");
        HfModels.save(HfModels.load(folder), dir, SaveOptions.defaults().withMaxShardBytes(40_000));
        assertEquals(tensors(folder), tensors(dir));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        assertEquals(List.of("config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"), listing(dir));
        assertEquals(Files.readString(folder.resolve("config.json")), Files.readString(dir.resolve("config.json")));
    }

    /** The Hub's GPT-2 layout is saved as GPT2LMHeadModel saves: prefixed names, no buffers, its class in architectures. */
    @Test
    void theHubsGpt2LayoutIsSavedAsGpt2LmHeadModelSavesIt() throws IOException {
        Path folder = golden("gpt2_noprefix");
        HfModels.save(HfModels.load(folder), dir, SaveOptions.defaults());
        Map<String, String> expected = new TreeMap<>();
        tensors(folder).forEach((n, t) -> {
            if (!n.contains(".attn.bias") && !n.contains(".attn.masked_bias")) expected.put("transformer." + n, t);
        });
        assertEquals(expected, tensors(dir));
        ObjectNode config = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        config.putArray("architectures").add("GPT2LMHeadModel");
        assertEquals(HfJson.dumps(config) + "\n", Files.readString(dir.resolve("config.json")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gpt2_noprefix", "llama", "llama_bf16", "llama_sharded", "qwen2", "qwen3", "mistral"})
    void loadSaveLoadIsBitExact(String name) throws IOException {
        LoadedModel first = HfModels.load(golden(name));
        HfModels.save(first, dir, SaveOptions.defaults().withDtype(name.endsWith("bf16") ? DType.BF16 : DType.F32));
        ModelFolders.assertSameWeights(first.model().parameters(), HfModels.load(dir).model().parameters());
    }

    /**
     * A config written from the architecture alone (no base) has, in every field it writes, transformers'
     * value; the exceptions are fields transformers leaves out or writes as null where the value is implied.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3", "mistral"})
    void aFreshConfigAgreesWithTransformersConfig(String name) throws IOException {
        Path folder = golden(name);
        JsonNode theirs = JSON.readTree(folder.resolve("config.json").toFile());
        HfArchitecture arch = HfArchitecture.of(HfModels.load(folder).model());
        ObjectNode ours = ArchitectureWriter.write(arch, null, DType.F32);
        for (var field : ours.properties()) {
            String key = field.getKey();
            if (key.equals("n_inner")) {
                assertTrue(theirs.get(key).isNull(), "transformers writes n_inner null for 4·n_embd");
                assertEquals(4 * theirs.get("n_embd").intValue(), field.getValue().intValue());
            } else if (key.equals("head_dim") && !theirs.has(key)) {
                assertEquals(name, "qwen2", "only Qwen2's config has no head_dim field");
                assertEquals(theirs.get("hidden_size").intValue() / theirs.get("num_attention_heads").intValue(), field.getValue().intValue());
            } else {
                assertEquals(theirs.get(key), field.getValue(), key);
            }
        }
    }

    /** Stored name → "dtype shape" for every tensor of a folder (single file or shards). */
    private static Map<String, String> tensors(Path folder) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (SafetensorsSource src = SafetensorsSource.openFolder(folder)) {
            for (String n : src.names()) {
                TensorInfo info = src.info(n);
                out.put(n, info.dtype() + " " + Arrays.toString(info.shape()));
            }
        }
        return out;
    }

    private static List<String> listing(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
