package dev.align4j.train.loss;

import dev.align4j.train.loss.GrpoAdvantages.ScaleRewards;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.align4j.train.loss.DpoLossTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GRPO's group-relative advantages against numbers worked out by hand, for the three reward
 * scalings, with TRL's metrics.
 *
 * <p>The batch, two groups of num_generations 3:
 * <pre>
 * group 0: r = (1, 2, 3)   μ = 2   deviations (−1, 0, 1)    σ = √((1 + 0 + 1)/2) = 1
 * group 1: r = (0, 0, 3)   μ = 1   deviations (−1, −1, 2)   σ = √((1 + 1 + 4)/2) = √3 = 1.7320508076
 * batch:   μ = 9/6 = 1.5, squares (0.25, 0.25, 2.25, 2.25, 2.25, 2.25) = 9.5, σ = √(9.5/5) = √1.9 = 1.3784048752
 * </pre>
 */
class GrpoAdvantagesTest {
    static final double[] REWARDS = {1, 2, 3, 0, 0, 3};

    /**
     * group: A = deviation/(σ_g + 1e-4): group 0 ±1/1.0001 = ±0.9999000100, group 1
     * (−1, −1, 2)/1.7321508076 = (−0.5773169378, −0.5773169378, 1.1546338756).
     * Metrics: reward 1.5, reward_std the batch std 1.3784048752 (TRL 1.x), no group with σ = 0.
     */
    @Test
    void groupScalingDividesByEachGroupsStd() {
        GrpoAdvantages.Result r = GrpoAdvantages.compute(REWARDS, 3, ScaleRewards.GROUP);
        assertArrayEquals(new double[] {-0.9999000100, 0, 0.9999000100, -0.5773169378, -0.5773169378, 1.1546338756},
                r.advantages(), 1e-9);
        Map<String, Double> m = r.metrics();
        assertEquals(1.5, m.get("reward"), 1e-12);
        assertEquals(1.3784048752, m.get("reward_std"), 1e-9);
        assertEquals(0.0, m.get("frac_reward_zero_std"), 0.0);
    }

    /**
     * batch: the group mean is still subtracted, the batch std divides:
     * (−1, 0, 1, −1, −1, 2)/(1.3784048752 + 1e-4) = (−1, 0, 1, −1, −1, 2)·0.7254236223.
     */
    @Test
    void batchScalingSubtractsTheGroupMeanAndDividesByTheBatchStd() {
        double s = 0.7254236223;
        GrpoAdvantages.Result r = GrpoAdvantages.compute(REWARDS, 3, ScaleRewards.BATCH);
        assertArrayEquals(new double[] {-s, 0, s, -s, -s, 2 * s}, r.advantages(), 1e-9);
        assertEquals(0.0, r.metrics().get("frac_reward_zero_std"), 0.0);
    }

    /** none (Dr. GRPO): the deviations themselves, (−1, 0, 1, −1, −1, 2); the metrics are the same. */
    @Test
    void noScalingKeepsTheCentredRewards() {
        GrpoAdvantages.Result r = GrpoAdvantages.compute(REWARDS, 3, "none");
        assertArrayEquals(new double[] {-1, 0, 1, -1, -1, 2}, r.advantages(), 1e-12);
        assertEquals(1.3784048752, r.metrics().get("reward_std"), 1e-9);
    }

