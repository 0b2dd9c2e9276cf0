package dev.align4j.data;

import java.util.OptionalInt;

/**
 * How {@link PreferenceProcessor} truncates preference data, with the names of TRL's
 * {@code DPOConfig} and {@code KTOConfig}.
 *
 * <p>What it is not: the trainer's config; a component takes these plain values.
 *
 * <p>Based on TRL 0.2x's {@code DPOTrainer.tokenize_row} and {@code concatenated_forward}, the last
 * TRL with all of these names: the prompt keeps its last {@code max_prompt_length} tokens (the ones
 * next to the completion), each completion its first {@code max_completion_length}, and then the
 * prompt-completion sequence its first ({@code keep_start}) or last ({@code keep_end})
 * {@code max_length} tokens. Defaults are TRL 1.x's: {@code max_length} 1024,
 * {@code truncation_mode} keep_start, no prompt or completion limit.
 *
 * @param maxPromptLength     longest prompt in tokens; empty for no limit
 * @param maxCompletionLength longest completion in tokens; empty for no limit
 * @param maxLength           longest prompt + completion in tokens; empty for no limit
 * @param truncationMode      which end of a sequence longer than max_length to keep
 */
public record PreferenceOptions(OptionalInt maxPromptLength, OptionalInt maxCompletionLength, OptionalInt maxLength,
                                TruncationMode truncationMode) {

    /** TRL 1.x's defaults. */
    public static final PreferenceOptions DEFAULT = new PreferenceOptions(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.of(1024),
            TruncationMode.KEEP_START);

    /** No truncation: what a reward model reads, its score at each sequence's last token (long pairs are dropped instead). */
    public static final PreferenceOptions UNTRUNCATED = new PreferenceOptions(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
            TruncationMode.KEEP_START);

    public PreferenceOptions {
        if (maxPromptLength == null || maxCompletionLength == null || maxLength == null || truncationMode == null) {
            throw new IllegalArgumentException("PreferenceOptions: use OptionalInt.empty() and a TruncationMode, not null");
        }
        require("max_prompt_length", maxPromptLength, 0);
        require("max_completion_length", maxCompletionLength, 1);
        require("max_length", maxLength, 1);
    }

    private static void require(String name, OptionalInt value, int least) {
        if (value.isPresent() && value.getAsInt() < least) {
            throw new IllegalArgumentException(name + " must be at least " + least + ", got " + value.getAsInt());
        }
    }

    public PreferenceOptions withMaxPromptLength(int value) {
        return new PreferenceOptions(OptionalInt.of(value), maxCompletionLength, maxLength, truncationMode);
    }

    public PreferenceOptions withMaxCompletionLength(int value) {
        return new PreferenceOptions(maxPromptLength, OptionalInt.of(value), maxLength, truncationMode);
    }

    public PreferenceOptions withMaxLength(OptionalInt value) {
        return new PreferenceOptions(maxPromptLength, maxCompletionLength, value, truncationMode);
    }

    public PreferenceOptions withTruncationMode(TruncationMode value) {
        return new PreferenceOptions(maxPromptLength, maxCompletionLength, maxLength, value);
    }
}
