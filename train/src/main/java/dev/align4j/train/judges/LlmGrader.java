package dev.align4j.train.judges;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A language model rating single answers from 1 to 10: MT-Bench's single-answer grading (Zheng et
 * al. 2023, arXiv:2306.05685), the judge reading the question and the answer through a
 * {@link JudgeTemplate} and ending with {@code Rating: [[n]]}.
 *
 * <p>All items go to the backend in one batch. What it is not: a pairwise judge (grading has no
 * position bias to cancel, but MT-Bench notes absolute scores can miss subtle differences
 * between two answers and fluctuate more than comparisons), nor a reward function (eval may turn grades into one). The
 * grader owns its backend: closing the grader closes it.
 */
public final class LlmGrader implements AutoCloseable {
    private final ChatBackend backend;
    private final JudgeTemplate template;

    /** A grader asking {@code backend} through {@code template} (a {@link JudgeTemplate.Kind#SINGLE} one). */
    public LlmGrader(ChatBackend backend, JudgeTemplate template) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.template = Objects.requireNonNull(template, "template");
        if (template.kind() != JudgeTemplate.Kind.SINGLE) {
            throw new IllegalArgumentException(template.source() + " is a " + template.kind().name().toLowerCase()
                    + " judge template; a grader needs a single-answer one with {question} and {answer}");
        }
    }

    /** A grader with the built-in single-answer template. */
    public LlmGrader(ChatBackend backend) {
        this(backend, JudgeTemplate.defaultSingle());
    }

    /**
     * One grade per item, in order.
     *
     * @throws JudgeUnavailableException when the backend cannot answer
     */
    public List<Grade> grade(List<Answered> items) {
        if (items.isEmpty()) return List.of();
        List<List<Message>> conversations = new ArrayList<>(items.size());
        for (Answered item : items) conversations.add(template.renderSingle(item.question(), item.answer()));
        List<String> answers = backend.complete(conversations);
        if (answers.size() != items.size()) {
            throw new IllegalStateException(backend + " answered " + answers.size() + " of " + items.size() + " conversations");
        }
        List<Grade> out = new ArrayList<>(items.size());
        for (String raw : answers) out.add(new Grade(JudgeParsers.rating(raw), raw));
        return out;
    }

    /** Closes the backend. */
    @Override
    public void close() {
        backend.close();
    }

    @Override
    public String toString() {
        return "LlmGrader[" + backend + ", " + template + "]";
    }
}
