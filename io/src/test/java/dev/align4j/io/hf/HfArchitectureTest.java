package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.safetensors.DType;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * config.json → architecture with transformers' defaults, RoPE in its legacy and current forms, loud
 * errors for what align4j does not compute; and architecture → config.json, over a base config or not.
 * Expected defaults are those of transformers' configuration classes (5.18, equal to 4.x's).
 */
class HfArchitectureTest {

    private static HfArchitecture read(String json) {
        return HfArchitecture.fromConfig(HfConfig.parse(json, "config.json"));
    }

    private static LlamaConfig llama(String json) {
        return ((HfArchitecture.Llama) read(json)).config();
    }

    private static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> read(json)).getMessage();
    }

    @Test
    void emptyConfigsTakeEachClassDefaults() {
        assertEquals(new HfArchitecture.Gpt2(Gpt2Config.small()), read("{\"model_type\": \"gpt2\"}"), "n_inner null → 4·n_embd");
        assertEquals(new LlamaConfig("llama", 32000, 4096, 11008, 32, 32, 32, 128, 1e-6, 10000, RopeScaling.NONE, 2048,
                false, false, false, false, false, 0), llama("{\"model_type\": \"llama\"}"));
        assertEquals(new LlamaConfig("qwen2", 151936, 4096, 22016, 32, 32, 32, 128, 1e-6, 10000, RopeScaling.NONE, 32768,
                false, true, false, false, false, 0), llama("{\"model_type\": \"qwen2\"}"), "q, k, v biases; no window");
        assertEquals(new LlamaConfig("qwen3", 151936, 4096, 22016, 32, 32, 32, 128, 1e-6, 10000, RopeScaling.NONE, 32768,
                false, false, false, false, true, 0), llama("{\"model_type\": \"qwen3\"}"));
        assertEquals(new LlamaConfig("mistral", 32000, 4096, 14336, 32, 32, 8, 128, 1e-6, 10000, RopeScaling.NONE, 131072,
                false, false, false, false, false, 4096), llama("{\"model_type\": \"mistral\"}"), "sliding_window 4096");
    }

    @Test
    void fieldsOverrideDefaultsAndNullsMeanWhatTheyMeanToTransformers() {
        LlamaConfig c = llama("""
                {"model_type": "qwen3", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": null,
                 "head_dim": null, "attention_bias": true, "tie_word_embeddings": true}""");
        assertEquals(4, c.numKeyValueHeads(), "null → as many as the query heads");
        assertEquals(16, c.headDim(), "null → hidden_size / heads (a missing head_dim is Qwen3's 128)");
        assertTrue(c.qkvBias() && c.oBias() && !c.mlpBias() && c.qkNorm() && c.tieWordEmbeddings());
        assertEquals(0, llama("{\"model_type\": \"mistral\", \"sliding_window\": null}").slidingWindow());
        assertEquals(8, llama("{\"model_type\": \"mistral\", \"num_attention_heads\": 8, \"hidden_size\": 64}").numKeyValueHeads());
        LlamaConfig l = llama("{\"model_type\": \"llama\", \"attention_bias\": true, \"mlp_bias\": true, \"head_dim\": 64}");
        assertTrue(l.qkvBias() && l.oBias() && l.mlpBias() && !l.qkNorm());
        assertEquals(64, l.headDim());
        assertFalse(llama("{\"model_type\": \"qwen2\", \"attention_bias\": true}").oBias(), "Qwen2's o_proj never has a bias");
        assertFalse(llama("{\"model_type\": \"mistral\", \"attention_bias\": true}").qkvBias(), "Mistral has no biases");
        Gpt2Config g = ((HfArchitecture.Gpt2) read("""
                {"model_type": "gpt2", "n_embd": 64, "n_inner": null, "n_head": 2, "activation_function": "gelu_pytorch_tanh"}""")).config();
        assertEquals(256, g.nInner());
        assertEquals("gelu_pytorch_tanh", g.activationFunction());
    }

    @Test
    void qwenWindowsOnlyWithUseSlidingWindowAndLayersPastMaxWindowLayers() {
        assertEquals(0, llama("{\"model_type\": \"qwen2\", \"sliding_window\": 128}").slidingWindow());
        assertEquals(0, llama("{\"model_type\": \"qwen2\", \"use_sliding_window\": true, \"num_hidden_layers\": 24}").slidingWindow(),
                "max_window_layers 28 ≥ 24 layers: no layer windows");
        assertEquals(128, llama("""
                {"model_type": "qwen3", "use_sliding_window": true, "sliding_window": 128, "max_window_layers": 2,
                 "num_hidden_layers": 4}""").slidingWindow());
    }

    @Test
    void ropeInEveryFormTransformersWrites() {
        assertEquals(500000, llama("{\"model_type\": \"llama\", \"rope_theta\": 500000, \"rope_scaling\": null}").ropeTheta());
        LlamaConfig legacyLinear = llama("{\"model_type\": \"llama\", \"rope_theta\": 1e6, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4}}");
        assertEquals(RopeScaling.linear(4), legacyLinear.ropeScaling());
        assertEquals(1e6, legacyLinear.ropeTheta());
        LlamaConfig llama31 = llama("""
                {"model_type": "llama", "rope_theta": 500000.0, "max_position_embeddings": 131072,
                 "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}""");
        assertEquals(RopeScaling.llama3(8, 1, 4, 8192), llama31.ropeScaling());
        LlamaConfig v5 = llama("""
                {"model_type": "llama", "max_position_embeddings": 4096, "rope_scaling": {},
                 "rope_parameters": {"rope_type": "llama3", "rope_theta": 250000.0, "factor": 32.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0}}""");
        assertEquals(RopeScaling.llama3(32, 1, 4, 4096), v5.ropeScaling(), "original_max_position_embeddings defaults to max_position_embeddings");
        assertEquals(250000, v5.ropeTheta(), "rope_theta inside rope_parameters");
        assertEquals(RopeScaling.NONE, llama("{\"model_type\": \"qwen2\", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1e6}}").ropeScaling());
        assertEquals(RopeScaling.NONE, llama("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"default\"}}").ropeScaling());
        assertEquals(3, llama("{\"model_type\": \"llama\", \"rope_theta\": 3, \"rope_parameters\": {\"rope_type\": \"default\"}}").ropeTheta(),
                "top-level rope_theta when rope_parameters has none");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dynamic", "yarn", "longrope", "su"})
    void otherRopeTypesAreRejected(String type) {
        String m = error("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"" + type + "\", \"factor\": 2.0}}");
        assertTrue(m.startsWith("config.json: rope_scaling type \"" + type + "\" is not supported; align4j implements RoPE types default, linear and llama3"), m);
    }

    @Test
    void unknownModelTypeNamesTheFileAndTheSupportedOnes() {
        assertEquals("config.json: model_type \"bert\" is not supported; align4j loads [gpt2, llama, qwen2, qwen3, mistral]",
                error("{\"model_type\": \"bert\"}"));
        assertEquals("config.json: missing required field model_type", error("{\"hidden_size\": 8}"));
    }

    @Test
    void wrongTypesNameTheFileAndTheField() {
        assertEquals("config.json: field hidden_size must be an integer, got \"64\"", error("{\"model_type\": \"llama\", \"hidden_size\": \"64\"}"));
        assertEquals("config.json: field rope_scaling.factor must be a number, got \"4\"",
                error("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"linear\", \"factor\": \"4\"}}"));
        assertEquals("config.json: field rope_parameters must be an object, got 10000.0",
                error("{\"model_type\": \"llama\", \"rope_parameters\": 10000.0}"));
        assertEquals("config.json: field tie_word_embeddings must be true or false, got 1",
                error("{\"model_type\": \"qwen3\", \"tie_word_embeddings\": 1}"));
        assertEquals("config.json: field n_inner must be an integer, got 3072.5", error("{\"model_type\": \"gpt2\", \"n_inner\": 3072.5}"));
        assertEquals("config.json: missing required field rope_scaling.factor", error("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"linear\"}}"));
    }

    @Test
    void whatAlign4jDoesNotComputeIsRejected() {
        assertEquals("config.json: hidden_act \"gelu\" (the gated MLP is implemented with silu) is not supported by align4j's llama model",
                error("{\"model_type\": \"llama\", \"hidden_act\": \"gelu\"}"));
        assertTrue(error("{\"model_type\": \"llama\", \"partial_rotary_factor\": 0.5}").contains("partial_rotary_factor other than 1"));
        assertTrue(error("{\"model_type\": \"gpt2\", \"scale_attn_by_inverse_layer_idx\": true}").contains("scale_attn_by_inverse_layer_idx true"));
        assertTrue(error("{\"model_type\": \"gpt2\", \"tie_word_embeddings\": false}").contains("a separate lm_head"));
        assertEquals("config.json: gpt2 config: activation_function \"relu\" is not supported; supported: gelu_new, "
                + "gelu_pytorch_tanh, gelu_fast (the tanh approximation)", error("{\"model_type\": \"gpt2\", \"activation_function\": \"relu\"}"));
        assertEquals("config.json: llama config: num_attention_heads must be positive, got 0",
                error("{\"model_type\": \"llama\", \"num_attention_heads\": 0}"));
        assertTrue(error("{\"model_type\": \"llama\", \"hidden_size\": 100, \"num_attention_heads\": 8}")
                .contains("hidden_size 100 is not a multiple of num_attention_heads 8 and there is no head_dim"));
        assertTrue(error("{\"model_type\": \"llama\", \"rope_parameters\": {\"full_attention\": {\"rope_type\": \"default\"}}}")
                .contains("one RoPE per layer type"));
    }

    @Test
    void writtenConfigsReadBackAsTheSameArchitecture() {
        for (HfArchitecture arch : new HfArchitecture[] {
                new HfArchitecture.Gpt2(new Gpt2Config(100, 64, 32, 2, 4, 48, 1e-6, "gelu_fast")),
                new HfArchitecture.Llama(new LlamaConfig("llama", 100, 64, 96, 2, 4, 1, 32, 1e-5, 5e5, RopeScaling.llama3(8, 1, 4, 64),
                        256, true, true, true, true, false, 0)),
                new HfArchitecture.Llama(new LlamaConfig("qwen2", 100, 64, 96, 2, 4, 2, 16, 1e-6, 1e6, RopeScaling.linear(2), 256,
                        false, true, false, false, false, 128)),
                new HfArchitecture.Llama(new LlamaConfig("qwen3", 100, 64, 96, 2, 4, 2, 32, 1e-6, 1e6, RopeScaling.NONE, 256,
                        true, true, true, false, true, 0)),
                new HfArchitecture.Llama(new LlamaConfig("mistral", 100, 64, 96, 2, 4, 2, 16, 1e-5, 1e6, RopeScaling.NONE, 256,
                        false, false, false, false, false, 0))}) {
            ObjectNode json = ArchitectureWriter.write(arch, null, DType.BF16);
            assertEquals(arch, read(json.toString()), json.toString());
            assertEquals("bfloat16", json.get("dtype").textValue());
            assertEquals(arch.className(), json.get("architectures").get(0).textValue());
        }
    }

    @Test
    void aBaseConfigThatStillDescribesTheModelIsKeptWhole() {
        HfConfig base = HfConfig.parse("""
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 1, "num_attention_heads": 8,
                 "num_key_value_heads": 4, "vocab_size": 512, "rope_theta": 10000.0, "rope_scaling": null, "bos_token_id": 1,
                 "torch_dtype": "float32", "architectures": ["LlamaModel"], "custom_field": [1, 2]}""", "config.json");
        HfArchitecture arch = HfArchitecture.fromConfig(base);
        ObjectNode out = ArchitectureWriter.write(arch, base, DType.BF16);
        ObjectNode expected = base.json();
        expected.put("dtype", "bfloat16").put("torch_dtype", "bfloat16").putArray("architectures").add("LlamaForCausalLM");
        assertEquals(expected, out, "legacy rope fields, token ids and unknown fields kept; dtype and class updated");

        HfArchitecture wider = new HfArchitecture.Llama(new LlamaConfig("llama", 1024, 64, 172, 1, 8, 4, 8, 1e-6, 5e5,
                RopeScaling.NONE, 2048, false, false, false, false, false, 0));
        ObjectNode replaced = ArchitectureWriter.write(wider, base, DType.F32);
        assertEquals(wider, read(replaced.toString()));
        assertFalse(replaced.has("rope_theta") || replaced.has("rope_scaling"), "legacy RoPE fields replaced by rope_parameters");
        assertEquals(500000.0, replaced.get("rope_parameters").get("rope_theta").doubleValue());
        assertEquals(1, replaced.get("bos_token_id").intValue());
        assertTrue(replaced.has("custom_field"));
    }

    @Test
    void whatTransformersCannotExpressIsAnError() {
        var qkNormLlama = new HfArchitecture.Llama(new LlamaConfig("llama", 100, 64, 96, 1, 4, 2, 16, 1e-5, 1e4, RopeScaling.NONE,
                256, false, false, false, false, true, 0));
        var qOnlyBias = new HfArchitecture.Llama(new LlamaConfig("mistral", 100, 64, 96, 1, 4, 2, 16, 1e-5, 1e4, RopeScaling.NONE,
                256, false, true, false, false, false, 0));
        for (HfArchitecture arch : new HfArchitecture[] {qkNormLlama, qOnlyBias}) {
            String m = assertThrows(IllegalArgumentException.class, () -> ArchitectureWriter.write(arch, null, DType.F32)).getMessage();
            assertTrue(m.startsWith("a " + arch.modelType() + " config.json cannot express "), m);
        }
        assertThrows(IllegalArgumentException.class, () -> SaveOptions.defaults().withDtype(DType.I32));
        assertThrows(IllegalArgumentException.class, () -> SaveOptions.defaults().withMaxShardBytes(0));
    }
}
