package dev.align4j.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the report shows of one post-training stage: how it trained and how it scored afterwards.
 *
 * <p>The base model is a stage too, with an empty log: its row in the held-out table is the
 * "before" that every later row is compared with.
 *
 * @param name the stage's name in the recipe ({@code base}, {@code sft}, {@code dpo}, {@code grpo}, …)
 * @param method the trainer or what produced the model ({@code SFT}, {@code GRPO}, {@code pretrained})
 * @param note one line for the reader (dataset, steps, anything unusual); may be empty
 * @param log the objects of the stage's {@code metrics.jsonl}, one per logged step, TRL's metric names
 * @param heldOut the stage's held-out evaluation metrics by name; a missing or null value is a blank cell
 * @param status {@code done}, {@code skipped}, {@code reused}, … as the recipe says
 */
public record StageReport(String name, String method, String note, List<JsonNode> log, Map<String, Double> heldOut, String status) {
    public StageReport {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a stage needs a name (the recipe's stage key, e.g. \"sft\")");
        method = method == null ? "" : method;
        note = note == null ? "" : note;
        status = status == null ? "" : status;
        log = log == null ? List.of() : List.copyOf(log);
        // Not Map.copyOf: it rejects null values, and a stage may know a metric's name but not its value.
        heldOut = heldOut == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(heldOut));
    }

    /** The stage's log read from its {@code metrics.jsonl}, or an empty log when the file does not exist. */
    public static List<JsonNode> readLog(Path metricsJsonl) {
        List<JsonNode> log = new ArrayList<>();
        if (!metricsJsonl.toFile().isFile()) return log;
        JsonLines.forEach(metricsJsonl, line -> log.add(line.json()));
        return log;
    }
}
