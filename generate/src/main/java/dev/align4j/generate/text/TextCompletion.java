package dev.align4j.generate.text;

import dev.align4j.generate.Completion;

import java.util.Optional;

/**
 * One completion with its text, as vLLM's {@code CompletionOutput} reports it.
 *
 * @param text       the decoded completion, special tokens skipped, cut before a stop string
 * @param completion token ids, the two log-probs per token, finish reason
 * @param stoppedBy  the stop string that ended it, if one did ({@code stop_reason})
 */
public record TextCompletion(String text, Completion completion, Optional<String> stoppedBy) {

    /** "stop" or "length". */
    public String finishReason() {
        return completion.finishReason().value();
    }
}
