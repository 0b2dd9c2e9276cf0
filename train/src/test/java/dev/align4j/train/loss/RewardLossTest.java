package dev.align4j.train.loss;

import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Bradley–Terry reward loss against hand-computed values, its gradient against the formula's derivative. */
class RewardLossTest {

    private static Tensor scores(float... v) {
        Tensor t = Tensor.of(v, v.length);
        t.requiresGrad(true);
        return t;
    }

    @Test
    void valueMetricsAndGradientMatchTheFormula() {
        Tensor c = scores(1.0f, -0.5f), r = scores(0.0f, 0.5f);
        RewardLoss.Result res = RewardLoss.compute(c, r, new float[] {0.25f, 0f}, 0.1);
        // pair 1: d = 1 − 0 − 0.25 = 0.75; pair 2: d = −1. softplus(−0.75) = 0.3888, softplus(1) = 1.3133
        // centring: 0.1·((1 + 0)² + (−0.5 + 0.5)²) = 0.1
        double expected = Math.log1p(Math.exp(-0.75)) + Math.log1p(Math.exp(1)) + 0.1;
        assertEquals(expected, res.loss().item(), 1e-6);
        res.loss().backward();
        // ∂/∂r_c = −σ(−d) + 2λ(r_c + r_r); ∂/∂r_r = σ(−d) + 2λ(r_c + r_r)
        double s1 = 1 / (1 + Math.exp(0.75)), s2 = 1 / (1 + Math.exp(-1));
        assertArrayEquals(new float[] {(float) (-s1 + 0.2), (float) -s2}, c.grad().toArray(), 1e-6f);
        assertArrayEquals(new float[] {(float) (s1 + 0.2), (float) s2}, r.grad().toArray(), 1e-6f);
        assertEquals(1.0, res.metricSums().get("accuracy"));
        assertEquals(1.0 + -1.0, res.metricSums().get("margin"), 1e-6);
        assertEquals(0.5 + 0.0, res.metricSums().get("mean_reward"), 1e-6);
        assertEquals((1.0 + 0) / 2 + (0.25 + 0.25) / 2, res.metricSums().get("reward_sq"), 1e-6);
    }

    @Test
    void withoutMarginOrCentringItIsMinusLogSigmoidOfTheDifference() {
        RewardLoss.Result res = RewardLoss.compute(scores(2f), scores(2f), null, null);
        assertEquals(Math.log(2), res.loss().item(), 1e-6);
        assertEquals(0.0, res.metricSums().get("accuracy"), "a tie is not a win");
    }

    @Test
    void mismatchedSizesAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> RewardLoss.compute(scores(1f, 2f), scores(1f), null, null));
        assertEquals("reward loss: 2 chosen but 1 rejected scores", e.getMessage());
    }
}
