package dev.align4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.chat.ChatTemplate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Conversational rows through a chat template: the messages of a column as the template wants
 * them, the row's tools and template arguments, and the character span of every assistant turn
 * in the rendered text, found by rendering growing prefixes of the conversation.
 *
 * <p>What it is not: a tokenizer (spans are in characters; {@link SftProcessor} maps them to
 * tokens through the tokenizer's offsets), nor a guess from token patterns: an assistant turn
 * starts where the render of the messages before it, with the generation prompt, stops agreeing
 * with the render of the whole conversation, and ends after the first end-of-turn token (the
 * model's stop token) the template wrote from there. What the template writes after that token
 * (Qwen's {@code "\n"}) is template glue the model never generates, so it is not part of the turn.
 *
 * <p>Based on transformers' {@code return_assistant_tokens_mask} (the span between
 * {@code {% generation %}} and {@code {% endgeneration %}}, which TRL's {@code assistant_only_loss}
 * uses; the real Qwen3 and Llama 3.1 templates have no such tags, TRL's training templates put
 * them around the content and the end-of-turn token), and on the common-prefix rule of
 * {@code trl/data_utils.py::apply_chat_template} ({@code takewhile} over prompt and
 * prompt+completion), which covers templates whose generation prompt the full render does not
 * repeat (DeepSeek-R1; Qwen3 with {@code enable_thinking=False} on earlier turns). A template whose
 * render of the earlier messages is not a prefix of the whole render has no well-defined turn
 * spans: that is an error naming the message, never a guess.
 */
public final class Conversations {
    private Conversations() {}

    /** A span of characters {@code [start, end)} of a rendered conversation. */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) throw new IllegalArgumentException("Span: bad bounds [" + start + ", " + end + ")");
        }

        boolean contains(int offset) {
            return offset >= start && offset < end;
        }
    }

    /**
     * The messages of a conversational column as plain maps for {@link ChatTemplate}; a
     * {@code system} column becomes the first message of the column that starts the conversation
     * ({@code messages}, {@code prompt}, or both {@code chosen} and {@code rejected} when the
     * prompt is implicit).
     *
     * @throws IllegalArgumentException naming the row when the system column meets a system message
     */
    public static List<Map<String, Object>> messages(Row row, String column) {
        List<Map<String, Object>> messages = JsonLines.MAPPER.convertValue(row.get(column), new TypeReference<>() {});
        boolean starts = column.equals("messages") || column.equals("prompt") || !row.has("prompt");
        if (row.has("system") && starts) {
            if ("system".equals(messages.getFirst().get("role"))) {
                throw row.error("system", "is given but \"" + column + "\" already starts with a system message; keep one of them");
            }
            Map<String, Object> system = new LinkedHashMap<>();
            system.put("role", "system");
            system.put("content", row.get("system").asText());
            messages.addFirst(system);
        }
        return messages;
    }

    /**
     * The row's {@code tools} column (a list of JSON schemas, or that list written as a JSON
     * string, as TRL accepts it), or null when absent.
     */
    public static List<Map<String, Object>> tools(Row row) {
        JsonNode tools = row.get("tools");
        if (tools == null) return null;
        if (tools.isTextual()) {
            try {
                tools = JsonLines.MAPPER.readTree(tools.asText());
            } catch (JsonProcessingException e) {
                throw row.error("tools", "is a string that is not valid JSON: " + e.getOriginalMessage());
            }
        }
        if (!tools.isArray()) throw row.error("tools", "must be a list of tool schemas, got " + tools.getNodeType());
        for (JsonNode tool : tools) {
            if (!tool.isObject()) throw row.error("tools", "must be a list of tool schemas (objects), got a " + tool.getNodeType());
        }
        return JsonLines.MAPPER.convertValue(tools, new TypeReference<>() {});
    }

    /** The row's {@code chat_template_kwargs} (for example {@code enable_thinking}), empty when absent. */
    public static Map<String, Object> templateKwargs(Row row) {
        JsonNode kwargs = row.get("chat_template_kwargs");
        if (kwargs == null) return Map.of();
        if (!kwargs.isObject()) throw row.error("chat_template_kwargs", "must be an object, got " + kwargs.getNodeType());
        return JsonLines.MAPPER.convertValue(kwargs, new TypeReference<>() {});
    }

    /**
     * The span of each assistant turn of {@code messages} in {@code rendered} (the render of all of
     * them without the generation prompt): from the end of the turn's header to the end of the first
     * {@code endOfTurn} after it.
     *
     * @throws IllegalArgumentException naming the row and message when a prefix render disagrees
     *                                  with the whole render, or no end-of-turn token follows a turn
     */
    public static List<Span> assistantSpans(ChatTemplate template, List<Map<String, Object>> messages,
                                            List<Map<String, Object>> tools, Map<String, Object> kwargs,
                                            String rendered, String endOfTurn, Row row) {
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).get("role"))) continue;
            List<Map<String, Object>> before = messages.subList(0, i);
            String history = i == 0 ? "" : template.render(before, tools, false, kwargs);
            String header = template.render(before, tools, true, kwargs);
            if (!rendered.startsWith(history)) {
                throw row.error("the chat template renders the " + i + " messages before message " + i
                        + " (assistant) differently alone than inside the whole conversation, at character "
                        + commonPrefix(rendered, history) + "; its assistant turns have no exact span, so assistant_only_loss"
                        + " cannot be computed for it: use a template whose earlier turns do not depend on later ones");
            }
            int start = commonPrefix(rendered, header);
            if (start < history.length()) {
                throw row.error("the chat template's generation prompt for message " + i + " (assistant) starts with"
                        + " something other than the conversation so far; cannot place the turn");
            }
            int eot = rendered.indexOf(endOfTurn, start);
            if (eot < 0) {
                throw row.error("no end-of-turn token " + endOfTurn + " after assistant message " + i + " in the rendered"
                        + " conversation; set eos_token to the token the chat template ends a turn with");
            }
            spans.add(new Span(start, eot + endOfTurn.length()));
        }
        return spans;
    }

    /** Length of the longest common prefix. */
    static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }
}
