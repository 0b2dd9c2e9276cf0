package dev.align4j.train.judges;

/**
 * A pairwise judge's answer to one {@link Comparison}, in the comparison's own terms.
 *
 * <p>MT-Bench's judge (Zheng et al. 2023, arXiv:2306.05685) answers "[[A]]", "[[B]]" or "[[C]]"
 * (a tie); TRL's {@code BasePairwiseJudge} returns the better completion's index, or −1 when the
 * judge's answer cannot be parsed. This enum holds both: {@link #UNPARSED} is TRL's −1.
 */
public enum Verdict {
    /** The comparison's first answer is better. */
    FIRST,
    /** The comparison's second answer is better. */
    SECOND,
    /** Neither is better. */
    TIE,
    /** The judge's answer held no verdict, or contradicting ones. */
    UNPARSED;

    /** The score of the first answer: 1 when it wins, 0.5 for a tie, 0 when it loses; NaN when unparsed. */
    public double firstScore() {
        return switch (this) {
            case FIRST -> 1;
            case TIE -> 0.5;
            case SECOND -> 0;
            case UNPARSED -> Double.NaN;
        };
    }

    /** This verdict with first and second exchanged: what it means when the answers were shown the other way round. */
    public Verdict swapped() {
        return switch (this) {
            case FIRST -> SECOND;
            case SECOND -> FIRST;
            case TIE, UNPARSED -> this;
        };
    }
}
