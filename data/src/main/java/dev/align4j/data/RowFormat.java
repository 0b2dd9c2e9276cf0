package dev.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A row's TRL dataset type and format (standard text or conversational messages), found from its
 * columns, with every column's value checked.
 *
 * <p>What it is not: a converter. Rows stay JSON; processors read the columns this check vouched
 * for.
 *
 * <p>Based on {@code trl/data_utils.py}: the key sets of {@code apply_chat_template} (see
 * {@link DatasetType}) and {@code is_conversational}, which calls a column conversational when it
 * is a list of objects with a {@code role}. Stricter than TRL in three ways, so that bad rows fail
 * at load time with their line rather than in the middle of training: every message is checked
 * (TRL looks at the first), the columns of one row must all be text or all be messages, and
 * {@code label} must be a boolean. One addition: a string column {@code system} in a
 * conversational row becomes its first message, a system message ({@link Conversations#messages}).
 *
 * @param type           the dataset type
 * @param conversational whether the columns hold message lists rather than strings
 */
public record RowFormat(DatasetType type, boolean conversational) {

    /** TRL's default {@code dataset_text_field}. */
    public static final String DEFAULT_TEXT_FIELD = "text";

    private static final List<String> COLUMNS = List.of("prompt", "completion", "chosen", "rejected", "messages", "label");

    /**
     * The format of a row.
     *
     * @param textField the column of standard language-modeling text ({@code dataset_text_field})
     * @throws IllegalArgumentException naming the file, line and field when the row fits no type or
     *                                  a column has the wrong kind of value
     */
    public static RowFormat of(Row row, String textField) {
        Set<String> keys = new TreeSet<>();
        for (String column : COLUMNS) {
            if (row.has(column)) keys.add(column);
        }
        boolean text = row.has(textField);
        if (text && keys.isEmpty()) {
            requireString(row, textField);
            return new RowFormat(DatasetType.LANGUAGE_MODELING, false);
        }
        DatasetType type = typeOf(keys);
        if (type == null && !text && keys.contains("chosen") != keys.contains("rejected")) {
            String has = keys.contains("chosen") ? "chosen" : "rejected", lacks = has.equals("chosen") ? "rejected" : "chosen";
            throw row.error("has \"" + has + "\" but no \"" + lacks + "\"; a preference row needs both completions (and"
                    + " optionally a prompt)");
        }
        if (type == null || text) {
            if (text) keys.add(textField);
            throw row.error("fits no TRL dataset type: its columns " + keys + " must be one of [" + textField
                    + "], [messages], [prompt], [prompt, completion], [prompt, chosen, rejected], [chosen, rejected]"
                    + " or [prompt, completion, label]; rename or drop the other columns");
        }
        if (type == DatasetType.UNPAIRED_PREFERENCE && !row.get("label").isBoolean()) {
            throw row.error("label", "must be true or false, got " + row.get("label"));
        }
        keys.remove("label");
        List<String> conversational = new ArrayList<>(), standard = new ArrayList<>();
        for (String key : keys) {
            JsonNode value = row.get(key);
            if (value.isArray()) {
                requireMessages(row, key);
                conversational.add(key);
            } else if (value.isTextual()) {
                standard.add(key);
            } else {
                throw row.error(key, "must be a string or a list of messages, got " + value.getNodeType());
            }
        }
        if (!conversational.isEmpty() && !standard.isEmpty()) {
            throw row.error("mixes message lists " + conversational + " with strings " + standard
                    + "; write all of them as strings or all as lists of {\"role\", \"content\"} messages");
        }
        if (!conversational.isEmpty() && row.has("system") && !row.get("system").isTextual()) {
            throw row.error("system", "must be a string (it becomes the first, system, message)");
        }
        return new RowFormat(type, !conversational.isEmpty());
    }

    private static DatasetType typeOf(Set<String> keys) {
        return switch (String.join(",", keys)) {
            case "messages" -> DatasetType.LANGUAGE_MODELING;
            case "prompt" -> DatasetType.PROMPT_ONLY;
            case "completion,prompt" -> DatasetType.PROMPT_COMPLETION;
            case "chosen,prompt,rejected" -> DatasetType.PREFERENCE;
            case "chosen,rejected" -> DatasetType.IMPLICIT_PROMPT_PREFERENCE;
            case "completion,label,prompt" -> DatasetType.UNPAIRED_PREFERENCE;
            default -> null;
        };
    }

    private static void requireString(Row row, String field) {
        JsonNode value = row.get(field);
        if (!value.isTextual()) throw row.error(field, "must be a string, got " + value.getNodeType());
    }

    /** A non-empty list of objects, each with a string role and a string content (or tool calls instead). */
    private static void requireMessages(Row row, String field) {
        JsonNode list = row.get(field);
        if (list.isEmpty()) throw row.error(field, "is an empty message list");
        for (int i = 0; i < list.size(); i++) {
            JsonNode message = list.get(i);
            String at = field + "[" + i + "]";
            if (!message.isObject()) throw row.error(at, "must be a {\"role\", \"content\"} object, got " + message.getNodeType());
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual() || role.asText().isEmpty()) {
                throw row.error(at + ".role", "must be a non-empty string such as \"user\" or \"assistant\"");
            }
            JsonNode content = message.get("content");
            boolean toolCalls = message.hasNonNull("tool_calls");
            if ((content == null || content.isNull()) && !toolCalls) {
                throw row.error(at + ".content", "is missing (only a message with tool_calls may omit it)");
            }
            if (content != null && !content.isNull() && !content.isTextual()) {
                throw row.error(at + ".content", "must be a string, got " + content.getNodeType()
                        + " (multimodal content parts are not supported)");
            }
        }
    }
}
