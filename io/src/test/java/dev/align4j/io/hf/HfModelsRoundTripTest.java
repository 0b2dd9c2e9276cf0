package dev.align4j.io.hf;

import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsSource;
import dev.align4j.models.CausalLM;
import dev.align4j.models.KvCache;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.llama.RopeScaling;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.align4j.io.hf.ModelFolders.assertClose;
import static dev.align4j.io.hf.ModelFolders.assertSameWeights;
import static dev.align4j.io.hf.ModelFolders.logProbs;
import static dev.align4j.io.hf.ModelFolders.referenceLogProbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random checkpoints made by align4j, saved and loaded back: log-probs against the independent float64
 * {@link dev.align4j.models.ReferenceLm} (1e-4, as the model parity tests), weights bit-exact, BF16 saves
 * equal to the reference run on BF16-rounded weights, sharded saves, GPT-2 without its prefix, tokenizer
 * files, and saves that fail before writing anything.
 */
class HfModelsRoundTripTest {
    @TempDir
    Path dir;

    private static final List<int[]> SEQUENCES = List.of(ids(1, 13), ids(2, 9), ids(3, 4));

    private static int[] ids(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(61);
        return ids;
    }

    /** One model of each kind, each with a feature of its own: biases, linear RoPE, q/k norms, ties, a window. */
    static Stream<CausalLM> models() {
        return Stream.of(
                Gpt2Model.random(new Gpt2Config(61, 24, 32, 2, 4, 80, 1e-5, "gelu_new"), 1, 0.2),
                LlamaModel.random(new LlamaConfig("llama", 61, 32, 48, 2, 4, 2, 8, 1e-5, 500000, RopeScaling.linear(4), 64,
                        false, true, true, true, false, 0), 2, 0.2),
                LlamaModel.random(LlamaConfig.tiny("qwen2", 61, 32, 2, 4, 1), 3, 0.2),
                LlamaModel.random(new LlamaConfig("qwen3", 61, 32, 48, 2, 4, 2, 16, 1e-6, 1e6, RopeScaling.NONE, 64,
                        true, false, false, false, true, 0), 4, 0.2),
                LlamaModel.random(new LlamaConfig("mistral", 61, 32, 48, 2, 4, 2, 8, 1e-5, 1e6, RopeScaling.NONE, 64,
                        false, false, false, false, false, 32), 5, 0.2));
    }

    @ParameterizedTest
    @MethodSource("models")
    void anF32SaveLoadsBitExactAndMatchesTheFloat64Reference(CausalLM model) throws IOException {
        HfModels.save(model, dir, SaveOptions.defaults());
        CausalLM loaded = HfModels.load(dir).model();
        assertSameWeights(model.parameters(), loaded.parameters());
        assertClose(referenceLogProbs(model, model.parameters(), SEQUENCES), logProbs(loaded, SEQUENCES), 1e-4, model.modelType());
        assertEquals(HfArchitecture.of(model), HfArchitecture.of(loaded));
    }

