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
import dev.align4j.models.ScoreModel;
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

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JsonLines.MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The adapter's {@code base_model_name_or_path} and {@code task_type} ("CAUSAL_LM", "SEQ_CLS", ...). */
    public record Base(String modelNameOrPath, String taskType) {}

    /**
     * What an adapter was trained on: its {@code base_model_name_or_path} and {@code task_type}.
     *
     * @throws IllegalArgumentException naming the file when it is not JSON or has no base model
     */
    public static Base base(Path folder) throws IOException {
        Path file = folder.resolve(CONFIG);
        JsonNode c = readJson(file);
        String base = c.path("base_model_name_or_path").asText("");
        if (base.isBlank()) throw new IllegalArgumentException(file + ": base_model_name_or_path is missing; the base model is unknown");
        return new Base(base, c.path("task_type").asText("CAUSAL_LM"));
    }

    /** The adapter's config, with a regex {@code target_modules} resolved against {@code model}'s layers. */
    public static LoraConfig readConfig(Path folder, CausalLM model) throws IOException {
        Path file = folder.resolve(CONFIG);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(folder + ": no " + CONFIG + "; not a PEFT adapter folder");
        JsonNode c = readJson(file);
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

    /**
     * Attaches a sequence classifier's adapter (PEFT's {@code SEQ_CLS}: LoRA on the transformer, the
     * {@code score} head saved whole) to a score model: the adapters onto its transformer, the saved
     * head copied into the model's.
     *
     * @throws IllegalArgumentException naming the file when the adapter has no score head
     */
    public static LoraModel loadScoreAdapter(ScoreModel model, Path folder) throws IOException {
        LoraConfig c = readConfig(folder, model.backbone());
        List<String> modules = new ArrayList<>(c.modulesToSave());
        modules.removeAll(TaskHead.sequenceClassifier(model.head()).modules());
        Map<String, Tensor> weights = new LinkedHashMap<>(readWeights(folder));
        Tensor score = weights.remove(LoraModel.PREFIX + ScoreModel.SCORE);
        if (score == null || score.numel() != model.head().numel()) {
            throw new IllegalArgumentException(folder.resolve(WEIGHTS) + ": no " + LoraModel.PREFIX + ScoreModel.SCORE + " of "
                    + model.head().numel() + " values; a reward or value model's adapter saves its score head (task_type SEQ_CLS)");
        }
        LoraModel lora;
        try {
            lora = LoraModel.load(model.backbone(), new LoraConfig(c.r(), c.loraAlpha(), c.loraDropout(), c.targetModules(), c.useRslora(),
                    modules), weights);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(folder.resolve(WEIGHTS) + ": " + e.getMessage(), e);
        }
        Tensor head = model.head();
        System.arraycopy(score.storage(), score.offset(), head.storage(), head.offset(), head.numel());
        return lora;
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
        save(lora, folder, baseModelNameOrPath, TaskHead.CAUSAL_LM);
    }

    /**
     * The task head saved beside the adapters: PEFT's {@code task_type}, the head modules it adds to
     * {@code modules_to_save}, and their tensors by PEFT name ({@code base_model.model.score.weight}).
     * A sequence classifier's head ({@code SEQ_CLS}) is trained in full and saved with the adapters;
     * PEFT lists {@code classifier} and {@code score} for it.
     */
    public record TaskHead(String taskType, List<String> modules, Map<String, Tensor> tensors) {
        public static final TaskHead CAUSAL_LM = new TaskHead("CAUSAL_LM", List.of(), Map.of());

        /** A reward or value model's {@code score} head. */
        public static TaskHead sequenceClassifier(Tensor score) {
            return new TaskHead("SEQ_CLS", List.of("classifier", "score"), Map.of(LoraModel.PREFIX + "score.weight", score));
        }
    }

    /** Writes {@code lora} and a task head's tensors as a PEFT adapter folder of that task. */
    public static void save(LoraModel lora, Path folder, String baseModelNameOrPath, TaskHead head) throws IOException {
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
        List<String> modules = new ArrayList<>(head.modules());
        for (String m : c.modulesToSave()) if (!modules.contains(m)) modules.add(m);
        if (modules.isEmpty()) o.putNull("modules_to_save");
        else modules.forEach(o.putArray("modules_to_save")::add);
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
        o.put("task_type", head.taskType());
        o.put("use_dora", false);
        o.put("use_rslora", c.useRslora());
        AtomicFiles.writeString(folder.resolve(CONFIG), o.toPrettyString() + "\n");
        Path tmp = folder.resolve("." + WEIGHTS + ".tmp");
        Map<String, Tensor> tensors = new LinkedHashMap<>(lora.trainableParameters());
        tensors.putAll(head.tensors());
        SafetensorsWriter.write(tmp, SafetensorsWriter.entries(tensors, DType.F32), SafetensorsWriter.PT_METADATA);
        Files.move(tmp, folder.resolve(WEIGHTS), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
