package dev.align4j.generate.text;

import dev.align4j.io.Fixtures;
import dev.align4j.io.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Incremental detokenization and stop strings on real tokenizers: GPT-2 and Llama 3.1 (byte-level
 * BPE: an emoji spans several tokens) and Llama 2 (SentencePiece: a leading "▁" that decoding strips
 * at the start of a text, and byte fallback).
 */
class CompletionTextTest {
    static final String PROMPT = "Once upon a time";
    static final String CONTINUATION = " there was a café 🎉 named Zoë, and\nshe said: \"hi!\"";

    /** The prompt's ids and the continuation's, split where the prompt's text ends, from one encoding of the whole. */
    static int[][] split(Tokenizer tokenizer) {
        return split(tokenizer, CONTINUATION);
    }

    static int[][] split(Tokenizer tokenizer, String continuation) {
        int[] all = tokenizer.encode(PROMPT + continuation, true);
        int p = 0;
        while (!tokenizer.decode(Arrays.copyOf(all, p), true).equals(PROMPT)) p++;
        return new int[][] {Arrays.copyOf(all, p), Arrays.copyOfRange(all, p, all.length)};
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama2", "llama3_1"})
    void tokenByTokenTheDeltasSpellTheContinuationExactly(String name) {
        try (Tokenizer tokenizer = Tokenizer.load(Fixtures.tokenizer(name))) {
            int[][] ids = split(tokenizer);
            CompletionText text = new CompletionText(tokenizer, ids[0], List.of());
            StringBuilder streamed = new StringBuilder();
            for (int id : ids[1]) {
                assertFalse(text.add(id));
                String delta = text.takeDelta(false);
                assertFalse(delta.contains("\uFFFD"), name + ": a half character was streamed: " + delta);
                streamed.append(delta);
            }
            streamed.append(text.takeDelta(true));
            assertEquals(CONTINUATION, streamed.toString(), name);
            assertEquals(CONTINUATION, text.text(), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama2"})
    void aStopStringCutsTheTextAndEndsAtTheTokenThatCompletesIt(String name) {
        try (Tokenizer tokenizer = Tokenizer.load(Fixtures.tokenizer(name))) {
            int[][] ids = split(tokenizer);
            // "fé 🎉" spans several tokens; "named" stops later and must lose to the earlier match
            CompletionText text = new CompletionText(tokenizer, ids[0], List.of("named", "fé 🎉"));
            StringBuilder streamed = new StringBuilder();
            int used = 0;
            boolean stopped = false;
            while (!stopped) {
                stopped = text.add(ids[1][used++]);
                String delta = text.takeDelta(false);
                streamed.append(delta);
                assertFalse(streamed.toString().contains("fé"), "held back while it could be a stop string: " + streamed);
            }
            streamed.append(text.takeDelta(true));
            assertEquals(" there was a ca", text.text());
            assertEquals(text.text(), streamed.toString());
            assertEquals("fé 🎉", text.stoppedBy().orElseThrow());
            String upToStop = tokenizer.decode(Arrays.copyOf(ids[1], used), true);
            String beforeStop = tokenizer.decode(Arrays.copyOf(ids[1], used - 1), true);
            assertTrue(upToStop.contains("fé 🎉") && !beforeStop.contains("fé 🎉"),
                    "the last token added completes the stop string: " + beforeStop + " | " + upToStop);
            assertThrows(IllegalStateException.class, () -> text.add(ids[1][0]));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "qwen3"})
    void specialTokensAddNoText(String name) {
        try (Tokenizer tokenizer = Tokenizer.load(Fixtures.tokenizer(name))) {
            int[][] ids = split(tokenizer, " the end");
            CompletionText text = new CompletionText(tokenizer, ids[0], List.of());
            for (int id : ids[1]) text.add(id);
            text.add(tokenizer.eosTokenId().orElseThrow());
            text.add(tokenizer.vocabSize() + 3); // a padded vocabulary's row the tokenizer does not know
            assertEquals(" the end", text.text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2"})
    void emptyStopStringsAreRejected(String name) {
        try (Tokenizer tokenizer = Tokenizer.load(Fixtures.tokenizer(name))) {
            assertThrows(IllegalArgumentException.class, () -> new CompletionText(tokenizer, new int[] {1}, List.of("")));
        }
    }
}
