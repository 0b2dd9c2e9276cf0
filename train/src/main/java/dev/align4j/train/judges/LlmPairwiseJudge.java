package dev.align4j.train.judges;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A language model as pairwise judge, MT-Bench style (Zheng et al. 2023, "Judging LLM-as-a-Judge with
 * MT-Bench and Chatbot Arena", arXiv:2306.05685): the model reads the question and two answers
 * through a {@link JudgeTemplate} and ends with {@code [[A]]}, {@code [[B]]} or {@code [[C]]}.
 *
 * <p>Position bias: judges tend to favour one position, usually the first (MT-Bench). Each comparison is asked twice in
 * one backend batch, first with {@code first} as Assistant A, then with {@code second} as A, and
 * each answer is mapped back to the comparison's first/second. The two are combined by the first
 * answer's mean score (1 a win, 0.5 a tie, 0 a loss): above 0.5 {@link Verdict#FIRST}, below
 * {@link Verdict#SECOND}, exactly 0.5 {@link Verdict#TIE}. So agreement gives the winner, a win and
 * a tie give the win, and a disagreement (each order preferring whatever was shown first, say) is
 * a tie: the bias cancels. This is MT-Bench's swap, with "win + tie → win" instead of its
 * "inconsistent → tie" for that case, and it replaces TRL's {@code shuffle_order=True} (one random
 * order, bias averaged over many pairs rather than removed from each). When one order's answer
 * cannot be parsed the other decides alone; both unparsed is {@link Verdict#UNPARSED} (TRL's −1).
 *
 * <p>{@link #judgeDetailed} returns both orders' raw texts and verdicts, for eval to log and to
 * count unparsed and position-inconsistent judgements. The judge owns its backend: closing the
 * judge closes it.
 */
public final class LlmPairwiseJudge implements PairwiseJudge {

    /**
     * Everything the judge said about one comparison. Both order verdicts are already in the
     * comparison's terms ({@link Verdict#FIRST} means {@code first} is better, whichever position it had).
     *
     * @param comparison    what was judged
     * @param rawFirstAsA   the judge's text with {@code first} shown as Assistant A
     * @param firstAsA      that text's verdict
     * @param rawSecondAsA  the judge's text with {@code second} shown as Assistant A
     * @param secondAsA     that text's verdict
     * @param verdict       the two combined
     */
    public record Judgement(Comparison comparison, String rawFirstAsA, Verdict firstAsA, String rawSecondAsA, Verdict secondAsA,
                            Verdict verdict) {

        /** How many of the two orders gave a verdict: 0, 1 or 2. */
        public int parsedOrders() {
            return (firstAsA == Verdict.UNPARSED ? 0 : 1) + (secondAsA == Verdict.UNPARSED ? 0 : 1);
        }

        /** Whether both orders gave a verdict and they disagree (MT-Bench's "inconsistent"; a win and a tie count). */
        public boolean positionInconsistent() {
            return parsedOrders() == 2 && firstAsA != secondAsA;
        }
    }

    private final ChatBackend backend;
    private final JudgeTemplate template;

    /** A judge asking {@code backend} through {@code template} (a {@link JudgeTemplate.Kind#PAIRWISE} one). */
    public LlmPairwiseJudge(ChatBackend backend, JudgeTemplate template) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.template = Objects.requireNonNull(template, "template");
        if (template.kind() != JudgeTemplate.Kind.PAIRWISE) {
            throw new IllegalArgumentException(template.source() + " is a " + template.kind().name().toLowerCase()
                    + " judge template; a pairwise judge needs one with {question}, {answer_a} and {answer_b}");
        }
    }

    /** A judge with the built-in pairwise template. */
    public LlmPairwiseJudge(ChatBackend backend) {
        this(backend, JudgeTemplate.defaultPairwise());
    }

    @Override
    public List<Verdict> judge(List<Comparison> comparisons) {
        List<Verdict> out = new ArrayList<>(comparisons.size());
        for (Judgement j : judgeDetailed(comparisons)) out.add(j.verdict());
        return out;
    }

    /**
     * Both orders' texts and verdicts and the combined verdict, per comparison, in order.
     *
     * @throws JudgeUnavailableException when the backend cannot answer
     */
    public List<Judgement> judgeDetailed(List<Comparison> comparisons) {
        if (comparisons.isEmpty()) return List.of();
        List<List<Message>> conversations = new ArrayList<>(2 * comparisons.size());
        for (Comparison c : comparisons) {
            conversations.add(template.renderPairwise(c.prompt(), c.first(), c.second()));
            conversations.add(template.renderPairwise(c.prompt(), c.second(), c.first()));
        }
        List<String> answers = backend.complete(conversations);
        if (answers.size() != conversations.size()) {
            throw new IllegalStateException(backend + " answered " + answers.size() + " of " + conversations.size() + " conversations");
        }
        List<Judgement> out = new ArrayList<>(comparisons.size());
        for (int i = 0; i < comparisons.size(); i++) {
            String rawFirstAsA = answers.get(2 * i), rawSecondAsA = answers.get(2 * i + 1);
            Verdict firstAsA = JudgeParsers.verdict(rawFirstAsA);
            Verdict secondAsA = JudgeParsers.verdict(rawSecondAsA).swapped();
            out.add(new Judgement(comparisons.get(i), rawFirstAsA, firstAsA, rawSecondAsA, secondAsA, combine(firstAsA, secondAsA)));
        }
        return out;
    }

    /** The mean of the parsed orders' scores for {@code first}, as a verdict; UNPARSED when neither parsed. */
    static Verdict combine(Verdict firstAsA, Verdict secondAsA) {
        double sum = 0;
        int n = 0;
        for (Verdict v : new Verdict[] {firstAsA, secondAsA}) {
            if (v == Verdict.UNPARSED) continue;
            sum += v.firstScore();
            n++;
        }
        if (n == 0) return Verdict.UNPARSED;
        double mean = sum / n; // exact in binary: sums of halves over 1 or 2
        return mean > 0.5 ? Verdict.FIRST : mean < 0.5 ? Verdict.SECOND : Verdict.TIE;
    }

    /** Closes the backend. */
    @Override
    public void close() {
        backend.close();
    }

    @Override
    public String toString() {
        return "LlmPairwiseJudge[" + backend + ", " + template + "]";
    }
}
