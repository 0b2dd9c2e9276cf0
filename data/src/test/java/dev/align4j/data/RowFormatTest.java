package dev.align4j.data;

import org.junit.jupiter.api.Test;

import static dev.align4j.data.SftProcessorTest.assertError;
import static dev.align4j.data.SftProcessorTest.row;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** TRL's dataset types and formats from a row's columns, and the error every kind of bad row gets. */
class RowFormatTest {
    static final String M = "[{\"role\": \"user\", \"content\": \"Hi\"}]";
    static final String A = "[{\"role\": \"assistant\", \"content\": \"Yo\"}]";

    static RowFormat format(String json) {
        return RowFormat.of(row(json), "text");
    }

    @Test
    void detectsEveryTypeInBothFormats() {
        assertEquals(new RowFormat(DatasetType.LANGUAGE_MODELING, false), format("{\"text\": \"a\", \"id\": 3}"));
        assertEquals(new RowFormat(DatasetType.LANGUAGE_MODELING, true), format("{\"messages\": " + M + "}"));
        assertEquals(new RowFormat(DatasetType.PROMPT_ONLY, false), format("{\"prompt\": \"a\"}"));
        assertEquals(new RowFormat(DatasetType.PROMPT_ONLY, true), format("{\"prompt\": " + M + "}"));
        assertEquals(new RowFormat(DatasetType.PROMPT_COMPLETION, false), format("{\"prompt\": \"a\", \"completion\": \"b\"}"));
        assertEquals(new RowFormat(DatasetType.PROMPT_COMPLETION, true), format("{\"prompt\": " + M + ", \"completion\": " + A + "}"));
        assertEquals(new RowFormat(DatasetType.PREFERENCE, false), format("{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}"));
        assertEquals(new RowFormat(DatasetType.PREFERENCE, true),
                format("{\"prompt\": " + M + ", \"chosen\": " + A + ", \"rejected\": " + A + "}"));
        assertEquals(new RowFormat(DatasetType.IMPLICIT_PROMPT_PREFERENCE, false), format("{\"chosen\": \"b\", \"rejected\": \"c\"}"));
        assertEquals(new RowFormat(DatasetType.UNPAIRED_PREFERENCE, false),
                format("{\"prompt\": \"a\", \"completion\": \"b\", \"label\": false}"));
        assertEquals(new RowFormat(DatasetType.UNPAIRED_PREFERENCE, true),
                format("{\"prompt\": " + M + ", \"completion\": " + A + ", \"label\": true}"));
        assertEquals(DatasetType.PROMPT_COMPLETION, DatasetType.detect(row("{\"prompt\": \"a\", \"completion\": \"b\", \"source\": null}")));
        assertEquals(new RowFormat(DatasetType.LANGUAGE_MODELING, false), RowFormat.of(row("{\"content\": \"a\"}"), "content"));
        // A tool-calling assistant message may have no content.
        assertEquals(new RowFormat(DatasetType.LANGUAGE_MODELING, true),
                format("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"tool_calls\": [{}]}]}"));
    }

    @Test
    void everyKindOfBadRowNamesFileLineAndField() {
        assertError("rows.jsonl, line 7: fits no TRL dataset type: its columns [] must be one of [text]", () -> format("{\"id\": 1}"));
        assertError("rows.jsonl, line 7: fits no TRL dataset type: its columns [messages, prompt]",
                () -> format("{\"prompt\": \"a\", \"messages\": " + M + "}"));
        assertError("fits no TRL dataset type: its columns [completion]", () -> format("{\"completion\": \"a\"}"));
        assertError("fits no TRL dataset type: its columns [prompt, text]", () -> format("{\"text\": \"a\", \"prompt\": \"b\"}"));
        assertError("rows.jsonl, line 7: field \"text\" must be a string, got NUMBER", () -> format("{\"text\": 5}"));
        assertError("field \"label\" must be true or false, got 1", () -> format("{\"prompt\": \"a\", \"completion\": \"b\", \"label\": 1}"));
        assertError("field \"prompt\" must be a string or a list of messages, got OBJECT", () -> format("{\"prompt\": {}, \"completion\": \"b\"}"));
        assertError("mixes message lists [completion] with strings [prompt]", () -> format("{\"prompt\": \"a\", \"completion\": " + A + "}"));
        assertError("field \"messages\" is an empty message list", () -> format("{\"messages\": []}"));
        assertError("field \"messages[0]\" must be a {\"role\", \"content\"} object, got STRING", () -> format("{\"messages\": [\"hi\"]}"));
        assertError("field \"messages[1].role\" must be a non-empty string",
                () -> format("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"content\": \"b\"}]}"));
        assertError("field \"messages[0].content\" is missing", () -> format("{\"messages\": [{\"role\": \"user\"}]}"));
        assertError("field \"messages[0].content\" must be a string, got ARRAY (multimodal",
                () -> format("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]}"));
        assertError("field \"system\" must be a string", () -> format("{\"system\": 3, \"messages\": " + M + "}"));
    }
}
