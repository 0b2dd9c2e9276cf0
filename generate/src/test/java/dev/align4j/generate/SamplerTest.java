package dev.align4j.generate;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Each processor against values worked out by hand from transformers' definitions (see {@link Sampler}). */
class SamplerTest {
    static final float NEG = Float.NEGATIVE_INFINITY;

    /** probabilities 0.5, 0.3, 0.15, 0.05 as logits: log p. */
    static float[] fourWay() {
        return new float[] {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
    }

    static BitSet seen(int... ids) {
        BitSet b = new BitSet();
        for (int i : ids) b.set(i);
        return b;
    }

    /** θ = 2 on seen tokens 0 and 1: 2 → 2/2 = 1 (positive: divided), −1 → −1·2 = −2 (negative: multiplied); 2, 3 unseen. */
    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
        float[] x = {2, -1, 0.5f, 3};
        Sampler.repetitionPenalty(x, seen(0, 1), 2);
        assertArrayEquals(new float[] {1, -2, 0.5f, 3}, x);
        float[] y = {2, -1};
        Sampler.repetitionPenalty(y, seen(0, 1), 0.5f); // θ < 1 rewards repeats: 2/0.5 = 4, −1·0.5 = −0.5
        assertArrayEquals(new float[] {4, -0.5f}, y);
    }

    /** T = 0.5: x / 0.5 = 2x. */
    @Test
    void temperatureDividesTheLogits() {
        float[] x = {2, -1, 0};
        Sampler.temperature(x, 0.5f);
        assertArrayEquals(new float[] {4, -2, 0}, x);
    }

    /**
     * k = 2 on [1, 3, 2, 0]: the 2nd largest is 2, so 1 and 0 (below it) go. On [1, 3, 2, 2] the 2nd
     * largest is 2 and both 2s stay (HF removes only {@code x < kth}): three tokens kept.
     */
    @Test
    void topKKeepsTheKLargestAndTheirTies() {
        float[] x = {1, 3, 2, 0};
        Sampler.topK(x, 2);
        assertArrayEquals(new float[] {NEG, 3, 2, NEG}, x);
        float[] ties = {1, 3, 2, 2};
        Sampler.topK(ties, 2);
        assertArrayEquals(new float[] {NEG, 3, 2, 2}, ties);
        float[] all = {1, 2};
        Sampler.topK(all, 5);
        assertArrayEquals(new float[] {1, 2}, all);
    }

