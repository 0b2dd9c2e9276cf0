package dev.align4j.train;

import dev.align4j.data.PreferenceOptions;
import dev.align4j.data.TruncationMode;

import java.util.OptionalInt;

/**
 * The options every preference trainer's config shares — the model, the data and its truncation —
 * under the names TRL's {@code DPOConfig}, {@code ORPOConfig}, {@code CPOConfig} and
 * {@code KTOConfig} each repeat ({@code max_prompt_length}, {@code max_completion_length},
 * {@code max_length}, {@code truncation_mode}), with the script arguments their examples take
 * ({@code model_name_or_path}, {@code dataset_name} — here a local file, folder or glob). Each
 * trainer's config extends it with its loss's options and its own defaults.
 *
 * <p>What it is not: a trainer's config by itself (it has no loss), nor a superclass with logic;
 * it only holds and checks values, as {@link TrainingArguments} does.
 */
public class PreferenceConfig extends TrainingArguments {
    /** The model folder to train. */
    public String modelNameOrPath;
    /** The preference data: a JSONL, JSON, CSV or Parquet file, a folder of them, or a glob. */
    public String datasetName;
    /** The split read from a folder holding several (by file name, as the Hub names them). */
    public String datasetTrainSplit = "train";
    /** The evaluation split of the same folder, used when eval_strategy is not "no" and test_size is unset. */
    public String datasetTestSplit = "test";
    /** Hold out this fraction (or, when ≥ 1, this many rows) of the training data for evaluation, split with the seed. */
    public Double testSize;
    /** Skip rows that fit no dataset type (counted in the log) instead of stopping at the first. */
    public boolean skipInvalidRows = false;
    /** The prompt keeps its last this many tokens; unset is no limit. */
    public Integer maxPromptLength;
    /** Each completion keeps its first this many tokens; unset is no limit. */
    public Integer maxCompletionLength;
    /** Each prompt + completion sequence keeps this many tokens (truncation_mode says which); null is no limit. */
    public Integer maxLength = 1024;
    /** "keep_start" or "keep_end": which end of a sequence longer than max_length truncation keeps. */
    public String truncationMode = "keep_start";

    @Override
    public void validate() {
        super.validate();
        if (modelNameOrPath == null || modelNameOrPath.isBlank()) throw bad("model_name_or_path", modelNameOrPath, "is required");
        if (datasetName == null || datasetName.isBlank()) throw bad("dataset_name", datasetName, "is required (a local file, folder or glob)");
        if (testSize != null && !(testSize > 0)) throw bad("test_size", testSize, "must be > 0 (a fraction, or a number of rows)");
        try {
            preferenceOptions();
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("config: ") ? e : new IllegalArgumentException("config: " + e.getMessage(), e);
        }
    }

    /** The data layer's truncation options. */
    public PreferenceOptions preferenceOptions() {
        return new PreferenceOptions(optional(maxPromptLength), optional(maxCompletionLength), optional(maxLength), truncation());
    }

    private TruncationMode truncation() {
        return switch (truncationMode) {
            case "keep_start" -> TruncationMode.KEEP_START;
            case "keep_end" -> TruncationMode.KEEP_END;
            default -> throw bad("truncation_mode", truncationMode, "must be \"keep_start\" or \"keep_end\"");
        };
    }

    private static OptionalInt optional(Integer value) {
        return value == null ? OptionalInt.empty() : OptionalInt.of(value);
    }
}
