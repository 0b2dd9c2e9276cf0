package dev.align4j.eval.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One held-out prompt and what the model answered after each stage: the "before and after" that a
 * table of accuracies summarises and a reader wants to see.
 *
 * @param prompt the prompt as given to the model (shown as plain text, whitespace kept)
 * @param gold the reference answer; may be empty
 * @param completionsByStage the completion after each stage, keyed by {@link StageReport#name()}
 * @param correctByStage whether the caller's grader judged each completion correct; stages it lacks
 *     are shown unmarked (the report never grades on its own)
 */
public record SampleRow(String prompt, String gold, Map<String, String> completionsByStage, Map<String, Boolean> correctByStage) {
    public SampleRow {
        prompt = prompt == null ? "" : prompt;
        gold = gold == null ? "" : gold;
        completionsByStage = completionsByStage == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(completionsByStage));
        correctByStage = correctByStage == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(correctByStage));
    }

    /** A row without correctness marks. */
    public SampleRow(String prompt, String gold, Map<String, String> completionsByStage) {
        this(prompt, gold, completionsByStage, Map.of());
    }
}
