package dev.align4j.io.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.AtomicFiles;
import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsFile;
import dev.align4j.io.safetensors.SafetensorsWriter;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * PEFT adapter folders: {@code adapter_config.json} and {@code adapter_model.safetensors}, as
 * {@code PeftModel.save_pretrained} writes them and {@code PeftModel.from_pretrained} reads them
 * (peft/config.py, peft/utils/save_and_load.py). Tensor names are
 * {@code base_model.model.<module path>.lora_A.weight} / {@code .lora_B.weight}, and a module to
 * save keeps its parameter names under {@code base_model.model.} (PEFT strips its
 * {@code modules_to_save.default} wrapper on save). The golden adapters made by PEFT itself
 * ({@code dev/make_golden_lora.py}) load here and give PEFT's log-probs.
 *
 * <p>{@code target_modules} may be a list of names or a string: {@code "all-linear"}, or a regular
 * expression matched against whole module paths ({@code re.fullmatch}, as PEFT does). What it is not:
 * a reader of other PEFT types (prefix tuning, IA³…), DoRA, LoRA biases, or rank/alpha patterns — such
 * folders are rejected with the field named, never loaded half right.
 */
public final class PeftAdapters {
    private PeftAdapters() {}

    public static final String CONFIG = "adapter_config.json", WEIGHTS = "adapter_model.safetensors";

    /** Whether {@code folder} holds a PEFT adapter. */
    public static boolean isAdapter(Path folder) {
        return Files.isRegularFile(folder.resolve(CONFIG));
    }

    /** The adapter's config, with a regex {@code target_modules} resolved against {@code model}'s layers. */
    public static LoraConfig readConfig(Path folder, CausalLM model) throws IOException {
        Path file = folder.resolve(CONFIG);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(folder + ": no " + CONFIG + "; not a PEFT adapter folder");
        JsonNode c;
        try {
            c = JsonLines.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        String type = c.path("peft_type").asText("");
        if (!type.equals("LORA")) throw new IllegalArgumentException(file + ": peft_type is \"" + type + "\"; only LORA adapters load here");
        if (c.path("use_dora").asBoolean(false)) throw new IllegalArgumentException(file + ": use_dora is true; DoRA is not supported");
        if (!c.path("bias").asText("none").equals("none")) {
            throw new IllegalArgumentException(file + ": bias is \"" + c.get("bias").asText() + "\"; only \"none\" is supported");
        }
        for (String pattern : new String[] {"rank_pattern", "alpha_pattern"}) {
            if (c.has(pattern) && c.get(pattern).isObject() && !c.get(pattern).isEmpty()) {
                throw new IllegalArgumentException(file + ": " + pattern + " is set; per-module ranks and alphas are not supported");
            }
        }
        if (!c.path("r").canConvertToInt()) throw new IllegalArgumentException(file + ": field r must be an integer");
        JsonNode targets = c.path("target_modules");
        List<String> modules = new ArrayList<>();
        if (targets.isArray()) {
            for (JsonNode t : targets) modules.add(t.asText());
        } else if (targets.isTextual() && targets.asText().equals("all-linear")) {
            modules.add("all-linear");
        } else if (targets.isTextual()) {
            Pattern regex = Pattern.compile(targets.asText());
            for (String path : model.linearLayers().keySet()) if (regex.matcher(path).matches()) modules.add(path);
            if (modules.isEmpty()) throw new IllegalArgumentException(file + ": target_modules \"" + targets.asText() + "\" matches no layer");
        } else {
            throw new IllegalArgumentException(file + ": field target_modules must be a list of names or a string");
        }
        List<String> toSave = new ArrayList<>();
        for (JsonNode m : c.path("modules_to_save")) toSave.add(m.asText());
        return new LoraConfig(c.get("r").asInt(), c.path("lora_alpha").asDouble(8), c.path("lora_dropout").asDouble(0), modules,
                c.path("use_rslora").asBoolean(false), toSave);
    }

    /** Attaches the adapter saved in {@code folder} to {@code model}. */
    public static LoraModel load(CausalLM model, Path folder) throws IOException {
        LoraConfig config = readConfig(folder, model);
        Map<String, Tensor> weights = readWeights(folder);
        try {
            return LoraModel.load(model, config, weights);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(folder.resolve(WEIGHTS) + ": " + e.getMessage(), e);
        }
    }

    /** The tensors of {@code folder/adapter_model.safetensors} by name, in float32. */
    public static Map<String, Tensor> readWeights(Path folder) throws IOException {
        Path file = folder.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(folder + ": no " + WEIGHTS);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                long[] shape = f.info(name).shape();
                int[] dims = new int[shape.length];
                for (int i = 0; i < dims.length; i++) dims[i] = Math.toIntExact(shape[i]);
                float[] values = new float[Math.toIntExact(f.info(name).numel())];
                f.readFloats(name, values, 0);
                weights.put(name, Tensor.of(values, dims));
            }
        }
        return weights;
    }

    /**
     * Writes {@code lora} as a PEFT adapter folder: adapter_config.json (the fields PEFT reads, with
     * {@code base_model_name_or_path}) and adapter_model.safetensors in float32, each file atomically.
     */
    public static void save(LoraModel lora, Path folder, String baseModelNameOrPath) throws IOException {
        Files.createDirectories(folder);
        LoraConfig c = lora.config();
        ObjectNode o = JsonLines.MAPPER.createObjectNode();
        o.putObject("alpha_pattern");
        o.putNull("auto_mapping");
        o.put("base_model_name_or_path", baseModelNameOrPath);
        o.put("bias", "none");
        o.put("fan_in_fan_out", lora.model().modelType().equals("gpt2"));
        o.put("inference_mode", true);
        o.put("init_lora_weights", true);
        o.putNull("layers_pattern");
        o.putNull("layers_to_transform");
        o.put("lora_alpha", c.loraAlpha());
        o.put("lora_dropout", c.loraDropout());
        if (c.modulesToSave().isEmpty()) o.putNull("modules_to_save");
        else c.modulesToSave().forEach(o.putArray("modules_to_save")::add);
        o.put("peft_type", "LORA");
        o.put("r", c.r());
        o.putObject("rank_pattern");
        o.putNull("revision");
        if (c.targetModules().equals(List.of("all-linear"))) {
            o.put("target_modules", "all-linear");
        } else {
            ArrayNode targets = o.putArray("target_modules");
            c.targetModules().forEach(targets::add);
        }
        o.put("task_type", "CAUSAL_LM");
        o.put("use_dora", false);
        o.put("use_rslora", c.useRslora());
        AtomicFiles.writeString(folder.resolve(CONFIG), o.toPrettyString() + "\n");
        Path tmp = folder.resolve("." + WEIGHTS + ".tmp");
        SafetensorsWriter.write(tmp, SafetensorsWriter.entries(lora.trainableParameters(), DType.F32), SafetensorsWriter.PT_METADATA);
        Files.move(tmp, folder.resolve(WEIGHTS), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
