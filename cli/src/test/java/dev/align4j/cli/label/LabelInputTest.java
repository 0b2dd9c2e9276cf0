package dev.align4j.cli.label;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The input of align4j label: the three spellings of a pair, ids, carried columns, and errors that name file, line and field. */
class LabelInputTest {
    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private IllegalArgumentException bad(String... lines) throws IOException {
        Path file = write(lines);
        return assertThrows(IllegalArgumentException.class, () -> Comparisons.read(file));
    }

    @Test
    void readsTheThreeSpellingsOfAPairWithIdsAndCarriedColumns() throws IOException {
        List<Comparison> c = Comparisons.read(write(
                "{\"prompt\": \"p1\", \"completion_a\": \"a1\", \"completion_b\": \"b1\", \"model_a\": \"x\"}",
                "",
                "{\"prompt\": \"p2\", \"chosen\": \"a2\", \"rejected\": \"b2\", \"id\": 7}",
                "{\"prompt\": \"p3\", \"completions\": [\"a3\", \"b3\"], \"id\": \"q-3\", \"shown_order\": [\"completion_b\", \"completion_a\"], \"choice\": \"tie\"}"));
        assertEquals(3, c.size());
        assertEquals(List.of("1", "7", "q-3"), c.stream().map(Comparison::id).toList(), "default id: the line number");
        assertEquals(List.of("a1", "a2", "a3"), c.stream().map(Comparison::completionA).toList());
        assertEquals(List.of("b1", "b2", "b3"), c.stream().map(Comparison::completionB).toList());
        assertEquals("x", c.get(0).carried().get("model_a").asText());
        assertTrue(c.get(1).idJson().isNumber(), "a number id stays a number in the output");
        assertTrue(c.get(0).idJson().isTextual());
        assertTrue(c.get(2).carried().isEmpty(), "shown_order and choice of an earlier session are not carried: " + c.get(2).carried());
        assertEquals(4, c.get(2).line());
    }

    @Test
    void aMissingPromptNamesFileLineAndField() throws IOException {
        IllegalArgumentException e = bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\"}",
                "{\"completion_a\": \"a\", \"completion_b\": \"b\"}");
        assertTrue(e.getMessage().contains(dir.resolve("pairs.jsonl") + ", line 2: field \"prompt\" is missing"), e.getMessage());
    }

    @Test
    void aMissingCompletionNamesItsField() throws IOException {
        assertTrue(bad("{\"prompt\": \"p\", \"completion_a\": \"a\"}").getMessage().contains("line 1: field \"completion_b\" is missing"));
        assertTrue(bad("{\"prompt\": \"p\", \"chosen\": \"a\"}").getMessage().contains("line 1: field \"rejected\" is missing"));
        String none = bad("{\"prompt\": \"p\"}").getMessage();
        assertTrue(none.contains("line 1: field \"completion_a\" is missing") && none.contains("completions: [a, b]"), none);
        assertTrue(bad("{\"prompt\": \"p\", \"completions\": [\"a\"]}").getMessage().contains("field \"completions\" must be a list of two strings"));
        assertTrue(bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": 3}").getMessage()
                .contains("field \"completion_b\" must be a string, got NUMBER"));
        assertTrue(bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"chosen\": \"c\", \"rejected\": \"d\"}").getMessage()
                .contains("field \"completion_a\" is one of two spellings"));
    }

    @Test
    void aDuplicateIdNamesBothLines() throws IOException {
        String e = bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"id\": \"x\"}",
                "{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"id\": \"y\"}",
                "{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"id\": \"x\"}").getMessage();
        assertTrue(e.contains("line 3: field \"id\" is \"x\", the id of line 1 too"), e);
        String defaulted = bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"id\": 2}",
                "{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\"}").getMessage();
        assertTrue(defaulted.contains("line 2: field \"id\" is \"2\", the id of line 1 too") && defaulted.contains("line number"), defaulted);
    }

    @Test
    void columnsThatWouldChangeTheOutputsDatasetTypeAreRefused() throws IOException {
        for (String column : List.of("completion", "label", "messages", "text")) {
            String e = bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"" + column + "\": \"x\"}").getMessage();
            assertTrue(e.contains("line 1: field \"" + column + "\" cannot be carried"), e);
        }
    }

    @Test
    void badIdsAndEmptyFilesAreErrors() throws IOException {
        assertTrue(bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"id\": [1]}").getMessage()
                .contains("field \"id\" must be a string or a number"));
        assertTrue(bad("{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\", \"id\": \"\"}").getMessage().contains("field \"id\" is empty"));
        String empty = bad("", " ").getMessage();
        assertTrue(empty.contains("has no comparisons"), empty);
        String notJson = bad("{\"prompt\": \"p\",").getMessage();
        assertTrue(notJson.contains("line 1: not valid JSON"), notJson);
        assertFalse(notJson.isBlank());
    }
}
