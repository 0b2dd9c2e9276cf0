package dev.align4j.eval;

import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A row's prompt as lm-evaluation-harness builds it: the description, then each few-shot example
 * as {@code doc_to_text + target_delimiter + doc_to_target + fewshot_delimiter}, then the row's
 * {@code doc_to_text}. With {@code apply_chat_template}, the same as a conversation rendered by the
 * model's chat template with the generation prompt: the system instruction and description as the
 * system message, each example as a user turn and an assistant turn (lm-evaluation-harness's
 * {@code fewshot_as_multiturn}), the row as the last user turn.
 */
final class PromptBuilder {
    private final TaskConfig c;
    private final Template text, target;
    private final Docs.FewShot fewShot;

    PromptBuilder(TaskConfig c, List<JsonLines.Line> docs, long seed) {
        this.c = c;
        this.text = new Template("doc_to_text", c.promptTemplate());
        this.target = new Template("doc_to_target", c.docToTarget);
        this.fewShot = new Docs.FewShot(c, docs, seed);
    }

    /** The row's question text alone. */
    String text(JsonLines.Line doc) {
        return text.render(doc);
    }

    /** The row's target text. */
    String target(JsonLines.Line doc) {
        return target.render(doc);
    }

    /** The whole prompt as text (no chat template). */
    String context(int index, JsonLines.Line doc) {
        StringBuilder out = new StringBuilder(c.description);
        for (JsonLines.Line shot : fewShot.shots(index, doc)) {
            out.append(text(shot)).append(c.targetDelimiter).append(target(shot)).append(c.fewshotDelimiter);
        }
        return out.append(text(doc)).toString();
    }

    /** The prompt's token ids: the text encoded with the tokenizer's special tokens, or the chat template's rendering. */
    int[] ids(TextModel model, int index, JsonLines.Line doc) {
        if (!c.applyChatTemplate) return model.encode(context(index, doc));
        List<Map<String, String>> messages = new ArrayList<>();
        String system = String.join("\n\n", java.util.stream.Stream.of(c.systemInstruction, c.description)
                .filter(s -> s != null && !s.isEmpty()).toList());
        if (!system.isEmpty()) messages.add(Map.of("role", "system", "content", system));
        for (JsonLines.Line shot : fewShot.shots(index, doc)) {
            messages.add(Map.of("role", "user", "content", text(shot)));
            messages.add(Map.of("role", "assistant", "content", target(shot)));
        }
        messages.add(Map.of("role", "user", "content", text(doc)));
        try {
            return model.encodeChat(messages);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("task " + c.task + " (apply_chat_template): " + e.getMessage(), e);
        }
    }
}
