package dev.align4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * JSON Lines files: one JSON object per line, read with the file and line number attached to every
 * error, written to a temporary file that replaces the target only when complete.
 *
 * <p>What it is not: a dataset loader (the data layer maps rows to TRL's dataset types).
 */
public final class JsonLines {
    private JsonLines() {}

    /** The mapper every reader and writer here uses. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** One non-blank line: its 1-based number and its object. */
    public record Line(Path file, int number, ObjectNode json) {
        /** An error that names the file, the line and the field. */
        public IllegalArgumentException error(String field, String problem) {
            return new IllegalArgumentException(file + ", line " + number + ": field \"" + field + "\" " + problem);
        }

        /** A required field. */
        public JsonNode require(String field) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) throw error(field, "is missing");
            return v;
        }
    }

    /** Calls {@code action} for every non-blank line of {@code file}, in order. */
    public static void forEach(Path file, Consumer<Line> action) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int number = 0;
            while ((text = in.readLine()) != null) {
                number++;
                if (text.isBlank()) continue;
                JsonNode node;
                try {
                    node = MAPPER.readTree(text);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException(file + ", line " + number + ": not valid JSON: " + e.getOriginalMessage());
                }
                if (!(node instanceof ObjectNode object)) {
                    throw new IllegalArgumentException(file + ", line " + number + ": expected a JSON object, got " + node.getNodeType());
                }
                action.accept(new Line(file, number, object));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes lines to a temporary file beside {@code target}; {@link #commit()} moves it into place. */
    public static final class Writer implements AutoCloseable {
        private final Path target, temp;
        private final BufferedWriter out;
        private boolean committed;

        public Writer(Path target) throws IOException {
            this.target = target.toAbsolutePath();
            Path dir = this.target.getParent();
            Files.createDirectories(dir);
            this.temp = Files.createTempFile(dir, "." + this.target.getFileName(), ".tmp");
            this.out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8);
        }

        public void write(ObjectNode json) throws IOException {
            out.write(MAPPER.writeValueAsString(json));
            out.write('\n');
        }

        /** Completes the file: the target appears whole or not at all. */
        public void commit() throws IOException {
            out.close();
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                out.close();
                Files.deleteIfExists(temp);
            }
        }
    }
}
