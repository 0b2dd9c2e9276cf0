package dev.align4j.train.loss;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.align4j.train.loss.DpoLossTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * PPO's rollout math against numbers worked out by hand: the k1/k3 KL estimators, the KL-shaped
 * rewards with the score on the last token, GAE and returns for two (γ, λ), and whitening with
 * Bessel's correction, each with the arithmetic in its comment.
 *
 * <p>The GAE inputs, a ragged batch of two responses:
 * <pre>
 * response 0 (L = 3): r = (−0.1, 0.2, 1.0),  v = (0.5, 1.0, −0.5)
 * response 1 (L = 1): r = (2.0),             v = (0.5)
 * </pre>
 */
class PpoAdvantagesTest {
    static final double[][] REWARDS = {{-0.1, 0.2, 1.0}, {2.0}};
    static final float[][] VALUES = {{0.5f, 1.0f, -0.5f}, {0.5f}};

    /**
     * logprob −1, ref −1.5: logr = −0.5, k1 = 0.5, k3 = (e^−0.5 − 1) + 0.5 = 0.606530660 − 0.5 = 0.106530660;
     * logprob −2, ref −1.75: logr = 0.25, k1 = −0.25, k3 = (e^0.25 − 1) − 0.25 = 1.284025417 − 1.25 = 0.034025417;
     * equal log-probs: logr = 0, both 0.
     */
    @Test
    void klEstimatorsByHand() {
        float[][] logprobs = {{-1f, -2f}, {-0.5f}}, ref = {{-1.5f, -1.75f}, {-0.5f}};
        double[][] k1 = PpoAdvantages.kl(PpoAdvantages.KlEstimator.K1, logprobs, ref);
        double[][] k3 = PpoAdvantages.kl(PpoAdvantages.KlEstimator.K3, logprobs, ref);
        assertArrayEquals(new double[] {0.5, -0.25}, k1[0], 1e-12);
        assertArrayEquals(new double[] {0.0}, k1[1], 0.0);
        assertArrayEquals(new double[] {0.106530660, 0.034025417}, k3[0], 1e-9);
        assertArrayEquals(new double[] {0.0}, k3[1], 0.0);
        assertEquals(PpoAdvantages.KlEstimator.K3, PpoAdvantages.KlEstimator.of("k3"));
        assertEquals("k1", PpoAdvantages.KlEstimator.K1.trlName());
        assertMessage("kl_estimator \"k2\" is not a KL estimator; use one of k1, k3", () -> PpoAdvantages.KlEstimator.of("k2"));
    }

    /**
     * r_t = −kl_coef·kl_t, the score added at the last token; kl_coef 0.05:
     * response 0, kl (0.5, −0.25, 0.1), score 2: (−0.025, 0.0125, −0.005 + 2 = 1.995);
     * response 1, kl (0.2), score −1: (−0.01 − 1 = −1.01).
     */
    @Test
    void rewardsPutTheScoreOnTheLastToken() {
        double[][] r = PpoAdvantages.rewards(new double[][] {{0.5, -0.25, 0.1}, {0.2}}, 0.05, new double[] {2, -1});
        assertArrayEquals(new double[] {-0.025, 0.0125, 1.995}, r[0], 1e-12);
        assertArrayEquals(new double[] {-1.01}, r[1], 1e-12);
        assertMessage("rewards: 1 scores for 2 responses", () -> PpoAdvantages.rewards(new double[][] {{0.1}, {0.2}}, 0.05, new double[] {1}));
        assertMessage("response 1 has no tokens", () -> PpoAdvantages.rewards(new double[][] {{0.1}, {}}, 0.05, new double[] {1, 2}));
    }

    /**
     * γ = 1, λ = 0.95 (γλ = 0.95), v_3 = 0:
     * δ_2 = 1.0 + 0 − (−0.5) = 1.5, δ_1 = 0.2 + (−0.5) − 1.0 = −1.3, δ_0 = −0.1 + 1.0 − 0.5 = 0.4;
     * A_2 = 1.5, A_1 = −1.3 + 0.95·1.5 = 0.125, A_0 = 0.4 + 0.95·0.125 = 0.51875;
     * R = A + v = (1.01875, 1.125, 1.0).
     * Response 1, on its own (v_1 = 0, not response 0's values): δ_0 = 2.0 − 0.5 = 1.5 = A_0, R_0 = 2.0.
     */
    @Test
    void gaeWithoutDiscountByHand() {
        PpoAdvantages.Gae g = PpoAdvantages.gae(REWARDS, VALUES, 1.0, 0.95);
        assertArrayEquals(new double[] {0.51875, 0.125, 1.5}, g.advantages()[0], 1e-12);
        assertArrayEquals(new double[] {1.01875, 1.125, 1.0}, g.returns()[0], 1e-12);
        assertArrayEquals(new double[] {1.5}, g.advantages()[1], 1e-12);
        assertArrayEquals(new double[] {2.0}, g.returns()[1], 1e-12);
    }