    /**
     * A group with identical rewards (0.5, 0.5, 0.5) has σ = 0 and advantages exactly 0 under every
     * scaling (0/(0 + 1e-4)); beside group (0, 1, 2) (σ = 1, A = (−1, 0, 1)/1.0001), one group of two
     * has zero std: frac_reward_zero_std ½. Under batch the batch std decides, and it is not 0:
     * μ = 4.5/6 = 0.75, squares 3·0.0625 + 0.5625 + 0.0625 + 1.5625 = 2.375, σ = √(2.375/5) = 0.6892024376,
     * so the fraction is 0; rewards all equal make it 1.
     */
    @Test
    void identicalRewardsGiveZeroAdvantages() {
        double[] rewards = {0.5, 0.5, 0.5, 0, 1, 2};
        for (ScaleRewards s : ScaleRewards.values()) {
            double[] a = GrpoAdvantages.compute(rewards, 3, s).advantages();
            assertEquals(0.0, a[0], 0.0);
            assertEquals(0.0, a[1], 0.0);
            assertEquals(0.0, a[2], 0.0);
        }
        GrpoAdvantages.Result group = GrpoAdvantages.compute(rewards, 3, ScaleRewards.GROUP);
        assertArrayEquals(new double[] {-0.9999000100, 0, 0.9999000100}, java.util.Arrays.copyOfRange(group.advantages(), 3, 6), 1e-9);
        assertEquals(0.5, group.metrics().get("frac_reward_zero_std"), 0.0);
        assertEquals(0.5, GrpoAdvantages.compute(rewards, 3, ScaleRewards.NONE).metrics().get("frac_reward_zero_std"), 0.0);
        GrpoAdvantages.Result batch = GrpoAdvantages.compute(rewards, 3, ScaleRewards.BATCH);
        assertEquals(0.0, batch.metrics().get("frac_reward_zero_std"), 0.0);
        assertEquals(0.6892024376, batch.metrics().get("reward_std"), 1e-9);
        assertEquals(1.0, GrpoAdvantages.compute(new double[] {2, 2, 2, 2}, 2, ScaleRewards.BATCH)
                .metrics().get("frac_reward_zero_std"), 0.0);
    }

    /**
     * torch.isclose(σ, 0) counts σ ≤ 1e-8 as zero: rewards (1, 1 + 1e-9) have σ = 1e-9/√2 ≈ 7.1e-10,
     * a zero-std group, and advantages ±0.5e-9/(7.1e-10 + 1e-4) ≈ ±5e-6, tiny but not 0.
     */
    @Test
    void nearlyEqualRewardsCountAsZeroStd() {
        GrpoAdvantages.Result r = GrpoAdvantages.compute(new double[] {1, 1 + 1e-9}, 2, ScaleRewards.GROUP);
        assertEquals(1.0, r.metrics().get("frac_reward_zero_std"), 0.0);
        assertEquals(-5e-6, r.advantages()[0], 1e-8);
    }

    /** num_generations 1 (TRL's eval with num_generations_eval 1): each reward is its own mean, A = 0, σ = 0. */
    @Test
    void singleGenerationsHaveZeroAdvantage() {
        GrpoAdvantages.Result r = GrpoAdvantages.compute(new double[] {3, -1}, 1, ScaleRewards.GROUP);
        assertArrayEquals(new double[] {0, 0}, r.advantages(), 0.0);
        assertEquals(1.0, r.metrics().get("frac_reward_zero_std"), 0.0);
    }

    @Test
    void inputsAreValidated() {
        assertMessage("GrpoAdvantages: 7 rewards are not whole groups of num_generations 3 (7 = 2 × 3 + 1)",
                () -> GrpoAdvantages.compute(new double[7], 3, ScaleRewards.GROUP));
        assertMessage("0 rewards are not whole groups", () -> GrpoAdvantages.compute(new double[0], 3, ScaleRewards.GROUP));
        assertMessage("num_generations must be ≥ 1, got 0", () -> GrpoAdvantages.compute(new double[2], 0, ScaleRewards.GROUP));
        assertMessage("rewards[1] is NaN", () -> GrpoAdvantages.compute(new double[] {1, Double.NaN}, 2, ScaleRewards.NONE));
        assertMessage("scale_rewards \"mean\" is not a reward scaling; use one of group, batch, none",
                () -> GrpoAdvantages.compute(new double[2], 2, "mean"));
        assertEquals(ScaleRewards.GROUP, ScaleRewards.of("true"));
        assertEquals(ScaleRewards.NONE, ScaleRewards.of("false"));
        assertEquals(ScaleRewards.BATCH, ScaleRewards.of("batch"));
        assertEquals("none", ScaleRewards.NONE.trlName());
    }
}
