package dev.align4j.data;

/**
 * One tokenized preference pair: the prompt's tokens and each completion's, after the prompt and
 * completion limits ({@link PreferenceOptions}); {@link PreferenceProcessor#sequence} joins a
 * prompt and a completion into the sequence a model reads, with {@code max_length} applied.
 *
 * <p>What it is not: padded or batched. The two sequences of a pair share the prompt tokens, which
 * lets a trainer process the prompt once.
 *
 * <p>Based on the {@code prompt_ids}, {@code chosen_ids} and {@code rejected_ids} columns of TRL's
 * {@code DPOTrainer._prepare_dataset} (trl/trainer/dpo_trainer.py).
 *
 * @param promptIds   (P) the prompt's tokens
 * @param chosenIds   (C) the chosen completion's tokens
 * @param rejectedIds (R) the rejected completion's tokens
 */
public record PreferenceExample(int[] promptIds, int[] chosenIds, int[] rejectedIds) {
    public PreferenceExample {
        if (chosenIds.length == 0 || rejectedIds.length == 0) {
            throw new IllegalArgumentException("PreferenceExample: a completion has no token");
        }
    }
}
