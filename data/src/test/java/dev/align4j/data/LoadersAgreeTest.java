package dev.align4j.data;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same rows written as JSON Lines, JSON (array, and object with a list member), CSV and
 * Parquet load to the same rows, in the same order, shuffled the same way; each file is written
 * by a different writer (Jackson, by hand for CSV, DuckDB's COPY for Parquet).
 */
class LoadersAgreeTest {
    @TempDir
    Path dir;

    /** Unpaired-preference rows with quotes, commas, newlines, non-ASCII text and boolean labels. */
    static List<ObjectNode> flatRows() {
        List<ObjectNode> rows = new ArrayList<>();
        String[] prompts = {"Plain prompt", "Quote \" and, comma", "Line one\nline two", "Déjà vu — 日本語 ✓", "  padded  "};
        for (int i = 0; i < 25; i++) {
            ObjectNode row = JsonLines.MAPPER.createObjectNode();
            row.put("prompt", prompts[i % prompts.length] + " #" + i);
            row.put("completion", "answer " + i + (i % 3 == 0 ? ", with \"quotes\"" : ""));
            row.put("label", i % 2 == 0);
            rows.add(row);
        }
        return rows;
    }

    /** Conversations whose messages do not all have the same keys (a tool call without content). */
    static List<ObjectNode> conversations() {
        List<ObjectNode> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ObjectNode row = JsonLines.MAPPER.createObjectNode();
            ArrayNode messages = row.putArray("messages");
            messages.addObject().put("role", "user").put("content", "Question " + i + " ✓");
            if (i % 4 == 1) {
                ObjectNode call = messages.addObject().put("role", "assistant");
                call.putArray("tool_calls").addObject().put("name", "lookup").put("arguments", "{\"q\": " + i + "}");
                messages.addObject().put("role", "tool").put("content", "result " + i);
            }
            messages.addObject().put("role", "assistant").put("content", "Answer " + i);
            rows.add(row);
        }
        return rows;
    }

    static void writeJsonl(Path file, List<ObjectNode> rows) throws IOException {
        StringBuilder out = new StringBuilder();
        for (ObjectNode row : rows) out.append(JsonLines.MAPPER.writeValueAsString(row)).append('\n');
        Files.writeString(file, out);
    }

    static void duckdb(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static List<ObjectNode> read(Iterable<Row> dataset) {
        List<ObjectNode> rows = new ArrayList<>();
        for (Row row : dataset) rows.add(row.json());
        return rows;
    }

    static String csvField(String value) {
        return "\"" + value.replace("\"", "\"\"") + "\"";
    }

    @Test
    void flatRowsAgreeAcrossJsonlJsonCsvAndParquet() throws Exception {
        List<ObjectNode> rows = flatRows();
        Path jsonl = dir.resolve("rows.jsonl"), array = dir.resolve("array.json"), object = dir.resolve("object.json");
        Path csv = dir.resolve("rows.csv"), parquet = dir.resolve("rows.parquet");
        writeJsonl(jsonl, rows);
        Files.writeString(array, JsonLines.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
        ObjectNode wrapper = JsonLines.MAPPER.createObjectNode().put("version", "1.0");
        wrapper.putArray("data").addAll(rows);
        wrapper.putObject("info").put("rows", rows.size());
        Files.writeString(object, JsonLines.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(wrapper));
        StringBuilder text = new StringBuilder("prompt,completion,label\r\n");
        for (ObjectNode row : rows) {
            text.append(csvField(row.get("prompt").asText())).append(',').append(csvField(row.get("completion").asText()))
                    .append(',').append(row.get("label").asBoolean()).append("\r\n");
        }
        Files.writeString(csv, text);
        duckdb("COPY (SELECT * FROM read_csv('" + csv + "')) TO '" + parquet + "' (FORMAT parquet)");

        for (Path file : List.of(jsonl, array, object, csv, parquet)) {
            Dataset d = Datasets.load(file.toString());
            assertEquals(rows, read(d), file.toString());
            assertEquals(new RowFormat(DatasetType.UNPAIRED_PREFERENCE, false), d.format());
            assertEquals(read(Datasets.load(jsonl.toString()).shuffled(3)), read(d.shuffled(3)), "shuffled " + file);
            assertEquals(rows.get(17), d.get(17).json());
        }
        Row fromCsv = Datasets.load(csv.toString()).get(4);
        assertEquals(Row.Unit.ROW, fromCsv.unit());
        assertEquals(5, fromCsv.number(), "CSV rows count data rows from 1, after the header");
        assertEquals(5, Datasets.load(jsonl.toString()).get(4).number(), "JSON Lines count lines");
    }

    @Test
    void conversationsAgreeAcrossJsonlJsonAndParquet() throws Exception {
        List<ObjectNode> rows = conversations();
        Path jsonl = dir.resolve("chat.jsonl"), json = dir.resolve("chat.json"), parquet = dir.resolve("chat.parquet");
        writeJsonl(jsonl, rows);
        Files.writeString(json, JsonLines.MAPPER.writeValueAsString(rows));
        // Parquet stores the messages as a list of structs; keys some messages lack come back null and are dropped.
        duckdb("COPY (SELECT * FROM read_json('" + jsonl + "')) TO '" + parquet + "' (FORMAT parquet)");
        for (Path file : List.of(jsonl, json, parquet)) {
            Dataset d = Datasets.load(file.toString());
            assertEquals(rows, read(d), file.toString());
            assertEquals(new RowFormat(DatasetType.LANGUAGE_MODELING, true), d.format());
            assertEquals(read(Datasets.load(jsonl.toString()).shuffled(11)), read(d.shuffled(11)), "shuffled " + file);
        }
    }
}
