package dev.align4j.train.judges;

import java.util.List;

/**
 * Decides which of two answers to a prompt is better: what online DPO ranks its pairs with and
 * {@code align4j eval} computes win rates from.
 *
 * <p>Based on TRL's {@code BasePairwiseJudge.judge(prompts, completions, shuffle_order)}, which
 * returns per prompt the index of the better completion or −1 when the judge's answer cannot be
 * parsed; here the answer is a {@link Verdict}, which can also be a tie (MT-Bench's "[[C]]", Zheng
 * et al. 2023, arXiv:2306.05685). How an implementation fights position bias is its own business
 * ({@link LlmPairwiseJudge} asks both orders instead of TRL's random shuffle).
 *
 * <p>What it is not: a reward model (no scalar per answer; see {@link LlmGrader} for MT-Bench's
 * single-answer grading), nor thread-safe unless an implementation says so.
 */
public interface PairwiseJudge extends AutoCloseable {

    /**
     * One verdict per comparison, in order.
     *
     * @throws JudgeUnavailableException when the judge cannot be reached after its retries
     */
    List<Verdict> judge(List<Comparison> comparisons);

    /** The verdict on one comparison. */
    default Verdict judge(Comparison comparison) {
        return judge(List.of(comparison)).getFirst();
    }

    /** Releases what the judge holds (an HTTP client, a model); nothing by default. */
    @Override
    default void close() {}
}
