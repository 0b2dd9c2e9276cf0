package dev.align4j.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a recipe run has finished, in {@code OUTPUT_DIR/recipe_state.json}: each finished stage's
 * output folder and held-out metrics, rewritten atomically after each stage. A run started again on
 * the same output folder takes the finished stages from here and goes on with the next one, so an
 * interrupted recipe resumes from the last finished stage.
 */
public final class RecipeState {
    public static final String FILE = "recipe_state.json";

    private final Path file;
    private final ObjectNode root;

    private RecipeState(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /** The state in {@code outputDir}, empty when there is none. */
    public static RecipeState open(Path outputDir) throws IOException {
        Path file = outputDir.resolve(FILE);
        if (!Files.isRegularFile(file)) return new RecipeState(file, JsonLines.MAPPER.createObjectNode());
        JsonNode read;
        try {
            read = JsonLines.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a recipe state (" + e.getMessage() + "); delete it to start over");
        }
        if (!(read instanceof ObjectNode o)) throw new IllegalArgumentException(file + ": not a recipe state; delete it to start over");
        return new RecipeState(file, o);
    }

    /** A finished stage's record: {"status", "output", "held_out": {...}, "seconds"}. */
    public Optional<ObjectNode> finished(String stage) {
        JsonNode s = root.path("stages").get(stage);
        return s instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
    }

    /** Records a finished stage and writes the state. */
    public void finish(String stage, ObjectNode record) throws IOException {
        (root.has("stages") ? (ObjectNode) root.get("stages") : root.putObject("stages")).set(stage, record);
        AtomicFiles.writeString(file, JsonLines.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    /** A value the whole run keeps (the data folder, the model), checked on resume. */
    public Optional<String> fact(String key) {
        return root.hasNonNull(key) ? Optional.of(root.get(key).asText()) : Optional.empty();
    }

    public void fact(String key, String value) throws IOException {
        root.put(key, value);
        AtomicFiles.writeString(file, JsonLines.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }
}