    /**
     * γ = 0.9, λ = 0.95 (γλ = 0.855), v_3 = 0:
     * δ_2 = 1.0 + 0.9·0 + 0.5 = 1.5, δ_1 = 0.2 + 0.9·(−0.5) − 1.0 = −1.25, δ_0 = −0.1 + 0.9·1.0 − 0.5 = 0.3;
     * A_2 = 1.5, A_1 = −1.25 + 0.855·1.5 = 0.0325, A_0 = 0.3 + 0.855·0.0325 = 0.3277875;
     * R = A + v = (0.8277875, 1.0325, 1.0).
     * (γ and γλ differ here, so using one for the other changes every A_t but the last.)
     */
    @Test
    void gaeWithDiscountByHand() {
        PpoAdvantages.Gae g = PpoAdvantages.gae(REWARDS, VALUES, 0.9, 0.95);
        assertArrayEquals(new double[] {0.3277875, 0.0325, 1.5}, g.advantages()[0], 1e-12);
        assertArrayEquals(new double[] {0.8277875, 1.0325, 1.0}, g.returns()[0], 1e-12);
        assertArrayEquals(new double[] {1.5}, g.advantages()[1], 1e-12);
        assertMessage("gae: response 0 has 3 rewards but 2 values",
                () -> PpoAdvantages.gae(REWARDS, new float[][] {{1f, 2f}, {1f}}, 1, 0.95));
    }

    /**
     * x = [[1, 2], [3, 6]], n = 4: μ = 12/4 = 3; deviations (−2, −1, 0, 3), squares sum 14;
     * σ² = 14/4 · 4/3 = 14/3 (Bessel; without it 3.5); 1/√(14/3 + 1e-8) = 0.462910049;
     * whitened (−0.925820098, −0.462910049, 0, 1.388730147); with shift_mean false, plus 3:
     * (2.074179902, 2.537089951, 3, 4.388730147).
     */
    @Test
    void whiteningUsesTheBesselCorrectedVarianceOverAllTokens() {
        double[][] x = {{1, 2}, {3, 6}};
        double[][] w = PpoAdvantages.whiten(x, true);
        assertArrayEquals(new double[] {-0.925820098, -0.462910049}, w[0], 1e-8);
        assertArrayEquals(new double[] {0, 1.388730147}, w[1], 1e-8);
        double[][] kept = PpoAdvantages.whiten(x, false);
        assertArrayEquals(new double[] {2.074179902, 2.537089951}, kept[0], 1e-8);
        assertArrayEquals(new double[] {3, 4.388730147}, kept[1], 1e-8);
    }

    /** One token has no Bessel-corrected variance (TRL raises on an empty mask and divides by zero at one). */
    @Test
    void whiteningOneValueIsAnError() {
        assertMessage("whiten: the batch has 1 token over 2 responses; whitening needs at least 2",
                () -> PpoAdvantages.whiten(new double[][] {{0.7}, {}}, true));
        assertMessage("whiten: the batch has 0 tokens", () -> PpoAdvantages.whiten(new double[][] {}, true));
    }

