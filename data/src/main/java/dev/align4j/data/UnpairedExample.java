package dev.align4j.data;

/**
 * One tokenized completion labelled desirable or undesirable, for KTO: the prompt's tokens and the
 * completion's, after the prompt and completion limits ({@link PreferenceOptions}).
 *
 * <p>What it is not: a sequence; {@link PreferenceProcessor#sequence} joins prompt and completion,
 * and {@link PreferenceProcessor#klSequences} pairs prompts with other examples' completions.
 *
 * <p>Based on the {@code prompt_ids}, {@code completion_ids} and {@code label} columns of TRL's
 * {@code KTOTrainer._prepare_dataset} (trl/trainer/kto_trainer.py).
 *
 * @param promptIds     (P) the prompt's tokens
 * @param completionIds (C) the completion's tokens
 * @param desirable     the label: true for a desirable completion
 */
public record UnpairedExample(int[] promptIds, int[] completionIds, boolean desirable) {
    public UnpairedExample {
        if (completionIds.length == 0) throw new IllegalArgumentException("UnpairedExample: the completion has no token");
    }
}
