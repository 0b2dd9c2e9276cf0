package dev.align4j.train.judges;

import dev.align4j.generate.text.TextModel;
import dev.align4j.io.hf.LoadOptions;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Makes a judge's {@link ChatBackend} from what a user writes after {@code --judge}: a URL for an
 * OpenAI-compatible server, or a model folder to run locally. Nothing else: the judge itself is
 * {@code new LlmPairwiseJudge(backend)} or {@code new LlmGrader(backend)}.
 */
public final class Judges {
    private Judges() {}

    /** {@link #backend(String, String, String, int, Duration, int, Duration)} with the HTTP defaults of {@link OpenAiChatBackend}. */
    public static ChatBackend backend(String where, String apiKey, String modelName, int maxTokens) throws IOException {
        return backend(where, apiKey, modelName, maxTokens, OpenAiChatBackend.DEFAULT_TIMEOUT, OpenAiChatBackend.DEFAULT_RETRIES,
                OpenAiChatBackend.DEFAULT_BACKOFF);
    }

    /**
     * A backend for {@code where}: starting with {@code http://} or {@code https://}, an
     * {@link OpenAiChatBackend} asking for {@code modelName} with {@code apiKey}; otherwise a model
     * folder, loaded with {@link LoadOptions#defaults()} into a {@link LocalChatBackend} that owns the
     * model and closes it with itself ({@code apiKey}, {@code modelName} and the HTTP settings unused).
     *
     * @param maxTokens the longest answer, in tokens (a judge explains before its verdict: give it room)
     * @throws IllegalArgumentException when the folder does not exist, or a URL comes without a model name
     */
    public static ChatBackend backend(String where, String apiKey, String modelName, int maxTokens, Duration timeout, int retries,
                                      Duration backoff) throws IOException {
        if (where == null || where.isBlank()) {
            throw new IllegalArgumentException("judge: give a model folder or the URL of an OpenAI-compatible server");
        }
        if (where.startsWith("http://") || where.startsWith("https://")) {
            if (modelName == null || modelName.isBlank()) {
                throw new IllegalArgumentException("judge " + where + ": an OpenAI-compatible server needs the model name to ask for");
            }
            return new OpenAiChatBackend(URI.create(where), apiKey, modelName, maxTokens, timeout, retries, backoff);
        }
        Path folder = Path.of(where);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("judge " + folder.toAbsolutePath() + ": no such model folder; give a Hugging Face model"
                    + " folder (config.json, model.safetensors, tokenizer.json) or an http(s):// URL of an OpenAI-compatible server");
        }
        TextModel model = TextModel.load(folder, LoadOptions.defaults());
        try {
            return new LocalChatBackend(model, maxTokens, LocalChatBackend.DEFAULT_MAX_SEQUENCES, true);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
