package dev.align4j.train.judges;

import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation sent to a {@link ChatBackend}, as OpenAI's chat API and Hugging Face
 * chat templates take it: a role ({@code system}, {@code user}, {@code assistant}) and its text.
 */
public record Message(String role, String content) {
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static Message system(String content) {
        return new Message("system", content);
    }

    public static Message user(String content) {
        return new Message("user", content);
    }

    /** {@code {"role": …, "content": …}}, what a chat template renders. */
    public Map<String, String> toMap() {
        return Map.of("role", role, "content", content);
    }
}
