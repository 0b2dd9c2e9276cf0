package dev.align4j.data;

/**
 * TRL's dataset types, told apart by which columns a row has.
 *
 * <p>What it is not: the format (standard text or conversational messages), which is the other
 * half of TRL's classification: {@link RowFormat} carries both and validates the columns' values.
 *
 * <p>Based on TRL's documentation "Dataset formats and types" and on the key sets of
 * {@code trl/data_utils.py::apply_chat_template}: {@code {messages}} (language modeling,
 * conversational), {@code {prompt}}, {@code {prompt, completion}}, {@code {prompt, chosen,
 * rejected}}, {@code {chosen, rejected}} (implicit prompt) and {@code {prompt, completion,
 * label}}; {@code {text}} (or {@code dataset_text_field}) is standard language modeling. Columns
 * outside these names are kept in the row and ignored, as TRL ignores them.
 */
public enum DatasetType {
    /** {@code text}, or {@code messages} for conversations: the loss is on every token by default. */
    LANGUAGE_MODELING,
    /** {@code prompt} only: the prompts of online methods (GRPO, online DPO, PPO). */
    PROMPT_ONLY,
    /** {@code prompt} and {@code completion}: SFT with the loss on the completion by default. */
    PROMPT_COMPLETION,
    /** {@code prompt}, {@code chosen} and {@code rejected}: DPO and its family. */
    PREFERENCE,
    /** {@code chosen} and {@code rejected}, the prompt being their shared start. */
    IMPLICIT_PROMPT_PREFERENCE,
    /** {@code prompt}, {@code completion} and a boolean {@code label}: KTO. */
    UNPAIRED_PREFERENCE;

    /**
     * The type of a row, with the standard text column {@code text}.
     *
     * @throws IllegalArgumentException naming the file, line and field when the row fits no type or
     *                                  a column has the wrong kind of value
     */
    public static DatasetType detect(Row row) {
        return RowFormat.of(row, RowFormat.DEFAULT_TEXT_FIELD).type();
    }
}
