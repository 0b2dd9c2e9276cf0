package dev.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;

/**
 * One row of a dataset: its JSON object and where it came from, so that every error about it can
 * name the file and the line (JSON Lines, JSON) or row (CSV, Parquet).
 *
 * <p>What it is not: a typed example. {@link RowFormat} says which of TRL's dataset types the row
 * is, and the processors (for example {@link SftProcessor}) turn it into token ids.
 *
 * <p>Based on a Hugging Face {@code datasets} row (a dict of column values); CSV and Parquet
 * columns arrive as the JSON values DuckDB's {@code to_json} gives them, and null values inside
 * objects are dropped as TRL's {@code remove_none_values} does (Arrow inserts nulls for keys that
 * only some nested structs have).
 *
 * @param json     the row's columns
 * @param file     the file it was read from
 * @param unit     whether {@code number} counts lines or rows
 * @param number   1-based line number (JSON Lines, JSON: the line where the row starts) or row
 *                 number (CSV: data rows after the header; Parquet)
 */
public record Row(ObjectNode json, Path file, Unit unit, long number) {

    /** What a row's number counts. */
    public enum Unit {
        LINE("line"), ROW("row");

        private final String word;

        Unit(String word) {
            this.word = word;
        }

        @Override
        public String toString() {
            return word;
        }
    }

    /** "file, line 12", for messages. */
    public String where() {
        return file + ", " + unit + " " + number;
    }

    /** An error about the whole row: "file, line 12: problem". */
    public IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(where() + ": " + problem);
    }

    /** An error about one field: "file, line 12: field "prompt" problem". */
    public IllegalArgumentException error(String field, String problem) {
        return new IllegalArgumentException(where() + ": field \"" + field + "\" " + problem);
    }

    /** The value of a column, or null when the row lacks it (JSON null counts as absent). */
    public JsonNode get(String field) {
        JsonNode value = json.get(field);
        return value == null || value.isNull() ? null : value;
    }

    /** Whether the row has a non-null value for the column. */
    public boolean has(String field) {
        return get(field) != null;
    }
}
