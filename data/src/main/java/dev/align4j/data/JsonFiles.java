package dev.align4j.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Indexes JSON Lines and JSON files in one streaming pass: every row is parsed and checked
 * ({@link RowChecker}) and its byte range recorded, so that memory holds the index, never the
 * file.
 *
 * <p>What it is not: a reader of CSV or Parquet ({@link DuckDbFiles}), nor of compressed files.
 *
 * <p>JSON Lines are read with this class's own line scanner and Jackson rather than DuckDB's
 * {@code read_json}: on a 276 MB, 600,000-row prompt/completion file (2 shared cores, three
 * rounds), Jackson over lines ran at 180 to 470 MB/s against 120 to 140 MB/s for DuckDB's
 * {@code read_json} followed by {@code to_json} (the rows must become JSON objects either way),
 * and the scanner knows each row's line number and byte offset, which DuckDB does not report.
 *
 * <p>Based on Hugging Face {@code datasets}' JSON builder: a {@code .jsonl} file holds one
 * object per line; a {@code .json} file holds an array of rows, or an object whose list member
 * ({@code field}) holds them; a {@code .json} file whose top-level object has a TRL column
 * ({@code text}, {@code messages}, {@code prompt}, ...) is read as JSON Lines (one row per line),
 * as {@code datasets} reads such files. Blank lines are skipped; a UTF-8 byte order mark is
 * skipped; {@code \r\n} line ends are accepted.
 */
final class JsonFiles {
    private JsonFiles() {}

    private static final Set<String> ROW_COLUMNS = Set.of("prompt", "completion", "chosen", "rejected", "messages", "label");

    /** Indexes a JSON Lines file. */
    static RowStore indexLines(Path file, RowChecker checker) {
        RowStore.Builder rows = new RowStore.Builder(file, file, Row.Unit.LINE, false);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int start = 0, end = 0;
            long bufferOffset = 0; // file offset of buf[0]
            long line = 0;
            boolean eof = false, first = true;
            while (true) {
                int newline = -1;
                for (int i = start; i < end; i++) {
                    if (buf[i] == '\n') {
                        newline = i;
                        break;
                    }
                }
                if (newline < 0 && !eof) {
                    if (start > 0) {
                        System.arraycopy(buf, start, buf, 0, end - start);
                        bufferOffset += start;
                        end -= start;
                        start = 0;
                    }
                    if (end == buf.length) buf = Arrays.copyOf(buf, Math.toIntExact(Math.min(Integer.MAX_VALUE - 16L, buf.length * 2L)));
                    int n = in.read(buf, end, buf.length - end);
                    if (n < 0) eof = true;
                    else end += n;
                    continue;
                }
                if (newline < 0 && start == end) break; // end of file after a final newline
                int lineEnd = newline < 0 ? end : newline;
                line++;
                int from = start, to = lineEnd;
                if (first && to - from >= 3 && (buf[from] & 0xff) == 0xEF && (buf[from + 1] & 0xff) == 0xBB && (buf[from + 2] & 0xff) == 0xBF) {
                    from += 3; // UTF-8 byte order mark
                }
                first = false;
                if (to > from && buf[to - 1] == '\r') to--;
                if (!blank(buf, from, to)) {
                    JsonNode json = null;
                    try {
                        json = JsonLines.MAPPER.readTree(buf, from, to - from);
                    } catch (JsonProcessingException e) {
                        checker.malformed(file, Row.Unit.LINE, line, e.getOriginalMessage());
                    }
                    if (json != null && checker.accept(json, file, Row.Unit.LINE, line)) {
                        rows.add(bufferOffset + from, to - from, line);
                    }
                }
                if (newline < 0) break;
                start = newline + 1;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows.build();
    }

    /**
     * Indexes a JSON file: an array of rows, or an object whose list member holds them. A file
     * whose top-level object has a TRL column is JSON Lines.
     */
    static RowStore indexJson(Path file, RowChecker checker, Optional<String> field) {
        RowStore.Builder rows = new RowStore.Builder(file, file, Row.Unit.LINE, false);
        try (InputStream in = Files.newInputStream(file); JsonParser p = JsonLines.MAPPER.createParser(in)) {
            JsonToken top = p.nextToken();
            if (top == JsonToken.START_ARRAY) {
                indexArray(p, file, checker, rows, "the top-level array");
            } else if (top == JsonToken.START_OBJECT) {
                String list = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    if (field.isEmpty() && list == null && (ROW_COLUMNS.contains(name) || name.equals(checker.textField()))) {
                        return indexLines(file, checker); // a row per line, as datasets reads it
                    }
                    boolean wanted = field.map(name::equals).orElse(value == JsonToken.START_ARRAY);
                    if (!wanted) {
                        p.skipChildren();
                    } else if (value != JsonToken.START_ARRAY) {
                        throw new IllegalArgumentException(file + ", line " + p.currentTokenLocation().getLineNr()
                                + ": field \"" + name + "\" must be the list of rows, got " + value);
                    } else if (list != null) {
                        throw new IllegalArgumentException(file + ": the top-level object has two lists, \"" + list
                                + "\" and \"" + name + "\"; choose the one that holds the rows with the field option");
                    } else {
                        list = name;
                        indexArray(p, file, checker, rows, "field \"" + name + "\"");
                    }
                }
                if (list == null) {
                    throw new IllegalArgumentException(file + ": the top-level object has " + field.map(f -> "no member \"" + f + "\"")
                            .orElse("no list of rows") + "; a JSON dataset is an array of rows or an object with one list of rows");
                }
                if (p.nextToken() != null) {
                    throw new IllegalArgumentException(file + ", line " + p.currentTokenLocation().getLineNr()
                            + ": more JSON after the top-level object; one row per line is JSON Lines (name the file .jsonl)");
                }
            } else {
                throw new IllegalArgumentException(file + ": a JSON dataset is an array of rows or an object with a list of rows, got "
                        + (top == null ? "an empty file" : top.toString()));
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IllegalArgumentException(file + (at == null ? "" : ", line " + at.getLineNr()) + ": not valid JSON: "
                    + e.getOriginalMessage() + " (a broken JSON file cannot be skipped row by row; fix it or write it as JSON Lines)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows.build();
    }

    /** Indexes the elements of an array whose START_ARRAY the parser is on. */
    private static void indexArray(JsonParser p, Path file, RowChecker checker, RowStore.Builder rows, String what) throws IOException {
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            if (token == null) throw new IllegalArgumentException(file + ": " + what + " ends before its closing ]");
            JsonLocation at = p.currentTokenLocation();
            JsonNode json = p.readValueAsTree();
            long end = p.currentLocation().getByteOffset();
            if (checker.accept(json, file, Row.Unit.LINE, at.getLineNr())) {
                rows.add(at.getByteOffset(), end - at.getByteOffset(), at.getLineNr());
            }
        }
    }

    private static boolean blank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') return false;
        }
        return true;
    }
}
