package dev.align4j.train.judges;

import java.util.Objects;

/**
 * One question for a pairwise judge: which of two answers to a prompt is better.
 *
 * <p>{@code first} and {@code second} name the answers as the caller holds them (online DPO's two
 * samples, eval's model and baseline), not the order a judge shows them in: a {@link PairwiseJudge}
 * may present them either way round (MT-Bench, Zheng et al. 2023, arXiv:2306.05685, swaps them to
 * cancel position bias) and reports its {@link Verdict} in these terms.
 *
 * @param prompt the user's question, as the judge should read it
 * @param first  one answer
 * @param second the other answer
 */
public record Comparison(String prompt, String first, String second) {
    public Comparison {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(second, "second");
    }
}
