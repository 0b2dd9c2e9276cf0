package dev.align4j.io.hf;

import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsSource;
import dev.align4j.io.safetensors.SafetensorsWriter;
import dev.align4j.io.safetensors.TensorInfo;
import dev.align4j.models.CausalLM;
import dev.align4j.models.Quantization;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads and saves causal language models as Hugging Face model folders: {@code config.json} plus
 * {@code model.safetensors} (or shards and {@code model.safetensors.index.json}).
 *
 * <p>What it is: {@link #load} reads the config ({@link HfArchitecture#fromConfig}), opens the weights
 * ({@link SafetensorsSource#openFolder}), maps the stored names through the one table of layout fixes
 * ({@link CheckpointNames}), checks every name and shape against the config before reading any data
 * (errors name the folder, the tensor and both shapes), and widens F32, BF16 and F16 tensors to float32, or
 * keeps the weight matrices frozen in BF16 when {@link LoadOptions} asks, and quantises the linear layers to 4 bits
 * as they are read when it asks for {@code load_in_4bit}.
 * {@link #save} writes what transformers' {@code save_pretrained} writes for the same model: the tensor
 * names of the causal-LM class ({@code transformer.}-prefixed for {@code GPT2LMHeadModel},
 * {@code model.}-prefixed for the Llama family, {@code lm_head.weight} only when untied), F32 or BF16,
 * metadata {@code {"format": "pt"}}, sharded above {@link SaveOptions#maxShardBytes()}, and a config.json
 * ({@link ArchitectureWriter}) that keeps the other fields of the config the model was loaded with.
 *
 * <p>What it is not: a reader of {@code pytorch_model.bin} (pickle), or a downloader. A save is atomic per file (each is written under a
 * temporary name and renamed) and checks everything it can before writing anything, so a failed save
 * leaves no half-written file; it is not a transaction over the folder: weights are written first, then
 * config.json, then the tokenizer files. A model with 4-bit weights is not saved (a clear error: what
 * a QLoRA run writes is its adapter).
 */
public final class HfModels {
    private HfModels() {}

    /**
     * Files copied by {@link #save} from {@link SaveOptions#tokenizerSource()} when present: what a
     * tokenizer's {@code save_pretrained} writes (fast and slow tokenizers, chat templates) and
     * {@code generation_config.json}.
     */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json", "chat_template.jinja", "chat_template.json", "tokenizer.model",
            "vocab.json", "merges.txt", "generation_config.json");

    /**
     * A new model of the architecture {@code config} describes, initialised to train from scratch
     * ({@link Weights#initialized}, std = {@code initializer_range}, default 0.02); {@code folder}
     * is recorded as where its tokenizer files come from.
     */
    public static LoadedModel initialize(HfConfig config, Path folder, long seed) {
        HfArchitecture arch = HfArchitecture.fromConfig(config);
        int layers = config.getInt(arch.modelType().equals("gpt2") ? "n_layer" : "num_hidden_layers");
        var weights = dev.align4j.models.Weights.initialized(arch.parameterShapes(), seed, config.getDouble("initializer_range", 0.02),
                layers, arch.modelType().equals("gpt2") ? List.of("attn.c_proj.weight", "mlp.c_proj.weight") : List.of());
        return new LoadedModel(arch.newModel(weights), config, folder, java.util.Map.of());
    }

    /** The config file of a model folder. */
    public static final String CONFIG_FILE = "config.json";

    /** Loads the model of a Hugging Face folder, every parameter in float32. */
    public static LoadedModel load(Path folder) throws IOException {
        return load(folder, LoadOptions.defaults());
    }

    /**
     * Loads the model of a Hugging Face folder, its weight matrices stored as {@code options} says. Frozen
     * BF16 matrices read from BF16 files view the mapped files, which stay mapped while the model is
     * reachable ({@link SafetensorsSource.Lifetime#WHILE_REACHABLE}).
     */
    public static LoadedModel load(Path folder, LoadOptions options) throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException(folder.toAbsolutePath() + ": no " + CONFIG_FILE + "; expected a Hugging Face "
                    + "model folder (config.json with model.safetensors or model.safetensors.index.json)");
        }
        HfConfig config = HfConfig.read(configFile);
        return read(folder, options, config, HfArchitecture.fromConfig(config), List.of()).model();
    }

    /**
     * What {@link #read} returns: the model, and the tensors it was asked to set aside (float32, by
     * stored name; a name the checkpoint lacks is absent).
     */
    record Read(LoadedModel model, Map<String, Tensor> setAside) {}

    /**
     * Reads {@code folder}'s weights into a model of {@code arch}: the names mapped by
     * {@link CheckpointNames} and checked against the architecture, except the stored tensors named
     * in {@code setAside}, read as float32 and returned beside the model (a score model's
     * {@code score.weight}).
     */
    static Read read(Path folder, LoadOptions options, HfConfig config, HfArchitecture arch, List<String> setAside) throws IOException {
        boolean bf16 = options.matrices() == LoadOptions.Matrices.FROZEN_BF16;
        Quantization q4 = options.quantization();
        Set<String> quantised = new HashSet<>();
        if (q4 != null) for (String path : arch.linearLayerPaths()) quantised.add(path + ".weight");
        try (SafetensorsSource source = SafetensorsSource.openFolder(folder,
                bf16 ? SafetensorsSource.Lifetime.WHILE_REACHABLE : SafetensorsSource.Lifetime.UNTIL_CLOSED)) {
            List<String> stored = new ArrayList<>(source.names());
            Map<String, Tensor> aside = new LinkedHashMap<>();
            for (String name : setAside) if (stored.remove(name)) aside.put(name, source.readTensor(name));
            CheckpointNames.Mapping mapping = CheckpointNames.map(arch, stored, folder.toString());
            requireWeights(folder, arch, mapping.names(), source);
            Map<String, Tensor> weights = new LinkedHashMap<>();
            mapping.names().forEach((name, storedName) -> {
                TensorInfo info = source.info(storedName);
                if (quantised.contains(name)) { // read as stored (a BF16 file in place), quantised, the float copy dropped
                    Tensor w = info.dtype() == DType.BF16 ? Tensor.frozenBf16(source.readBf16(storedName), info.intShape())
                            : source.readTensor(storedName);
                    weights.put(name, q4.quantize(w.named(name)));
                } else {
                    weights.put(name, bf16 && info.shape().length >= 2
                            ? Tensor.frozenBf16(source.readBf16(storedName), info.intShape()).named(storedName) : source.readTensor(storedName));
                }
            });
            return new Read(new LoadedModel(arch.newModel(weights), config, folder, mapping.ignored()), aside);
        }
    }

    /** Saves a loaded model, keeping the other fields of its config.json unless {@code options} names another. */
    public static void save(LoadedModel loaded, Path folder, SaveOptions options) throws IOException {
        save(loaded.model(), folder, options.baseConfig() == null ? options.withBaseConfig(loaded.config()) : options);
    }

    /** Saves {@code model} into {@code folder} (created if needed) as transformers' {@code save_pretrained} would. */
    public static void save(CausalLM model, Path folder, SaveOptions options) throws IOException {
        HfArchitecture arch = HfArchitecture.of(model);
        write(folder, model.parameters(), ArchitectureWriter.write(arch, options.baseConfig(), options.dtype()), options);
    }

    /**
     * Writes {@code parameters} and {@code config} as a model folder, with the tokenizer files of
     * {@code options}: every check before the first file, then weights, config.json, tokenizer files.
     */
    static void write(Path folder, Map<String, Tensor> parameters, com.fasterxml.jackson.databind.node.ObjectNode config,
                      SaveOptions options) throws IOException {
        for (var e : parameters.entrySet()) {
            if (e.getValue().is4Bit()) {
                throw new IllegalArgumentException("HfModels.save: " + e.getKey() + " is a frozen 4-bit weight (load_in_4bit); align4j "
                        + "does not write bitsandbytes' 4-bit checkpoints. Save the LoRA adapter instead (a QLoRA run's output), "
                        + "or load the base without load_in_4bit to save or merge it");
            }
        }
        String json = HfJson.dumps(config) + "\n";
        List<Path> tokenizerFiles = tokenizerFiles(options.tokenizerSource(), folder);
        Files.createDirectories(folder);
        SafetensorsWriter.writeSharded(folder, SafetensorsWriter.entries(parameters, options.dtype()), options.maxShardBytes());
        AtomicFiles.writeString(folder.resolve(CONFIG_FILE), json);
        for (Path file : tokenizerFiles) {
            byte[] bytes = Files.readAllBytes(file);
            AtomicFiles.write(folder.resolve(file.getFileName().toString()), channel -> {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) channel.write(buf);
            });
        }
    }

    /** The tokenizer files to copy: none without a source or when it is the target folder itself. */
    private static List<Path> tokenizerFiles(Path source, Path target) throws IOException {
        if (source == null) return List.of();
        if (!Files.isDirectory(source)) {
            throw new IllegalArgumentException("HfModels.save: tokenizer source " + source.toAbsolutePath() + " is not a folder");
        }
        List<Path> files = new ArrayList<>();
        for (String name : TOKENIZER_FILES) {
            if (Files.isRegularFile(source.resolve(name))) files.add(source.resolve(name));
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("HfModels.save: no tokenizer files in " + source.toAbsolutePath()
                    + " (looked for " + TOKENIZER_FILES + ")");
        }
        return Files.isDirectory(target) && Files.isSameFile(source, target) ? List.of() : files;
    }

    /** Every expected name present, nothing else, every shape as the config says: checked on the headers. */
    private static void requireWeights(Path folder, HfArchitecture arch, Map<String, String> names, SafetensorsSource source) {
        Map<String, int[]> expected = arch.parameterShapes();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>();
        for (String name : expected.keySet()) if (!names.containsKey(name)) missing.add(name);
        names.forEach((name, stored) -> {
            if (!expected.containsKey(name)) unexpected.add(stored);
        });
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(folder + ": the weights do not match " + CONFIG_FILE
                    + " (" + arch.className() + "): "
                    + (missing.isEmpty() ? "" : "missing " + abbreviate(missing))
                    + (!missing.isEmpty() && !unexpected.isEmpty() ? "; " : "")
                    + (unexpected.isEmpty() ? "" : "unexpected " + abbreviate(unexpected))
                    + ". Is config.json from another model, or the checkpoint incomplete?");
        }
        expected.forEach((name, shape) -> {
            String stored = names.get(name);
            long[] actual = source.info(stored).shape();
            if (!Arrays.equals(actual, Arrays.stream(shape).asLongStream().toArray())) {
                throw new IllegalArgumentException(folder + ": tensor " + name
                        + (stored.equals(name) ? "" : " (stored as " + stored + ")")
                        + " has shape " + Arrays.toString(actual) + " in the checkpoint but " + CONFIG_FILE + " needs "
                        + Arrays.toString(shape) + ". Is config.json from another model?");
            }
        });
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 6 ? names.toString() : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
    }
}
