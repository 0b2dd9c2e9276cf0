package dev.align4j.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The child process of {@link BoundedMemoryTest}: "stream" loads a JSON Lines dataset and counts
 * its rows in order and shuffled; "whole" reads the file into one
 * string, as a loader that does not stream would.
 */
public final class StreamingProbe {
    private StreamingProbe() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        if (args[0].equals("whole")) {
            System.out.println(Files.readString(file).length());
            return;
        }
        Dataset dataset = Datasets.load(file.toString());
        long inOrder = 0, shuffled = 0;
        for (Row row : dataset) inOrder += row.has("completion") ? 1 : 0;
        for (Row row : dataset.shuffled(1)) shuffled += row.has("prompt") ? 1 : 0;
        System.out.println(dataset.size() + " " + inOrder + " " + shuffled);
    }
}