    /**
     * p = 0.9 on probabilities [0.5, 0.3, 0.15, 0.05]: ascending cumulative 0.05, 0.20, 0.50, 1.0;
     * removed where ≤ 1 − 0.9 = 0.1: only 0.05. p = 0.75: removed where ≤ 0.25: 0.05 and 0.15.
     * p = 0.01: removed where ≤ 0.99: all but the most likely, which always stays.
     */
    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] x = fourWay();
        Sampler.topP(x, 0.9);
        assertEquals(NEG, x[3]);
        assertEquals(fourWay()[2], x[2]);
        float[] y = fourWay();
        Sampler.topP(y, 0.75);
        assertArrayEquals(new float[] {fourWay()[0], fourWay()[1], NEG, NEG}, y);
        float[] z = fourWay();
        Sampler.topP(z, 0.01);
        assertArrayEquals(new float[] {fourWay()[0], NEG, NEG, NEG}, z);
    }

    /** min_p = 0.2: threshold 0.2 · 0.5 = 0.1 drops 0.05; min_p = 0.5: threshold 0.25 drops 0.15 and 0.05. */
    @Test
    void minPDropsTokensBelowAFractionOfTheTopProbability() {
        float[] x = fourWay();
        Sampler.minP(x, 0.2);
        assertArrayEquals(new float[] {fourWay()[0], fourWay()[1], fourWay()[2], NEG}, x);
        float[] y = fourWay();
        Sampler.minP(y, 0.5);
        assertArrayEquals(new float[] {fourWay()[0], fourWay()[1], NEG, NEG}, y);
    }

    /** Probabilities [0, 0.5, 0.3, 0.2] (token 0 removed): cumulative 0.5, 0.8, 1.0 in token order. */
    @Test
    void drawInvertsTheCumulativeDistributionInTokenOrder() {
        float[] x = {NEG, (float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        assertEquals(1, Sampler.draw(x, 0.0));
        assertEquals(1, Sampler.draw(x, 0.49));
        assertEquals(2, Sampler.draw(x, 0.6));
        assertEquals(3, Sampler.draw(x, 0.85));
        assertEquals(3, Sampler.draw(x, Math.nextDown(1.0)));
    }

    /**
     * top_p = 0.75 on [0.5, 0.3, 0.15, 0.05] keeps tokens 0 and 1, renormalised to 0.625 and 0.375:
     * the sampling log-prob is log 0.625 or log 0.375, the raw one log 0.5 or log 0.3.
     */
    @Test
    void sampleReportsLogProbsUnderTheProcessedAndTheRawDistribution() {
        SamplingParams p = new SamplingParams(1, 1, 1, 0, 0.75, 0, 1, 0, null);
        SplittableRandom rng = new SplittableRandom(3);
        int[] counts = new int[4];
        for (int i = 0; i < 400; i++) {
            Sampler.Sampled s = Sampler.sample(fourWay(), 0, 4, p, new BitSet(), rng);
            counts[s.token()]++;
            assertEquals(s.token() == 0 ? Math.log(0.625) : Math.log(0.375), s.logprob(), 1e-6);
            assertEquals(s.token() == 0 ? Math.log(0.5) : Math.log(0.3), s.rawLogprob(), 1e-6);
        }
        assertEquals(0, counts[2] + counts[3]);
        assertEquals(0.625, counts[0] / 400.0, 0.08);
    }

    /**
     * Order matters: temperature before top-p. Logits [0, −ln 3] at T = 0.5 become [0, −2 ln 3]:
     * probabilities 0.9, 0.1; top_p = 0.85 then drops token 1 (ascending cumulative 0.1 ≤ 0.15). Had
     * top-p run first on 0.75/0.25, token 1 would have stayed (0.25 > 0.15).
     */
    @Test
    void temperatureAppliesBeforeTopP() {
        float[] x = {0, (float) -Math.log(3)};
        SamplingParams p = new SamplingParams(1, 1, 0.5, 0, 0.85, 0, 1, 0, null);
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 50; i++) assertEquals(0, Sampler.sample(x, 0, 2, p, new BitSet(), rng).token());
    }

    /** Greedy after the penalty: [3, 2.5] with token 0 seen, θ = 2, becomes [1.5, 2.5]: token 1, log-prob 0. */
    @Test
    void greedyTakesTheArgmaxAfterTheRepetitionPenalty() {
        float[] x = {3, 2.5f};
        SamplingParams p = new SamplingParams(1, 1, 0, 0, 1, 0, 2, 0, null);
        Sampler.Sampled s = Sampler.sample(x, 0, 2, p, seen(0), new SplittableRandom(0));
        assertEquals(1, s.token());
        assertEquals(0, s.logprob());
        assertEquals(2.5 - Math.log(Math.exp(3) + Math.exp(2.5)), s.rawLogprob(), 1e-6);
        assertArrayEquals(new float[] {3, 2.5f}, x, "the caller's logits are left unchanged");
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 0, 1, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, -3, 1, 0, 1, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, -0.1, 0, 1, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, Double.NaN, 0, 1, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, 1, 0, 0, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, 1, 0, 1.01, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, 1, -1, 1, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, 1, 0, 1, 1.5, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, 1, 0, 1, 0, 0, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(0, 5, 1, 0, 1, 0, 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 5, 1, 0, 1, 0, 1, 0, new int[] {-1}));
    }
}
