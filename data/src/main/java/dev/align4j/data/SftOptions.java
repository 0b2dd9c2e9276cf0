package dev.align4j.data;

import java.util.Optional;

/**
 * How {@link SftProcessor} turns rows into {@link SftExample}s, with TRL's {@code SFTConfig} names
 * and defaults.
 *
 * <p>What it is not: the trainer's config (batch size, packing, learning rate live in the train
 * module); a component takes these plain values.
 *
 * <p>Based on TRL's {@code SFTConfig} (trl/trainer/sft_config.py): {@code max_length} 1024,
 * {@code completion_only_loss} None (on for prompt-completion rows, off for language modeling),
 * {@code assistant_only_loss} False, {@code dataset_text_field} "text", {@code eos_token} None
 * (the tokenizer's), {@code truncation_mode} "keep_start".
 *
 * @param maxLength          longest sequence in tokens; longer ones are truncated
 * @param completionOnlyLoss loss only on the completion of prompt-completion rows; empty means
 *                           TRL's default (on for prompt-completion rows)
 * @param assistantOnlyLoss  loss only on the assistant turns of conversational rows
 * @param datasetTextField   the column of standard language-modeling text
 * @param eosToken           the token that ends a completion: appended to standard text and
 *                           completions, and the end of each assistant turn in a conversation;
 *                           empty means the tokenizer's {@code eos_token}
 * @param truncationMode     which end of a long sequence to keep
 */
public record SftOptions(int maxLength, Optional<Boolean> completionOnlyLoss, boolean assistantOnlyLoss,
                         String datasetTextField, Optional<String> eosToken, TruncationMode truncationMode) {

    /** TRL's SFTConfig defaults. */
    public static final SftOptions DEFAULT = new SftOptions(1024, Optional.empty(), false,
            RowFormat.DEFAULT_TEXT_FIELD, Optional.empty(), TruncationMode.KEEP_START);

    public SftOptions {
        if (maxLength < 1) throw new IllegalArgumentException("max_length must be at least 1, got " + maxLength);
        if (completionOnlyLoss == null || eosToken == null || truncationMode == null) {
            throw new IllegalArgumentException("SftOptions: use Optional.empty() and a TruncationMode, not null");
        }
        if (datasetTextField == null || datasetTextField.isBlank()) {
            throw new IllegalArgumentException("dataset_text_field must be a column name, got '" + datasetTextField + "'");
        }
        if (eosToken.isPresent() && eosToken.get().isEmpty()) {
            throw new IllegalArgumentException("eos_token must be a token such as \"<|im_end|>\", got an empty string");
        }
    }

    public SftOptions withMaxLength(int value) {
        return new SftOptions(value, completionOnlyLoss, assistantOnlyLoss, datasetTextField, eosToken, truncationMode);
    }

    public SftOptions withCompletionOnlyLoss(boolean value) {
        return new SftOptions(maxLength, Optional.of(value), assistantOnlyLoss, datasetTextField, eosToken, truncationMode);
    }

    public SftOptions withAssistantOnlyLoss(boolean value) {
        return new SftOptions(maxLength, completionOnlyLoss, value, datasetTextField, eosToken, truncationMode);
    }

    public SftOptions withDatasetTextField(String value) {
        return new SftOptions(maxLength, completionOnlyLoss, assistantOnlyLoss, value, eosToken, truncationMode);
    }

    public SftOptions withEosToken(String value) {
        return new SftOptions(maxLength, completionOnlyLoss, assistantOnlyLoss, datasetTextField, Optional.of(value), truncationMode);
    }

    public SftOptions withTruncationMode(TruncationMode value) {
        return new SftOptions(maxLength, completionOnlyLoss, assistantOnlyLoss, datasetTextField, eosToken, value);
    }
}
