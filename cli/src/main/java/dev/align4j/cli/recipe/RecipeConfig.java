package dev.align4j.cli.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align4j.train.Configs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code align4j recipe} runs: the model, the data, the RL method, and each stage's trainer
 * config under its trainer's TRL names. Every key has a default, so no file at all runs the
 * built-in model on the built-in task world.
 *
 * <pre>
 * output_dir: recipe-out          # each stage's output folder, the state, report.html
 * model: path/to/model            # an HF model folder; default the built-in base model
 * task: arithmetic                # the built-in world's tasks (data synth) when no datasets are given
 * n: 12000                        # training problems per task
 * eval_n: 100                     # held-out problems per task
 * seed: 1
 * rl: grpo                        # grpo, ppo, dpo, kto, orpo, simpo, online-dpo, rloo, or none
 * eval: {limit: 100, max_gen_toks: 96, dataset: held-out.jsonl, preference: held-out-pairs.jsonl}
 * stages:
 *   sft: {max_steps: 200, dataset_name: my_sft.jsonl}   # any SFTConfig key
 *   reward: {skip: true}                                # or reuse: path/to/reward_model
 *   grpo: {learning_rate: 1.0e-5}                       # keys of the rl method's config
 * </pre>
 *
 * A stage's {@code skip: true} leaves it out; {@code reuse: DIR} takes DIR as its output without
 * training. Errors name the config file and the line at fault: an unknown key, a stage that does
 * not exist in this recipe, a value of the wrong kind.
 */
public final class RecipeConfig {
    public static final List<String> RL_METHODS = List.of("grpo", "ppo", "dpo", "kto", "orpo", "simpo", "online-dpo", "rloo", "none");
    private static final List<String> KEYS = List.of("output_dir", "model", "task", "n", "eval_n", "seed", "rl", "eval", "stages");
    private static final List<String> EVAL_KEYS = List.of("limit", "max_gen_toks", "dataset", "preference");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public Path outputDir = Path.of("recipe-out");
    /** An HF model folder; null for the built-in base model. */
    public Path model;
    public String task = "arithmetic";
    public int n = 12000;
    public int evalN = 100;
    public long seed = 1;
    public String rl = "grpo";
    public int evalLimit = 100;
    public int evalMaxGenToks = 96;
    /** Held-out rows (question, answer) and pairs; null for the built-in world's. */
    public Path evalDataset, evalPreference;
    /** Each stage's keys as given (skip and reuse included), by stage name. */
    public final Map<String, ObjectNode> stages = new LinkedHashMap<>();
    /** Where a key was read, for errors: "file, line N". */
    private final Map<String, String> lines = new LinkedHashMap<>();
    private Path source;

    /** The stages of this recipe, in order: sft, reward (unless the method needs none), the RL method. */
    public List<String> stageNames() {
        List<String> names = new ArrayList<>(List.of("sft"));
        if (List.of("grpo", "ppo", "online-dpo", "rloo").contains(rl)) names.add("reward");
        if (!rl.equals("none")) names.add(rl);
        return names;
    }

    /** "file, line N: " for a key path such as "stages.sft.dataset_name", or the file alone. */
    public String where(String key) {
        if (source == null) return "the command line: ";
        String at = lines.get(key);
        return source + (at == null ? "" : ", line " + at) + ": ";
    }

    /** The keys of a stage's section (without skip and reuse). */
    public ObjectNode trainerKeys(String stage) {
        ObjectNode keys = stages.getOrDefault(stage, YAML.createObjectNode()).deepCopy();
        keys.remove("skip");
        keys.remove("reuse");
        return keys;
    }

    public boolean skipped(String stage) {
        return stages.containsKey(stage) && stages.get(stage).path("skip").asBoolean(false);
    }

    /** The folder a stage reuses instead of training, or null. */
    public Path reused(String stage) {
        JsonNode r = stages.containsKey(stage) ? stages.get(stage).get("reuse") : null;
        return r == null || r.isNull() ? null : resolve(r.asText());
    }

    /** A path of the config, relative to the config file's folder. */
    public Path resolve(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() || source == null || source.toAbsolutePath().getParent() == null ? p : source.toAbsolutePath().getParent().resolve(p);
    }