    /**
     * The whole rollout, kl_coef 0.05, k1, γ = 1, λ = 0.95, two responses:
     * <pre>
     * response 0: logprobs (−1, −2, −0.5), ref (−1.5, −1.75, −0.5), values (0.5, 1.0, −0.5), score 1.0
     * response 1: logprobs (−0.25),         ref (−0.75),              values (0.5),             score 2.0
     * </pre>
     * k1 = (0.5, −0.25, 0) and (0.5); rewards (−0.025, 0.0125, 1.0) and (−0.025 + 2 = 1.975);
     * GAE response 0: δ = (−0.025 + 1.0 − 0.5, 0.0125 − 0.5 − 1.0, 1.0 + 0.5) = (0.475, −1.4875, 1.5),
     * A_2 = 1.5, A_1 = −1.4875 + 1.425 = −0.0625, A_0 = 0.475 − 0.059375 = 0.415625, R = (0.915625, 0.9375, 1.0);
     * response 1: A = 1.975 − 0.5 = 1.475, R = 1.975.
     * Whitened A over the four tokens: μ = (0.415625 − 0.0625 + 1.5 + 1.475)/4 = 0.83203125.
     * Metrics, means over the 2 responses: objective/kl (0.25 + 0.5)/2 = 0.375, objective/entropy
     * (3.5 + 0.25)/2 = 1.875, objective/non_score_reward −0.05·0.375 = −0.01875, objective/scores 1.5,
     * objective/rlhf_reward 1.48125.
     */
    @Test
    void computeChainsTheStepsLikeTrl() {
        float[][] logprobs = {{-1f, -2f, -0.5f}, {-0.25f}}, ref = {{-1.5f, -1.75f, -0.5f}, {-0.75f}};
        float[][] values = {{0.5f, 1.0f, -0.5f}, {0.5f}};
        double[] scores = {1.0, 2.0};
        PpoAdvantages.Rollout r = PpoAdvantages.compute(PpoAdvantages.Options.DEFAULT, logprobs, ref, values, scores);
        assertArrayEquals(new double[] {-0.025, 0.0125, 1.0}, r.rewards()[0], 1e-12);
        assertArrayEquals(new double[] {1.975}, r.rewards()[1], 1e-12);
        assertArrayEquals(new double[] {0.915625, 0.9375, 1.0}, r.returns()[0], 1e-12, "returns are not whitened");
        assertArrayEquals(new double[] {1.975}, r.returns()[1], 1e-12);
        assertArrayEquals(PpoAdvantages.whiten(new double[][] {{0.415625, -0.0625, 1.5}, {1.475}}, true)[0], r.advantages()[0], 1e-12);
        double mean = 0;
        for (double[] row : r.advantages()) for (double a : row) mean += a;
        assertEquals(0, mean / 4, 1e-12, "advantages are whitened (mean 0 over the tokens)");
        assertEquals(1.5 - 0.83203125, r.advantages()[0][2] * Math.sqrt(variance(new double[] {0.415625, -0.0625, 1.5, 1.475}) + 1e-8), 1e-9);

        Map<String, Double> m = r.metrics();
        assertEquals(0.375, m.get("objective/kl"), 1e-12);
        assertEquals(1.875, m.get("objective/entropy"), 1e-12);
        assertEquals(-0.01875, m.get("objective/non_score_reward"), 1e-12);
        assertEquals(1.5, m.get("objective/scores"), 1e-12);
        assertEquals(1.48125, m.get("objective/rlhf_reward"), 1e-12);

        assertMessage("refLogprobs[1] has 2 tokens, logprobs[1] 1",
                () -> PpoAdvantages.compute(PpoAdvantages.Options.DEFAULT, logprobs, new float[][] {{1f, 1f, 1f}, {1f, 1f}}, values, scores));
        assertMessage("values has 1 responses, logprobs 2",
                () -> PpoAdvantages.compute(PpoAdvantages.Options.DEFAULT, logprobs, ref, new float[][] {{1f}}, scores));
    }

    /**
     * whiten_rewards whitens the rewards keeping their mean before GAE: rewards (−0.025, 0.0125, 1.0, 1.975)
     * of the test above have μ = 0.740625; GAE then runs on the whitened rewards.
     */
    @Test
    void whitenRewardsKeepsTheirMean() {
        float[][] logprobs = {{-1f, -2f, -0.5f}, {-0.25f}}, ref = {{-1.5f, -1.75f, -0.5f}, {-0.75f}};
        float[][] values = {{0.5f, 1.0f, -0.5f}, {0.5f}};
        PpoAdvantages.Options o = new PpoAdvantages.Options(0.05, PpoAdvantages.KlEstimator.K1, 1.0, 0.95, true);
        PpoAdvantages.Rollout r = PpoAdvantages.compute(o, logprobs, ref, values, new double[] {1.0, 2.0});
        double sum = 0;
        for (double[] row : r.rewards()) for (double x : row) sum += x;
        assertEquals(0.740625, sum / 4, 1e-12);
        double[][] raw = {{-0.025, 0.0125, 1.0}, {1.975}};
        assertArrayEquals(PpoAdvantages.whiten(raw, false)[0], r.rewards()[0], 1e-12);
        assertArrayEquals(PpoAdvantages.gae(r.rewards(), values, 1.0, 0.95).returns()[0], r.returns()[0], 1e-12);
    }

    @Test
    void optionsAreValidated() {
        assertMessage("gamma must be in [0, 1]", () -> new PpoAdvantages.Options(0.05, PpoAdvantages.KlEstimator.K1, 1.5, 0.95, false));
        assertMessage("lam must be in [0, 1]", () -> new PpoAdvantages.Options(0.05, PpoAdvantages.KlEstimator.K1, 1, -0.1, false));
        assertMessage("kl_coef must be ≥ 0", () -> new PpoAdvantages.Options(-1, PpoAdvantages.KlEstimator.K1, 1, 0.95, false));
    }

    @Test
    void flattenConcatenatesTheResponses() {
        assertArrayEquals(new float[] {1f, 2f, 3f}, PpoAdvantages.flatten(new double[][] {{1, 2}, {}, {3}}));
    }

    /** The Bessel-corrected variance. */
    private static double variance(double[] x) {
        double mean = 0;
        for (double v : x) mean += v;
        mean /= x.length;
        double s = 0;
        for (double v : x) s += (v - mean) * (v - mean);
        return s / (x.length - 1);
    }
}
