package dev.align4j.train.judges;

import java.util.Objects;

/**
 * A question and one answer to it, for single-answer grading ({@link LlmGrader}).
 *
 * @param question the user's question
 * @param answer   the answer to rate
 */
public record Answered(String question, String answer) {
    public Answered {
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
    }
}
