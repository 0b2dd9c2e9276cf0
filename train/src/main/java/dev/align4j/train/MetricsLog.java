package dev.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code OUTPUT_DIR/metrics.jsonl}: one JSON object per logged record, under TRL's metric names,
 * appended as training goes so a crash keeps what was logged. A resumed run rewrites the file from
 * the checkpoint's {@code log_history} first, so records logged after that checkpoint by the
 * stopped run do not appear twice.
 */
public final class MetricsLog {
    private final Path file;

    public MetricsLog(Path file) {
        this.file = file;
    }

    /** Replaces the file with {@code history}, one record per line. */
    public void restart(ArrayNode history) throws IOException {
        StringBuilder text = new StringBuilder();
        for (JsonNode record : history) text.append(JsonLines.MAPPER.writeValueAsString(record)).append('\n');
        AtomicFiles.writeString(file, text.toString());
    }

    public void append(JsonNode record) throws IOException {
        Files.writeString(file, JsonLines.MAPPER.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
