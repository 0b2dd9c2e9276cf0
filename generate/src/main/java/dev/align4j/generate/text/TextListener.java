package dev.align4j.generate.text;

import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.io.tokenizer.Tokenizer;

import java.util.List;

/**
 * Turns a request's tokens into text as the engine samples them: one {@link CompletionText} per
 * completion, streaming each new piece of text to a {@link Sink} and ending a completion when a stop
 * string matches. Called on the engine's thread, like any {@link Generator.Listener}.
 */
public final class TextListener implements Generator.Listener {

    /** Receives text as it is generated. */
    public interface Sink {
        /** New text of completion {@code index} (possibly empty: a token with no text yet). */
        default void onText(int index, String text) {}

        /** Completion {@code index} has ended. */
        void onComplete(int index, TextCompletion completion);

        /** The request failed. */
        default void onError(RuntimeException error) {}

        /** Whether anyone still listens; a false ends every completion at its next token. */
        default boolean open() {
            return true;
        }
    }

    private final CompletionText[] texts;
    private final Sink sink;

    /** A listener for the {@code n} completions of {@code promptIds}, stopping at {@code stops}. */
    public TextListener(Tokenizer tokenizer, int[] promptIds, int n, List<String> stops, Sink sink) {
        this.texts = new CompletionText[n];
        for (int i = 0; i < n; i++) texts[i] = new CompletionText(tokenizer, promptIds, stops);
        this.sink = sink;
    }

    @Override
    public boolean onToken(int index, int token) {
        boolean stop = texts[index].add(token);
        String delta = texts[index].takeDelta(false);
        if (!delta.isEmpty()) sink.onText(index, delta);
        return stop || !sink.open();
    }

    @Override
    public void onComplete(int index, Completion completion) {
        String rest = texts[index].takeDelta(true);
        if (!rest.isEmpty()) sink.onText(index, rest);
        sink.onComplete(index, new TextCompletion(texts[index].text(), completion, texts[index].stoppedBy()));
    }

    @Override
    public void onError(RuntimeException error) {
        sink.onError(error);
    }
}