    @ParameterizedTest
    @MethodSource("models")
    void aBf16SaveHoldsRoundedWeightsAndMatchesTheReferenceOnThem(CausalLM model) throws IOException {
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.BF16));
        try (SafetensorsSource src = SafetensorsSource.openFolder(dir)) {
            for (String name : src.names()) assertEquals(DType.BF16, src.info(name).dtype(), name);
        }
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"dtype\": \"bfloat16\""));
        Map<String, Tensor> rounded = ModelFolders.bf16(model.parameters());
        CausalLM loaded = HfModels.load(dir).model();
        assertSameWeights(rounded, loaded.parameters());
        assertClose(referenceLogProbs(model, rounded, SEQUENCES), logProbs(loaded, SEQUENCES), 1e-4, model.modelType());
        // and saving the loaded BF16 model as BF16 again changes nothing
        Path again = dir.resolve("again");
        HfModels.save(HfModels.load(dir), again, SaveOptions.defaults().withDtype(DType.BF16));
        assertArrayEquals(Files.readAllBytes(dir.resolve("model.safetensors")), Files.readAllBytes(again.resolve("model.safetensors")));
    }

    @Test
    void anF16SaveIsWidenedOnLoad() throws IOException {
        CausalLM model = models().toList().get(1);
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.F16));
        assertTrue(Files.readString(dir.resolve("config.json")).contains("\"dtype\": \"float16\""));
        Map<String, Tensor> loaded = HfModels.load(dir).model().parameters();
        model.parameters().forEach((name, t) -> {
            float[] expected = t.toArray(), got = loaded.get(name).toArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(expected[i])), got[i], name);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("models")
    void aShardedSaveLoadsBitExact(CausalLM model) throws IOException {
        HfModels.save(model, dir, SaveOptions.defaults().withMaxShardBytes(8192));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
        try (var files = Files.list(dir)) {
            assertTrue(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count() > 2);
        }
        assertSameWeights(model.parameters(), HfModels.load(dir).model().parameters());
        // saving again unsharded replaces the shards: the folder never describes two checkpoints
        HfModels.save(model, dir, SaveOptions.defaults());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.safetensors"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void gpt2LoadsWithAndWithoutItsPrefix() throws IOException {
        CausalLM model = models().findFirst().orElseThrow();
        HfModels.save(model, dir, SaveOptions.defaults());
        Map<String, Tensor> stored = ModelFolders.readAll(dir);
        assertTrue(stored.keySet().stream().allMatch(n -> n.startsWith("transformer.")), "GPT2LMHeadModel names");
        assertFalse(stored.containsKey("lm_head.weight"), "tied: no lm_head.weight");
        ModelFolders.rewrite(dir, tensors -> {
            Map<String, Tensor> bare = new LinkedHashMap<>();
            tensors.forEach((n, t) -> bare.put(n.substring("transformer.".length()), t));
            return bare;
        });
        CausalLM loaded = HfModels.load(dir).model();
        assertSameWeights(model.parameters(), loaded.parameters());
        assertClose(referenceLogProbs(model, model.parameters(), SEQUENCES), logProbs(loaded, SEQUENCES), 1e-4, "no prefix");
    }

    @Test
    void aBaseModelCheckpointOfTheLlamaFamilyLoads() throws IOException {
        CausalLM tied = models().toList().get(3); // LlamaModel.save_pretrained of a tied Qwen3: names without model.
        HfModels.save(tied, dir, SaveOptions.defaults());
        ModelFolders.rewrite(dir, tensors -> {
            Map<String, Tensor> bare = new LinkedHashMap<>();
            tensors.forEach((n, t) -> bare.put(n.substring("model.".length()), t));
            return bare;
        });
        assertSameWeights(tied.parameters(), HfModels.load(dir).model().parameters());
    }

    @Test
    void llamaNamesAreThoseOfTheCausalLmClass() throws IOException {
        List<CausalLM> all = models().toList();
        HfModels.save(all.get(1), dir.resolve("untied"), SaveOptions.defaults());
        HfModels.save(all.get(3), dir.resolve("tied"), SaveOptions.defaults());
        Map<String, Tensor> untied = ModelFolders.readAll(dir.resolve("untied")), tied = ModelFolders.readAll(dir.resolve("tied"));
        assertTrue(untied.containsKey("lm_head.weight") && untied.containsKey("model.layers.1.self_attn.o_proj.bias"));
        assertFalse(tied.containsKey("lm_head.weight"));
        assertTrue(tied.containsKey("model.layers.0.self_attn.q_norm.weight"));
        for (String n : untied.keySet()) assertTrue(n.startsWith("model.") || n.equals("lm_head.weight"), n);
    }

    @Test
    void tokenizerAndGenerationFilesAreCopiedWhenAsked() throws IOException {
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve("tokenizer.json"), "{\"model\": {}}");
        Files.writeString(source.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        Files.writeString(source.resolve("chat_template.jinja"), "{{ messages }}");
        Files.writeString(source.resolve("generation_config.json"), "{\"eos_token_id\": 2}");
        Files.writeString(source.resolve("README.md"), "not a tokenizer file");
        Path target = dir.resolve("model");
        HfModels.save(models().toList().get(2), target, SaveOptions.defaults().withTokenizerFrom(source));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json")) {
            assertEquals(Files.readString(source.resolve(f)), Files.readString(target.resolve(f)), f);
        }
        assertFalse(Files.exists(target.resolve("README.md")));
        assertFalse(Files.exists(target.resolve("special_tokens_map.json")), "absent files are not invented");
        // saving into the tokenizer's own folder leaves its files as they are
        HfModels.save(models().toList().get(2), source, SaveOptions.defaults().withTokenizerFrom(source));
        assertEquals("{\"eos_token_id\": 2}", Files.readString(source.resolve("generation_config.json")));
    }

    @Test
    void aSaveThatCannotSucceedWritesNothing() throws IOException {
        Path target = dir.resolve("model");
        CausalLM model = models().toList().get(1);
        Path empty = Files.createDirectories(dir.resolve("empty"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> HfModels.save(model, target, SaveOptions.defaults().withTokenizerFrom(empty)));
        assertTrue(e.getMessage().contains("no tokenizer files in " + empty.toAbsolutePath()), e.getMessage());
        CausalLM foreign = new CausalLM() {
            public String modelType() { return "llama"; }
            public int vocabSize() { return 1; }
            public int hiddenSize() { return 1; }
            public Map<String, Tensor> parameters() { return Map.of(); }
            public Map<String, dev.align4j.models.Linear> linearLayers() { return Map.of(); }
            public void gradientCheckpointing(boolean enabled) {}
            public int contextLength() { return 1; }
            public KvCache newKvCache() { throw new UnsupportedOperationException(); }
            public Tensor hiddenStates(PackedBatch batch) { throw new UnsupportedOperationException(); }
            public Tensor hiddenStates(PackedBatch batch, KvCache cache, int[] slots) { throw new UnsupportedOperationException(); }
            public Tensor lmHead(Tensor hidden) { throw new UnsupportedOperationException(); }
        };
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HfModels.save(foreign, target, SaveOptions.defaults()))
                .getMessage().startsWith("no Hugging Face architecture for a "));
        CausalLM qkNormLlama = LlamaModel.random(new LlamaConfig("llama", 61, 32, 48, 1, 4, 2, 8, 1e-5, 1e4, RopeScaling.NONE, 64,
                false, false, false, false, true, 0), 6, 0.2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HfModels.save(qkNormLlama, target, SaveOptions.defaults()))
                .getMessage().startsWith("a llama config.json cannot express "));
        HfConfig otherType = HfConfig.read(ModelFolders.golden("qwen2").resolve("config.json"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HfModels.save(model, target,
                SaveOptions.defaults().withBaseConfig(otherType))).getMessage().contains("the base config is model_type \"qwen2\""));
        assertFalse(Files.exists(target), "nothing was written, not even the folder");
    }

    @Test
    void aConfigThatCannotBeReplacedLeavesNoTemporaryFile() throws IOException {
        Files.createDirectories(dir.resolve("config.json").resolve("occupied")); // a non-empty folder where config.json goes
        assertThrows(IOException.class, () -> HfModels.save(models().toList().get(2), dir, SaveOptions.defaults()));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.safetensors"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no .tmp file left behind; model.safetensors complete");
        }
        assertSameWeights(models().toList().get(2).parameters(), ModelFolders.readAll(dir));
    }
}
