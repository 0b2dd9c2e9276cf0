package dev.align4j.train.loss;

import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RLOO's leave-one-out advantages and clipped sequence loss against hand-computed values. */
class RlooLossTest {

    /**
     * Groups of 3: [1, 0, 2] → baselines [(0+2)/2, (1+2)/2, (1+0)/2] = [1, 1.5, 0.5], A = [0, −1.5, 1.5];
     * [4, 4, 4] → A = 0 (a zero-std group); reward = mean of all six = 15/6 = 2.5.
     */
    @Test
    void leaveOneOutBaselines() {
        GrpoAdvantages.Result r = RlooLoss.advantages(new double[] {1, 0, 2, 4, 4, 4}, 3, 0, null, null, null, false);
        assertArrayEquals(new double[] {0, -1.5, 1.5, 0, 0, 0}, r.advantages(), 1e-12);
        assertEquals(2.5, r.metrics().get("reward"), 1e-12);
        assertEquals(0.5, r.metrics().get("frac_reward_zero_std"), 1e-12);
        // unbiased std of {1, 0, 2, 4, 4, 4}: mean 2.5, squares 2.25 + 6.25 + 0.25 + 3·2.25 = 15.5, /5 = 3.1
        assertEquals(Math.sqrt(3.1), r.metrics().get("reward_std"), 1e-12);
    }

    /**
     * An unscorable completion (NaN) is left out of its siblings' baselines and gets advantage 0: [3, NaN, 1] → baselines
     * [1, –, 3], A = [2, 0, −2]. With β = 0.5 and one token each of log π_old − log π_ref = [0.2, 0, −0.4], the rewards
     * become [3 − 0.1, NaN, 1 + 0.2] = [2.9, NaN, 1.2] → A = [1.7, 0, −1.7]; kl = (0.2 + 0 − 0.4)/3.
     */
    @Test
    void unscorableCompletionsAndTheKlPenalty() {
        double[] rewards = {3, Double.NaN, 1};
        assertArrayEquals(new double[] {2, 0, -2}, RlooLoss.advantages(rewards, 3, 0, null, null, null, false).advantages(), 1e-12);
        float[][] old = {{0.2f}, {0f}, {-0.4f}}, ref = {{0f}, {0f}, {0f}};
        GrpoAdvantages.Result r = RlooLoss.advantages(rewards, 3, 0.5, old, ref, null, false);
        assertArrayEquals(new double[] {1.7, 0, -1.7}, r.advantages(), 1e-6);
        assertEquals(-0.2 / 3, r.metrics().get("kl"), 1e-7);
        assertEquals(2.0, r.metrics().get("reward"), 1e-12, "the raw rewards' mean, before the KL penalty");
    }

    /** Clipping the rewards to [0, 2] then normalising: [5, 1] → [2, 1] → A = [1, −1] → mean 0, std √2 → ±1/(√2 + 1e-4). */
    @Test
    void rewardClippingAndNormalisation() {
        GrpoAdvantages.Result r = RlooLoss.advantages(new double[] {5, 1}, 2, 0, null, null, new double[] {0, 2}, true);
        double z = 1 / (Math.sqrt(2) + 1e-4);
        assertArrayEquals(new double[] {z, -z}, r.advantages(), 1e-9);
    }

    /**
     * Two completions of 2 and 1 tokens, old log-probs 0: s = [ln 1.5 split over two tokens, ln 0.5]; ratios 1.5 and 0.5;
     * A = [1, −1], ε = 0.2: completion 0 is clipped (1.2·1 < 1.5·1, min takes 1.2: no gradient); completion 1: −0.5 vs
     * −0.8, min −0.8 (clipped, no gradient). loss = −(1.2 − 0.8)/2 = −0.2; both clipped: high 1/2, low 1/2.
     * With A = [−1, 1] instead: min(−1.5, −1.2) = −1.5 (unclipped, ∂/∂s_0 = −A·r/B = 0.75), min(0.5, 0.8) = 0.5
     * (unclipped, ∂/∂s_1 = −0.5/2 = −0.25); every token of a completion gets its completion's gradient.
     */
    @Test
    void theClippedSequenceLoss() {
        float h = (float) (Math.log(1.5) / 2);
        Tensor logp = Tensor.of(new float[] {h, h, (float) Math.log(0.5)}, 3).requiresGrad(true);
        RlooLoss.Result r = RlooLoss.loss(logp, new float[3], new double[] {1, -1}, new int[] {2, 1}, 0.2, 0.2);
        assertEquals(-0.2, r.loss().item(), 1e-6);
        r.loss().backward();
        assertArrayEquals(new float[] {0, 0, 0}, logp.grad().toArray(), 1e-7f);
        assertEquals(0.5, r.metrics().get("clip_ratio/high_mean"));
        assertEquals(0.5, r.metrics().get("clip_ratio/low_mean"));

        Tensor logp2 = Tensor.of(new float[] {h, h, (float) Math.log(0.5)}, 3).requiresGrad(true);
        RlooLoss.Result r2 = RlooLoss.loss(logp2, new float[3], new double[] {-1, 1}, new int[] {2, 1}, 0.2, 0.2);
        assertEquals(-(-1.5 + 0.5) / 2, r2.loss().item(), 1e-6);
        r2.loss().backward();
        assertArrayEquals(new float[] {0.75f, 0.75f, -0.25f}, logp2.grad().toArray(), 1e-6f);
        assertEquals(0.0, r2.metrics().get("clip_ratio/region_mean"));
    }
}
