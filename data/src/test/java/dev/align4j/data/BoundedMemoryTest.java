package dev.align4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JSON Lines file three times larger than the heap loads and iterates in order and shuffled in
 * a child JVM limited to {@value #HEAP}: the dataset holds an index, never the rows.
 * The same JVM reading the file whole runs out of memory, which shows the limit bites.
 */
class BoundedMemoryTest {
    static final String HEAP = "-Xmx64m";
    static final int ROWS = 250_000;

    @TempDir
    Path dir;

    @Test
    void aFileLargerThanTheHeapStreams() throws Exception {
        Path file = dir.resolve("big.jsonl");
        String filler = "lorem ipsum dolor sit amet ".repeat(14);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < ROWS; i++) {
                out.write("{\"prompt\": \"question " + i + " " + filler + "\", \"completion\": \"answer " + i + " " + filler + "\"}\n");
            }
        }
        assertTrue(Files.size(file) > 192L << 20, "the file must dwarf the heap: " + Files.size(file));

        Result streamed = probe("stream", file);
        assertEquals(0, streamed.exit, streamed.output);
        assertEquals(ROWS + " " + ROWS + " " + ROWS, streamed.output.strip());

        Result whole = probe("whole", file);
        assertNotEquals(0, whole.exit, "reading the file whole must not fit in " + HEAP + ": " + whole.output);
        assertTrue(whole.output.contains("OutOfMemoryError"), whole.output);
    }

    record Result(int exit, String output) {}

    static Result probe(String mode, Path file) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), HEAP, "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), StreamingProbe.class.getName(), mode, file.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        return new Result(process.exitValue(), output);
    }
}
