package dev.align4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The built-in base model: a small Llama pretrained by align4j on the task world (the repository's
 * {@code builtin/base}, its README.md has the commands that made it), packed into the jar so that
 * {@code align4j recipe} needs nothing else. It is copied out to a folder the first time a recipe
 * uses it, since trainers and the generation engine read model folders.
 */
final class BuiltinModel {
    private BuiltinModel() {}

    static final List<String> FILES = List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");

    /** The model's folder under {@code dir}, copied out of the jar unless it is there already. */
    static Path extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String file : FILES) {
            Path target = dir.resolve(file);
            if (Files.isRegularFile(target)) continue;
            try (InputStream in = BuiltinModel.class.getResourceAsStream("/builtin/base/" + file)) {
                if (in == null) throw new IllegalStateException("the built-in model's " + file + " is missing from the jar (builtin/base)");
                Path temp = Files.createTempFile(dir, "." + file, ".tmp");
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return dir;
    }
}
