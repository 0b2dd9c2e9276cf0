package dev.align4j.eval;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align4j.train.Configs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads {@code --tasks}: a comma-separated list whose items are task files (YAML: one task's keys,
 * a list of tasks, or {@code tasks:} and a list) or shorthands {@code TYPE:DATA.jsonl} with every
 * key at its default ({@code perplexity}, {@code multiple_choice}, {@code generate}, {@code reward},
 * {@code win_rate}, {@code judge}, or an output type's full name). A task file's
 * {@code dataset_path} is read relative to the file.
 *
 * <p>Errors name the file, and the line and key when the YAML parser knows them: an unknown key
 * (with the nearest known ones), a value of the wrong type, a missing required key.
 */
public final class TaskFiles {
    private TaskFiles() {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private static final Map<String, String> SHORTHANDS = Map.of("perplexity", "loglikelihood_rolling", "mc", "multiple_choice",
            "generate", "generate_until", "reward", "reward_score", "judge", "judge_score");

    /** A task file holding a list under {@code tasks}. */
    static final class TaskList {
        public List<TaskConfig> tasks;
    }

    /** The tasks {@code spec} names, in order, validated. */
    public static List<TaskConfig> parse(String spec) throws IOException {
        List<TaskConfig> out = new ArrayList<>();
        for (String item : spec.split(",")) {
            item = item.strip();
            if (item.isEmpty()) continue;
            int colon = item.indexOf(':');
            String type = colon > 0 ? item.substring(0, colon).toLowerCase(Locale.ROOT) : null;
            if (type != null && (SHORTHANDS.containsKey(type) || TaskConfig.OUTPUT_TYPES.contains(type))) {
                TaskConfig t = new TaskConfig();
                t.outputType = SHORTHANDS.getOrDefault(type, type);
                t.datasetPath = item.substring(colon + 1);
                String file = Path.of(t.datasetPath).getFileName().toString();
                t.task = type + ":" + (file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file);
                t.validate("--tasks " + item);
                out.add(t);
            } else {
                out.addAll(read(Path.of(item)));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--tasks names no task");
        List<String> names = new ArrayList<>();
        for (TaskConfig t : out) {
            if (names.contains(t.task)) throw new IllegalArgumentException("--tasks: two tasks are named \"" + t.task + "\"; give each its own task name");
            names.add(t.task);
        }
        return out;
    }

    /** The tasks of one YAML file. */
    public static List<TaskConfig> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such task file (give a YAML file, or TYPE:DATA.jsonl with TYPE one of "
                    + SHORTHANDS.keySet() + ")");
        }
        String text = Files.readString(file);
        List<TaskConfig> tasks;
        try {
            JsonNode tree = YAML.readTree(text);
            if (tree == null || tree.isMissingNode() || tree.isNull()) throw new IllegalArgumentException(file + ": the file is empty");
            if (tree.isArray()) tasks = List.of(YAML.readValue(text, TaskConfig[].class));
            else if (tree.has("tasks")) tasks = YAML.readValue(text, TaskList.class).tasks;
            else tasks = List.of(YAML.readValue(text, TaskConfig.class));
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(where(file, e.getLocation()) + "unknown key \"" + e.getPropertyName() + "\""
                    + Configs.suggest(e.getPropertyName(), e.getKnownPropertyIds()));
        } catch (MismatchedInputException e) {
            String key = e.getPath().isEmpty() ? "" : e.getPath().getLast().getFieldName();
            throw new IllegalArgumentException(where(file, e.getLocation()) + (key == null ? "" : key + ": ") + "wrong kind of value: "
                    + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where(file, e.getLocation()) + "not valid YAML: " + e.getOriginalMessage());
        }
        if (tasks == null || tasks.isEmpty()) throw new IllegalArgumentException(file + ": no tasks");
        for (int i = 0; i < tasks.size(); i++) {
            TaskConfig t = tasks.get(i);
            t.validate(file + (tasks.size() > 1 ? ", task " + (i + 1) : ""));
            Path data = Path.of(t.datasetPath);
            if (!data.isAbsolute() && file.toAbsolutePath().getParent() != null) t.datasetPath = file.toAbsolutePath().getParent().resolve(data).toString();
            if (t.fewshotPath != null && !Path.of(t.fewshotPath).isAbsolute()) {
                t.fewshotPath = file.toAbsolutePath().getParent().resolve(t.fewshotPath).toString();
            }
        }
        return tasks;
    }

    private static String where(Path file, JsonLocation at) {
        return at == null || at.getLineNr() < 1 ? file + ": " : file + ", line " + at.getLineNr() + ": ";
    }
}
