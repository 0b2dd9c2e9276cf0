package dev.align4j.generate.text;

import dev.align4j.io.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The text of one completion, built token by token as the engine samples them, with stop strings.
 *
 * <p>Detokenization follows vLLM's incremental detokenizer ({@code detokenize_incrementally} in
 * vllm/transformers_utils/detokenizer_utils.py): the text of a new token is the difference between
 * decoding the ids from {@code prefixOffset} to the end and decoding them up to {@code readOffset};
 * while that difference is empty or ends in U+FFFD (a UTF-8 character split across byte-level
 * tokens), the token waits for the next one. Decoding starts from the last
 * {@value #PROMPT_CONTEXT} prompt tokens, so a first token's leading space survives SentencePiece
 * decoders that strip it at the start of a text; special tokens are skipped, so an eos token adds no
 * text, and so are ids the tokenizer does not know (Qwen pads its 151,669 tokens to 151,936 rows). Each call decodes a handful of tokens, never the whole completion.
 *
 * <p>Stop strings follow vLLM's {@code check_stop_strings}: after each token, the text's tail that
 * could hold a new match is searched; on a match the text is cut just before the stop string (the
 * token that completed it is kept among the ids) and the completion ends with finish "stop". When
 * several match in one token's text, the earliest wins (vLLM takes the first in list order). For
 * streaming, {@link #takeDelta} holds back the last {@code longest stop − 1} characters until the
 * completion ends, as vLLM's v1 detokenizer does, so a client never sees the start of a stop string
 * that then disappears. What it is not: thread-safe, or an option to keep the stop string in the text.
 */
public final class CompletionText {
    /** Prompt tokens decoded before the completion (vLLM's INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET). */
    static final int PROMPT_CONTEXT = 5;

    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final int holdBack;
    private int[] ids;
    private int size, prefixOffset, readOffset;
    private final StringBuilder text = new StringBuilder();
    private int handedOut;
    private String stoppedBy;

    /** The text of a completion of {@code promptIds}, stopping at any of {@code stops} (non-empty strings). */
    public CompletionText(Tokenizer tokenizer, int[] promptIds, List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must be non-empty, got " + stops);
        }
        this.tokenizer = tokenizer;
        this.stops = List.copyOf(stops);
        this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
        int context = Math.min(PROMPT_CONTEXT, promptIds.length);
        this.ids = Arrays.copyOfRange(promptIds, promptIds.length - context, promptIds.length + 16);
        this.size = context;
        this.readOffset = context;
    }

    /**
     * Appends a sampled token; returns true when its text completed a stop string (the text is then
     * cut before it, and later tokens must not be added).
     */
    public boolean add(int token) {
        if (stoppedBy != null) throw new IllegalStateException("CompletionText: a stop string already ended this completion");
        if (size == ids.length) ids = Arrays.copyOf(ids, 2 * size);
        ids[size++] = token;
        String before = decode(prefixOffset, readOffset);
        String after = decode(prefixOffset, size);
        if (after.length() <= before.length() || after.endsWith("\uFFFD")) return false;
        int newChars = after.length() - before.length();
        text.append(after, before.length(), after.length());
        prefixOffset = readOffset;
        readOffset = size;
        return matchStop(newChars);
    }

    /** Cuts the text before the earliest stop string that the last {@code newChars} characters touch. */
    private boolean matchStop(int newChars) {
        int cut = -1;
        for (String stop : stops) {
            int from = Math.max(0, text.length() - newChars - stop.length() + 1);
            int at = text.indexOf(stop, from);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
                stoppedBy = stop;
            }
        }
        if (cut < 0) return false;
        text.setLength(cut);
        handedOut = Math.min(handedOut, cut);
        return true;
    }

    /**
     * The text not yet handed out; while the completion runs ({@code finished} false), minus the
     * tail that could still turn out to be the start of a stop string.
     */
    public String takeDelta(boolean finished) {
        int end = finished || stoppedBy != null ? text.length() : Math.max(handedOut, text.length() - holdBack);
        String delta = text.substring(handedOut, end);
        handedOut = end;
        return delta;
    }

    /** The completion's text so far (stop string excluded). */
    public String text() {
        return text.toString();
    }

    /** The stop string that ended the completion, if one did. */
    public Optional<String> stoppedBy() {
        return Optional.ofNullable(stoppedBy);
    }

    /** The text of ids [from, to); ids the tokenizer does not know (a vocabulary padded past the tokenizer's) add none. */
    private String decode(int from, int to) {
        int[] known = Arrays.stream(ids, from, to).filter(id -> tokenizer.idToToken(id).isPresent()).toArray();
        return known.length == 0 ? "" : tokenizer.decode(known, true);
    }
}