    /** The config of {@code file}, or the defaults when it is null. */
    public static RecipeConfig load(Path file) throws IOException {
        RecipeConfig c = new RecipeConfig();
        if (file == null) return c;
        c.source = file;
        String text = Files.readString(file);
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + (e.getLocation() == null ? "" : ", line " + e.getLocation().getLineNr()) + ": not valid YAML: "
                    + e.getOriginalMessage());
        }
        if (root == null || root.isNull() || root.isMissingNode()) return c;
        if (!root.isObject()) throw new IllegalArgumentException(file + ": a recipe config is a mapping of keys to values");
        c.locate(text);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            switch (key) {
                case "output_dir" -> c.outputDir = c.resolve(c.text(key, v));
                case "model" -> c.model = c.resolve(c.text(key, v));
                case "task" -> c.task = c.text(key, v);
                case "n" -> c.n = c.integer(key, v, 1);
                case "eval_n" -> c.evalN = c.integer(key, v, 1);
                case "seed" -> c.seed = c.integer(key, v, 0);
                case "rl" -> c.rl = c.text(key, v);
                case "eval" -> c.eval(v);
                case "stages" -> c.stages(v);
                default -> throw new IllegalArgumentException(c.where(key) + "unknown key \"" + key + "\"; a recipe's keys are " + KEYS);
            }
        }
        c.validate();
        return c;
    }

    /** The checks that need no files: the RL method and the stage names. */
    public void validate() {
        if (!RL_METHODS.contains(rl)) throw new IllegalArgumentException(where("rl") + "rl \"" + rl + "\" is not one of " + RL_METHODS);
        if (rl.equals("ppo") && skipped("reward")) {
            throw new IllegalArgumentException(where("stages.reward") + "ppo trains against the reward model: do not skip the reward stage (or give it reuse: DIR)");
        }
        for (String stage : stages.keySet()) {
            if (!stageNames().contains(stage)) {
                throw new IllegalArgumentException(where("stages." + stage) + "stage \"" + stage + "\" does not exist in this recipe; its stages are "
                        + stageNames() + " (rl " + rl + ")" + (RL_METHODS.contains(stage) ? "; set rl: " + stage + " to run it"
                        : Configs.suggest(stage, new ArrayList<>(stageNames()))));
            }
        }
    }

    private void eval(JsonNode v) {
        if (!v.isObject()) throw new IllegalArgumentException(where("eval") + "eval must be a mapping of " + EVAL_KEYS);
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "eval." + e.getKey();
            switch (e.getKey()) {
                case "limit" -> evalLimit = integer(key, e.getValue(), 1);
                case "max_gen_toks" -> evalMaxGenToks = integer(key, e.getValue(), 1);
                case "dataset" -> evalDataset = resolve(text(key, e.getValue()));
                case "preference" -> evalPreference = resolve(text(key, e.getValue()));
                default -> throw new IllegalArgumentException(where(key) + "unknown key \"" + e.getKey() + "\" under eval; its keys are " + EVAL_KEYS);
            }
        }
    }

    private void stages(JsonNode v) {
        if (!v.isObject()) throw new IllegalArgumentException(where("stages") + "stages must map stage names to their trainer keys");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode keys = e.getValue();
            if (keys == null || keys.isNull()) keys = YAML.createObjectNode();
            if (!keys.isObject()) throw new IllegalArgumentException(where("stages." + e.getKey()) + "stage " + e.getKey() + " must be a mapping of its trainer's keys");
            stages.put(e.getKey(), (ObjectNode) keys);
        }
    }

    private String text(String key, JsonNode v) {
        if (v == null || !v.isValueNode() || v.isNull()) throw new IllegalArgumentException(where(key) + key + " must be a string, got " + v);
        return v.asText();
    }

    private int integer(String key, JsonNode v, int min) {
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min) {
            throw new IllegalArgumentException(where(key) + key + " must be an integer >= " + min + ", got " + v);
        }
        return v.asInt();
    }

    /**
     * The line of each key: top-level keys ("rl"), keys one level down ("stages.sft", "eval.limit")
     * and two levels down ("stages.sft.dataset_name"), found by indentation — enough for the flat
     * block-style YAML a recipe is.
     */
    private void locate(String text) {
        String[] rows = text.split("\n", -1);
        String[] path = new String[3];
        int[] indents = {-1, -1, -1};
        for (int i = 0; i < rows.length; i++) {
            String row = rows[i];
            String trimmed = row.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("-")) continue;
            int colon = trimmed.indexOf(':');
            if (colon <= 0) continue;
            int indent = row.length() - row.stripLeading().length();
            int depth = indent == 0 ? 0 : indents[1] < 0 || indent <= indents[1] ? 1 : 2;
            if (depth == 1) indents[1] = indent;
            if (depth == 0) indents[1] = -1;
            path[depth] = trimmed.substring(0, colon).strip();
            StringBuilder key = new StringBuilder(path[0]);
            for (int d = 1; d <= depth; d++) key.append('.').append(path[d]);
            lines.putIfAbsent(key.toString(), String.valueOf(i + 1));
            // flow mappings on one line ("sft: {max_steps: 5}"): their keys are on this line too
            int brace = trimmed.indexOf('{');
            if (brace > colon) {
                for (String part : trimmed.substring(brace + 1).split(",")) {
                    int c = part.indexOf(':');
                    if (c > 0) lines.putIfAbsent(key + "." + part.substring(0, c).strip(), String.valueOf(i + 1));
                }
            }
        }
    }
}
