package dev.align4j.train.judges;

import dev.align4j.io.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Judges#backend}: a URL makes an HTTP backend, a folder a local one, anything else a clear error. */
class JudgesTest {

    @Test
    void aUrlMakesAnOpenAiBackend() throws IOException {
        try (ChatBackend b = Judges.backend("http://127.0.0.1:8000/v1", "key", "qwen", 256)) {
            var http = assertInstanceOf(OpenAiChatBackend.class, b);
            assertEquals(URI.create("http://127.0.0.1:8000/v1/chat/completions"), http.url());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Judges.backend("https://api.example.com", null, null, 256));
        assertTrue(e.getMessage().contains("model name"), e.getMessage());
    }

    @Test
    void aMissingFolderIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-judge");
        var e = assertThrows(IllegalArgumentException.class, () -> Judges.backend(missing.toString(), null, null, 256));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such model folder"), e.getMessage());
    }

    @Test
    void aFolderMakesALocalBackendThatOwnsItsModel() throws IOException {
        Path folder = Fixtures.path("models/stories260K");
        ChatBackend b = Judges.backend(folder.toString(), null, null, 8);
        assertInstanceOf(LocalChatBackend.class, b);
        assertEquals(1, b.complete(List.of(List.of(Message.user("Once upon a time")))).size());
        b.close();
        b.close(); // idempotent: the model is closed once
        assertThrows(IllegalStateException.class, () -> b.complete(List.of(List.of(Message.user("again")))));
    }
}
