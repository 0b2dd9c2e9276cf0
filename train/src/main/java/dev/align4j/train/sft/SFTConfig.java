package dev.align4j.train.sft;

import dev.align4j.data.SftOptions;
import dev.align4j.data.TruncationMode;
import dev.align4j.train.TrainingArguments;

import java.util.Optional;

/**
 * TRL's {@code SFTConfig} (trl/trainer/sft_config.py) with the script arguments its examples take
 * ({@code model_name_or_path}, {@code dataset_name} — here a local file, folder or glob). Defaults
 * are TRL's where they differ from transformers': {@code learning_rate 2e-5},
 * {@code logging_steps 10}, {@code gradient_checkpointing true}, {@code max_length 1024}.
 */
public class SFTConfig extends TrainingArguments {
    /** The model folder to fine-tune. */
    public String modelNameOrPath;
    /** The training data: a JSONL, JSON, CSV or Parquet file, a folder of them, or a glob. */
    public String datasetName;
    /** The split read from a folder holding several (by file name, as the Hub names them). */
    public String datasetTrainSplit = "train";
    /** The evaluation split of the same folder, used when eval_strategy is not "no" and test_size is unset. */
    public String datasetTestSplit = "test";
    /** Hold out this fraction (or, when ≥ 1, this many rows) of the training data for evaluation, split with the seed. */
    public Double testSize;
    public String datasetTextField = "text";
    public int maxLength = 1024;
    /** Pack sequences into rows of max_length tokens (best-fit decreasing); attention never crosses a sequence. */
    public boolean packing = false;
    /** Loss on the completion only (prompt-completion data); unset means on for such data, as TRL. */
    public Boolean completionOnlyLoss;
    /** Loss on the assistant turns only (conversational data). */
    public boolean assistantOnlyLoss = false;
    /** The token that ends completions and assistant turns; unset is the tokenizer's eos_token. */
    public String eosToken;
    /** "keep_start" or "keep_end": which end of a long sequence truncation keeps. */
    public String truncationMode = "keep_start";
    /** Skip rows that fit no dataset type (counted in the log) instead of stopping at the first. */
    public boolean skipInvalidRows = false;

    public SFTConfig() {
        learningRate = 2e-5;
        loggingSteps = 10;
        gradientCheckpointing = true;
    }

    @Override
    public void validate() {
        super.validate();
        if (datasetName == null || datasetName.isBlank()) throw bad("dataset_name", datasetName, "is required (a local file, folder or glob)");
        if (maxLength < 1) throw bad("max_length", maxLength, "must be >= 1");
        if (testSize != null && !(testSize > 0)) throw bad("test_size", testSize, "must be > 0 (a fraction, or a number of rows)");
        truncation();
    }

    /** Checks that a model folder is named: SFT fine-tunes one (pretraining builds its own instead). */
    public void requireModel() {
        if (modelNameOrPath == null || modelNameOrPath.isBlank()) throw bad("model_name_or_path", modelNameOrPath, "is required");
    }

    /** The data layer's processing options. */
    public SftOptions sftOptions() {
        return new SftOptions(maxLength, Optional.ofNullable(completionOnlyLoss), assistantOnlyLoss, datasetTextField,
                Optional.ofNullable(eosToken), truncation());
    }

    private TruncationMode truncation() {
        return switch (truncationMode) {
            case "keep_start" -> TruncationMode.KEEP_START;
            case "keep_end" -> TruncationMode.KEEP_END;
            default -> throw bad("truncation_mode", truncationMode, "must be \"keep_start\" or \"keep_end\"");
        };
    }
}
