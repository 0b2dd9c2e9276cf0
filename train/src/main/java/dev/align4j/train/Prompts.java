package dev.align4j.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.data.Conversations;
import dev.align4j.data.Dataset;
import dev.align4j.data.DatasetOptions;
import dev.align4j.data.Datasets;
import dev.align4j.data.Row;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The prompts of an RL trainer's data (PPO, GRPO): each row's {@code prompt} — a string, tokenized
 * as {@code tokenizer(prompt)} with the tokenizer's special tokens, or messages, rendered by the chat
 * template with the generation prompt (the row's {@code tools} and {@code chat_template_kwargs}
 * passed on, so a Qwen3 template's {@code enable_thinking} applies) and tokenized without adding any
 * — and the row itself, whose other columns (a math problem's {@code solution}) reward functions read.
 *
 * <p>What it is not: a sampler; the trainers order and batch the prompts.
 */
public final class Prompts {
    private Prompts() {}

    /**
     * One prompt.
     *
     * @param ids  its token ids, left-truncated to max_prompt_length when that is set
     * @param text the prompt as the model reads it (a conversation rendered by the chat template)
     * @param row  the dataset row, every column
     */
    public record Prompt(int[] ids, String text, ObjectNode row) {}

    /**
     * Every row's prompt.
     *
     * @param maxPromptLength keep each prompt's last this many tokens; null for no limit
     * @throws IllegalArgumentException naming the file and line of a row without a prompt, or a conversation when the model has no chat template
     */
    public static List<Prompt> load(String datasetName, String split, boolean skipInvalidRows, Tokenizer tokenizer, Path modelDir,
                                    Integer maxPromptLength) {
        Dataset rows = Datasets.load(datasetName, split, DatasetOptions.DEFAULT.withSkipInvalidRows(skipInvalidRows));
        Optional<ChatTemplate> template = tokenizer.config().chatTemplate().isPresent() ? Optional.of(ChatTemplate.of(tokenizer)) : Optional.empty();
        List<Prompt> out = new ArrayList<>(rows.size());
        for (Row row : rows) {
            if (!row.has("prompt")) throw row.error("has no prompt column; RL trainers take prompt rows (a string or messages)");
            String text;
            int[] ids;
            if (row.get("prompt").isTextual()) {
                text = row.get("prompt").asText();
                ids = tokenizer.encode(text, true);
            } else {
                ChatTemplate chat = template.orElseThrow(() -> row.error("prompt", "is a conversation but " + modelDir
                        + " has no chat template"));
                text = chat.render(Conversations.messages(row, "prompt"), Conversations.tools(row), true, Conversations.templateKwargs(row));
                ids = ChatTemplate.tokenizeRendered(tokenizer, text);
            }
            if (ids.length == 0) throw row.error("prompt", "gives no tokens");
            if (maxPromptLength != null && ids.length > maxPromptLength) ids = Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
            out.add(new Prompt(ids, text, row.json()));
        }
        if (out.isEmpty()) throw new IllegalArgumentException(datasetName + ": no prompt rows");
        return out;
    }
}
