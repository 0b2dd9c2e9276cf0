package dev.align4j.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finds the shared third-party test data ({@code shared/fixtures}: real tokenizers, golden
 * encodings, chat-template renders) for tests.
 *
 * <p>Not a downloader: when the folder is absent the calling test is skipped (a JUnit assumption,
 * reported as skipped with the reason), never silently passed.
 *
 * <p>Based on the layout of DESIGN.md's "Fixtures": {@code shared/} sits beside the repository,
 * so from the working directory (the Maven module folder, one level below the repository root)
 * this walks up the parents until one holds {@code shared/fixtures}; this finds
 * {@code ../shared/fixtures} of the repository root wherever the repository is cloned.
 */
public final class Fixtures {
    private Fixtures() {}

    private static final Optional<Path> ROOT = find();

    private static Optional<Path> find() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The fixtures folder; skips the calling test when it is absent. */
    public static Path root() {
        assumeTrue(ROOT.isPresent(), () -> "Skipped: no shared/fixtures folder in " + Path.of("").toAbsolutePath()
                + " or any parent; the tests need ../shared/fixtures beside the repository (see DESIGN.md, Fixtures)");
        return ROOT.get();
    }

    /**
     * A file or folder inside the fixtures; skips when the fixtures are absent, fails when they are
     * present but lack this entry (a broken copy must not pass as a skip).
     */
    public static Path path(String relative) {
        Path path = root().resolve(relative);
        assertTrue(Files.exists(path), () -> "The fixtures at " + ROOT.get() + " have no " + relative);
        return path;
    }

    /** The folder of a fixture tokenizer: qwen3, llama3_1, llama2, gemma3 or gpt2. */
    public static Path tokenizer(String name) {
        return path("tokenizers/" + name);
    }
}
