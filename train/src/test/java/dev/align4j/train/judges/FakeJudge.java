package dev.align4j.train.judges;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A {@link ChatBackend} for tests: it reads the answers shown as A and B out of a pairwise
 * conversation rendered with {@link #TEMPLATE} and answers {@code rule(answerA, answerB)}. Records
 * every conversation it was asked and how many batches.
 */
final class FakeJudge implements ChatBackend {
    /** A template whose user message puts each answer on its own marked line. */
    static final JudgeTemplate TEMPLATE = JudgeTemplate.parse("Judge.\n---\nQ: {question}\nA: {answer_a}\nB: {answer_b}",
            JudgeTemplate.Kind.PAIRWISE, "test template");

    final BiFunction<String, String, String> rule;
    final List<List<Message>> asked = new ArrayList<>();
    int batches;
    boolean closed;

    FakeJudge(BiFunction<String, String, String> rule) {
        this.rule = rule;
    }

    @Override
    public List<String> complete(List<List<Message>> conversations) {
        batches++;
        List<String> out = new ArrayList<>();
        for (List<Message> c : conversations) {
            asked.add(c);
            String user = c.getLast().content();
            out.add(rule.apply(line(user, "A: "), line(user, "B: ")));
        }
        return out;
    }

    private static String line(String text, String prefix) {
        for (String l : text.split("\n")) if (l.startsWith(prefix)) return l.substring(prefix.length());
        throw new AssertionError("no line " + prefix + " in " + text);
    }

    @Override
    public void close() {
        closed = true;
    }
}
