package dev.align4j.data.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: a task's set generated into a folder, as {@code align4j data synth} does, and its files read back. */
final class SynthFiles {
    private SynthFiles() {}

    static Path generate(Path out, Task task, int n, int evalN, long seed) throws IOException {
        Path dir = out.resolve(task.name());
        SynthWriter.write(dir, task.name(), Draw.problems(task, n, evalN, seed), seed);
        return dir;
    }

    static List<ObjectNode> read(Path file) {
        List<ObjectNode> rows = new ArrayList<>();
        JsonLines.forEach(file, line -> rows.add(line.json()));
        return rows;
    }

    /** The content of a one-message list column. */
    static String content(ObjectNode row, String column) {
        return row.get(column).get(0).get("content").asText();
    }
}
