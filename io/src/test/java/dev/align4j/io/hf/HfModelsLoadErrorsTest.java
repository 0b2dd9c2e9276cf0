package dev.align4j.io.hf;

import dev.align4j.io.safetensors.SafetensorsException;
import dev.align4j.models.CausalLM;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints that do not match their config: every error names the folder, the tensor and, for shapes,
 * both shapes; tensors that are not parameters (buffers, a tied head's copy) are ignored with a reason.
 */
class HfModelsLoadErrorsTest {
    @TempDir
    Path dir;

    private final LlamaModel llama = LlamaModel.random(LlamaConfig.tiny("llama", 50, 32, 2, 4, 2), 7, 0.2);

    @BeforeEach
    void saveLlama() throws IOException {
        HfModels.save(llama, dir, SaveOptions.defaults());
    }

    private String loadError() {
        return assertThrows(IllegalArgumentException.class, () -> HfModels.load(dir)).getMessage();
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        ModelFolders.rewrite(dir, t -> {
            t.remove("model.layers.1.mlp.up_proj.weight");
            return t;
        });
        assertEquals(dir + ": the weights do not match config.json (LlamaForCausalLM): missing [model.layers.1.mlp.up_proj.weight]."
                + " Is config.json from another model, or the checkpoint incomplete?", loadError());
    }

    @Test
    void anUnexpectedTensorIsNamed() throws IOException {
        ModelFolders.rewrite(dir, t -> {
            t.put("model.layers.0.self_attn.q_proj.bias", Tensor.zeros(32));
            return t;
        });
        assertEquals(dir + ": the weights do not match config.json (LlamaForCausalLM): unexpected [model.layers.0.self_attn.q_proj.bias]."
                + " Is config.json from another model, or the checkpoint incomplete?", loadError());
    }

    @Test
    void aWrongShapeNamesTheTensorAndBothShapes() throws IOException {
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"intermediate_size\": 85", "\"intermediate_size\": 86"));
        assertEquals(dir + ": tensor model.layers.0.mlp.gate_proj.weight has shape [85, 32] in the checkpoint but config.json needs"
                + " [86, 32]. Is config.json from another model?", loadError());
    }

    @Test
    void aWrongShapeOfARenamedTensorNamesBothNames() throws IOException {
        Gpt2Model gpt2 = Gpt2Model.random(new Gpt2Config(40, 16, 16, 1, 2, 32, 1e-5, "gelu_new"), 8, 0.2);
        HfModels.save(gpt2, dir, SaveOptions.defaults());
        ModelFolders.rewrite(dir, t -> {
            Map<String, Tensor> bare = new LinkedHashMap<>();
            t.forEach((n, v) -> bare.put(n.substring("transformer.".length()), n.endsWith("wpe.weight") ? Tensor.zeros(15, 16) : v));
            return bare;
        });
        assertEquals(dir + ": tensor transformer.wpe.weight (stored as wpe.weight) has shape [15, 16] in the checkpoint but"
                + " config.json needs [16, 16]. Is config.json from another model?", loadError());
    }

    @Test
    void buffersAndATiedHeadsCopyAreIgnoredWithTheirReason() throws IOException {
        LlamaModel tied = LlamaModel.random(new LlamaConfig("qwen3", 50, 32, 48, 1, 4, 2, 8, 1e-6, 1e4, null, 64, true,
                false, false, false, true, 0), 9, 0.2);
        HfModels.save(tied, dir, SaveOptions.defaults());
        ModelFolders.rewrite(dir, t -> {
            t.put("lm_head.weight", Tensor.zeros(50, 32)); // a stored copy, even a wrong one, is ignored as transformers does
            t.put("model.layers.0.self_attn.rotary_emb.inv_freq", Tensor.zeros(4));
            return t;
        });
        LoadedModel loaded = HfModels.load(dir);
        ModelFolders.assertSameWeights(tied.parameters(), loaded.model().parameters());
        assertEquals(2, loaded.ignoredTensors().size());
        assertTrue(loaded.ignoredTensors().get("lm_head.weight").startsWith("a tied head is the input embedding"));
        assertTrue(loaded.ignoredTensors().get("model.layers.0.self_attn.rotary_emb.inv_freq").startsWith("RoPE frequencies"));
    }

    @Test
    void anUntiedHeadIsAParameter() throws IOException {
        ModelFolders.rewrite(dir, t -> {
            t.remove("lm_head.weight");
            return t;
        });
        assertTrue(loadError().contains("missing [lm_head.weight]"));
    }

    @Test
    void aTensorStoredTwiceUnderTwoNamesIsAnError() throws IOException {
        ModelFolders.rewrite(dir, t -> {
            t.put("embed_tokens.weight", t.get("model.embed_tokens.weight"));
            return t;
        });
        assertEquals(dir + ": tensors \"embed_tokens.weight\" and \"model.embed_tokens.weight\" are both model.embed_tokens.weight"
                + " (a checkpoint with and without the model. prefix?); keep one", loadError());
    }

    @Test
    void aDtypeThatIsNotAFloatIsNamedWithItsTensor() throws IOException {
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, headerLength, StandardCharsets.ISO_8859_1);
        String f32 = "\"model.norm.weight\":{\"dtype\":\"F32\"";
        int at = header.indexOf(f32);
        assertTrue(at > 0);
        byte[] i32 = "\"model.norm.weight\":{\"dtype\":\"I32\"".getBytes(StandardCharsets.US_ASCII); // same width, same offsets
        System.arraycopy(i32, 0, bytes, 8 + at, i32.length);
        Files.write(file, bytes);
        var e = assertThrows(SafetensorsException.class, () -> HfModels.load(dir));
        assertEquals(file + ": tensor \"model.norm.weight\" has dtype I32, which align4j cannot read as float32 (it reads F32, BF16, F16)",
                e.getMessage());
    }

    @Test
    void aFolderWithoutConfigOrWeightsSaysWhatIsMissing() throws IOException {
        Files.delete(dir.resolve("model.safetensors"));
        assertTrue(assertThrows(SafetensorsException.class, () -> HfModels.load(dir)).getMessage()
                .startsWith(dir + ": neither model.safetensors nor model.safetensors.index.json found"));
        Files.delete(dir.resolve("config.json"));
        assertEquals(dir.toAbsolutePath() + ": no config.json; expected a Hugging Face model folder (config.json with"
                + " model.safetensors or model.safetensors.index.json)", loadError());
    }

    @Test
    void configErrorsNameTheConfigFile() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gemma3\"}");
        assertEquals(dir.resolve("config.json") + ": model_type \"gemma3\" is not supported; align4j loads "
                + "[gpt2, llama, qwen2, qwen3, mistral]", loadError());
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}");
        assertTrue(loadError().startsWith(dir.resolve("config.json") + ": rope_scaling type \"yarn\" is not supported"));
    }

    @Test
    void loadingDoesNotKeepTheFilesOpen() throws IOException {
        CausalLM model = HfModels.load(dir).model();
        HfModels.save(model, dir, SaveOptions.defaults()); // overwrite the files the model came from
        ModelFolders.assertSameWeights(llama.parameters(), HfModels.load(dir).model().parameters());
    }
}
