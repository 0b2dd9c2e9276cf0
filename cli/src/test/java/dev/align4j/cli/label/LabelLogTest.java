package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The labels file: a torn last line is repaired with a warning, earlier lines are never lost, appends are whole lines. */
class LabelLogTest {
    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private static ObjectNode row(String id) {
        return JsonLines.MAPPER.createObjectNode().put("id", id).put("prompt", "line one\nline two");
    }

    private List<String> ids(LabelLog log) {
        return log.rows().stream().map(l -> l.json().get("id").asText()).toList();
    }

    @Test
    void appendsOneLinePerRowAndReadsThemBack() throws IOException {
        Path file = dir.resolve("sub/prefs.jsonl");
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertTrue(log.rows().isEmpty());
            log.append(row("1"));
            log.append(row("2"));
        }
        assertEquals(2, Files.readAllLines(file).size(), "a newline inside a value is escaped: one row, one line");
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1", "2"), ids(log));
            assertEquals(List.of(1, 2), log.rows().stream().map(JsonLines.Line::number).toList());
        }
        assertEquals(List.of(), warnings);
    }

    @Test
    void aTornLastLineIsCutOffWithAWarningAndTheNextAppendStartsOnItsOwnLine() throws IOException {
        Path file = dir.resolve("prefs.jsonl");
        String whole = "{\"id\":\"1\",\"chosen\":\"x\"}\n{\"id\":\"2\",\"chosen\":\"y\"}\n";
        Files.writeString(file, whole + "{\"id\":\"3\",\"cho");
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1", "2"), ids(log));
            assertEquals(whole, Files.readString(file), "the torn bytes are gone, the whole lines untouched");
            log.append(row("3"));
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("line 3: dropped a torn last line"), warnings.getFirst());
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1", "2", "3"), ids(log));
        }
        assertEquals(1, warnings.size(), "nothing more to repair: " + warnings);
    }

    @Test
    void anInvalidLastLineWithItsNewlineIsCutOffToo() throws IOException {
        Path file = dir.resolve("prefs.jsonl");
        Files.writeString(file, "{\"id\":\"1\"}\n\n{\"id\":\"2\"}\n\u0000\u0000\u0000\n\n");
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1", "2"), ids(log));
        }
        assertEquals("{\"id\":\"1\"}\n\n{\"id\":\"2\"}\n", Files.readString(file));
        assertTrue(warnings.getFirst().contains("line 4: dropped a torn last line"), warnings.toString());
    }

    @Test
    void aWholeLastObjectWithoutItsNewlineIsKeptAndCompleted() throws IOException {
        Path file = dir.resolve("prefs.jsonl");
        Files.writeString(file, "{\"id\":\"1\"}\n{\"id\":\"2\"}");
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1", "2"), ids(log));
            log.append(row("3"));
        }
        assertTrue(warnings.getFirst().contains("line 2: the last line had no newline"), warnings.toString());
        assertEquals(3, Files.readAllLines(file).size());
        try (LabelLog log = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1", "2", "3"), ids(log));
        }
    }

    @Test
    void aBadLineBeforeTheLastIsDamageNotATornWrite() throws IOException {
        Path file = dir.resolve("prefs.jsonl");
        String text = "{\"id\":\"1\"}\n{\"id\":\n{\"id\":\"3\"}\n";
        Files.writeString(file, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelLog.open(file, warnings::add));
        assertTrue(e.getMessage().contains(file + ", line 2: not a JSON object, and not the last line"), e.getMessage());
        assertEquals(text, Files.readString(file), "a damaged file is left as it was");
    }

    @Test
    void aSecondSessionOnTheSameFileIsRefused() throws IOException {
        Path file = dir.resolve("prefs.jsonl");
        try (LabelLog first = LabelLog.open(file, warnings::add)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelLog.open(file, warnings::add));
            assertTrue(e.getMessage().contains("in use by another align4j label session"), e.getMessage());
            first.append(row("1"));
        }
        try (LabelLog again = LabelLog.open(file, warnings::add)) {
            assertEquals(List.of("1"), ids(again), "closing released the lock");
        }
    }
}
