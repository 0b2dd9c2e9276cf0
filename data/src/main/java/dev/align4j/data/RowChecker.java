package dev.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * The load-time check every row of a dataset goes through: the JSON must be an object, the row
 * must fit a TRL dataset type, and every row must have the type and format of the first valid
 * row. A failing row is an error naming its file and line, or, with {@code skip_invalid_rows},
 * skipped and counted.
 *
 * <p>What it is not: thread-safe (one load uses one checker), nor a reader of files (the indexers
 * of {@link JsonFiles} and {@link DuckDbFiles} call it).
 *
 * <p>Based on TRL's {@code remove_none_values} (trl/trainer/utils.py, applied by
 * {@code SFTTrainer._prepare_dataset}) for dropping null values of objects, and on
 * {@link RowFormat} for the types.
 */
final class RowChecker {
    private final DatasetOptions options;
    private RowFormat format;
    private Row first;
    private long skipped;

    RowChecker(DatasetOptions options) {
        this.options = options;
    }

    /**
     * Whether to keep a parsed row.
     *
     * @throws IllegalArgumentException naming the file and line when the row is invalid and invalid
     *                                  rows are not skipped
     */
    boolean accept(JsonNode json, Path file, Row.Unit unit, long number) {
        try {
            if (!(json instanceof ObjectNode object)) {
                throw new IllegalArgumentException(file + ", " + unit + " " + number + ": expected a JSON object, got "
                        + json.getNodeType());
            }
            Row row = new Row(removeNulls(object), file, unit, number);
            RowFormat rowFormat = RowFormat.of(row, options.datasetTextField());
            if (format == null) {
                format = rowFormat;
                first = row;
            } else if (!format.equals(rowFormat)) {
                throw row.error("is " + describe(rowFormat) + " but the dataset is " + describe(format) + " (from "
                        + first.where() + "); every row of a dataset must have the same columns");
            }
            return true;
        } catch (IllegalArgumentException e) {
            if (!options.skipInvalidRows()) throw e;
            skipped++;
            return false;
        }
    }

    /**
     * Whether to go on after a line that is not valid JSON.
     *
     * @throws IllegalArgumentException naming the file and line unless invalid rows are skipped
     */
    boolean malformed(Path file, Row.Unit unit, long number, String problem) {
        if (!options.skipInvalidRows()) {
            throw new IllegalArgumentException(file + ", " + unit + " " + number + ": not valid JSON: " + problem
                    + " (set skip_invalid_rows to skip such rows)");
        }
        skipped++;
        return false;
    }

    /** The column of standard language-modeling text. */
    String textField() {
        return options.datasetTextField();
    }

    /** The format of the rows seen, or null before the first valid row. */
    RowFormat format() {
        return format;
    }

    long skipped() {
        return skipped;
    }

    private static String describe(RowFormat f) {
        return (f.conversational() ? "conversational " : "standard ") + f.type().name().toLowerCase().replace('_', ' ');
    }

    /** TRL's remove_none_values: drops null members of objects, at every depth; list elements stay. */
    static ObjectNode removeNulls(ObjectNode object) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.properties().iterator(); it.hasNext(); ) {
            JsonNode value = it.next().getValue();
            if (value.isNull()) it.remove();
            else clean(value);
        }
        return object;
    }

    private static void clean(JsonNode value) {
        if (value instanceof ObjectNode o) {
            removeNulls(o);
        } else if (value instanceof ArrayNode a) {
            for (JsonNode element : a) clean(element);
        }
    }
}
