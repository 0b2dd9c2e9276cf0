package dev.align4j.data.synth;

import java.util.List;
import java.util.Objects;

/**
 * One generated problem with everything the post-training formats are built from: the question,
 * its gold answer and a short worked reasoning, a plausible wrong answer with reasoning that leads
 * to it (the rejected side of a preference pair), and plain-prose statements of the solved problem
 * for pretraining.
 *
 * <p>The question text is the problem's identity: two problems with the same question are the same
 * problem, whatever else differs, and the train/eval split ({@link HeldOut}) is decided by it alone.
 *
 * <p>What it is not: a row of any file format ({@link SynthWriter} makes the rows), nor a checker
 * of its own answer (the generators compute answers; the tests recompute them independently).
 *
 * @param task           the generator's name ({@link Task#name()})
 * @param level          difficulty, 1 (easiest) to 3
 * @param question       the question, a complete sentence
 * @param answer         the gold answer: an integer, or a list "3, 17, 42"
 * @param reasoning      the worked steps that lead to {@code answer}, one per line ("3 + 4 = 7")
 * @param wrongAnswer    a plausible incorrect answer (off by one, wrong operation, mis-sorted list)
 * @param wrongReasoning the steps that lead to {@code wrongAnswer}, in the same notation
 * @param prose          pretraining texts: the solved problem in prose or plain notation, never in
 *                       the chat answer format that SFT teaches
 */
public record Problem(String task, int level, String question, String answer, String reasoning,
                      String wrongAnswer, String wrongReasoning, List<String> prose) {
    public Problem {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(wrongAnswer, "wrongAnswer");
        Objects.requireNonNull(wrongReasoning, "wrongReasoning");
        if (level < 1 || level > 3) throw new IllegalArgumentException(task + ": level must be 1..3, got " + level);
        if (wrongAnswer.equals(answer)) {
            throw new IllegalStateException(task + ": the wrong answer equals the gold answer " + answer + " for \"" + question + "\"");
        }
        prose = List.copyOf(prose);
        if (prose.isEmpty()) throw new IllegalArgumentException(task + ": no pretraining text for \"" + question + "\"");
    }
}
