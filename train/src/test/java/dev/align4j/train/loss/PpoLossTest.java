package dev.align4j.train.loss;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static dev.align4j.train.loss.DpoLossTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PPO's clipped policy and value losses against numbers worked out by hand, on each side of the
 * clip range and at its bounds, with the gradients that tell a clipped token (zero) from an
 * unclipped one, and the total's gradient against central differences of the float64 equations.
 *
 * <p>Hand cases take {@code log π_old = 0}, so {@code log π = ln ratio}, and ε = c = 0.2 unless
 * stated. For an unclipped token the policy gradient is {@code d(−A·ratio/N)/d log π = −A·ratio/N};
 * for the value loss {@code d(½·(v − R)²/N)/dv = (v − R)/N}.
 */
class PpoLossTest {
    static final double EPS = 0.2;



    /**
     * A = 2 for all three tokens, N = 3:
     * ratio 1.5 (above 1 + ε): pg1 = −3, pg2 = −2·1.2 = −2.4, max pg2 (clipped), gradient 0;
     * ratio 1.1 (inside): pg1 = pg2 = −2.2, gradient −2·1.1/3 = −0.733333333;
     * ratio 0.5 (below 1 − ε, but that lowers the objective): pg1 = −1, pg2 = −2·0.8 = −1.6, max pg1
     * (not clipped), gradient −2·0.5/3 = −0.333333333;
     * loss (−2.4 − 2.2 − 1)/3 = −1.866666667, clipfrac 1/3.
     */
    @Test
    void positiveAdvantageIsClippedOnlyAbove() {
        Tensor logp = Ratios.logprobsOf(1.5, 1.1, 0.5);
        PpoLoss.PolicyLoss p = PpoLoss.policyLoss(logp, new float[3], new float[] {2, 2, 2}, EPS);
        assertEquals(-1.866666667, p.loss().item(), 1e-6);
        assertEquals(1.0 / 3, p.clipfrac(), 1e-12);
        p.loss().backward();
        assertArrayEquals(new double[] {0, -0.733333333, -0.333333333}, Ratios.grad(logp), 1e-6);
    }

    /**
     * A = −1 for all three tokens, N = 3:
     * ratio 0.5 (below 1 − ε): pg1 = 0.5, pg2 = 0.8, max pg2 (clipped), gradient 0;
     * ratio 0.9 (inside): pg = 0.9, gradient 0.9/3 = 0.3;
     * ratio 1.5 (above 1 + ε, but that lowers the objective): pg1 = 1.5, pg2 = 1.2, max pg1 (not
     * clipped), gradient 1.5/3 = 0.5;
     * loss (0.8 + 0.9 + 1.5)/3 = 1.066666667, clipfrac 1/3.
     */
    @Test
    void negativeAdvantageIsClippedOnlyBelow() {
        Tensor logp = Ratios.logprobsOf(0.5, 0.9, 1.5);
        PpoLoss.PolicyLoss p = PpoLoss.policyLoss(logp, new float[3], new float[] {-1, -1, -1}, EPS);
        assertEquals(1.066666667, p.loss().item(), 1e-6);
        assertEquals(1.0 / 3, p.clipfrac(), 1e-12);
        p.loss().backward();
        assertArrayEquals(new double[] {0, 0.3, 0.5}, Ratios.grad(logp), 1e-6);
    }

    /**
     * At the bounds the two terms meet: ratio 1.2 with A = 2 and ratio 0.8 with A = −1 give
     * (−2.4 + 0.8)/2 = −0.8 whichever side of the bound float rounding puts the ratio.
     * With ε = 0 and ratio exactly 1 (new = old), the ratio sits on both bounds: loss −A averaged,
     * A = (2, −3): (−2 + 3)/2 = 0.5, no token clipped, and the gradient is the unclipped
     * −A·1/N = (−1, 1.5): torch.clamp passes the gradient at its bounds and torch.max splits a tie.
     */
    @Test
    void policyLossAtTheClipBounds() {
        PpoLoss.PolicyLoss p = PpoLoss.policyLoss(Ratios.logprobsOf(1.2, 0.8), new float[2], new float[] {2, -1}, EPS);
        assertEquals(-0.8, p.loss().item(), 1e-6);

        float[] old = {-1.3f, -0.7f};
        Tensor logp = Tensor.vector(old).requiresGrad(true);
        PpoLoss.PolicyLoss exact = PpoLoss.policyLoss(logp, old, new float[] {2, -3}, 0);
        assertEquals(0.5, exact.loss().item(), 0.0);
        assertEquals(0.0, exact.clipfrac());
        exact.loss().backward();
        assertArrayEquals(new double[] {-1, 1.5}, Ratios.grad(logp), 1e-7);
    }

    /**
     * log π − log π_old = (0.2, −0.4): approxkl ½·(0.04 + 0.16)/2 = 0.05, mean ratio
     * (e^0.2 + e^−0.4)/2 = (1.221402758 + 0.670320046)/2 = 0.945861402.
     */
    @Test
    void approxKlAndRatioByHand() {
        PpoLoss.PolicyLoss p = PpoLoss.policyLoss(Tensor.vector(-0.8f, -1.4f), new float[] {-1f, -1f}, new float[] {1, 1}, EPS);
        assertEquals(0.05, p.approxkl(), 1e-7);
        assertEquals(0.945861402, p.ratioMean(), 1e-6);
    }

    /**
     * c = 0.2, N = 4, the bounds per token v_old ± c:
     * <pre>
     * t  v_old  v     R     vclip  vf1    vf2    max        gradient (v − R)/4 when vf1 wins
     * 0  1.0    1.1   2.0   1.1    0.81   0.81   (inside)   −0.9/4 = −0.225
     * 1  1.0    1.5   0.0   1.2    2.25   1.44   vf1        1.5/4 = 0.375
     * 2  1.0    1.5   2.0   1.2    0.25   0.64   vf2        0 (clipped)
     * 3  0.0   −0.5  −2.0  −0.2    2.25   3.24   vf2        0 (clipped)
     * </pre>
     * loss ½·(0.81 + 2.25 + 0.64 + 3.24)/4 = 0.8675, val clipfrac 2/4.
     */
    @Test
    void valueLossInsideAndOutsideTheClipRange() {
        Tensor v = Tensor.vector(1.1f, 1.5f, 1.5f, -0.5f).requiresGrad(true);
        PpoLoss.ValueLoss l = PpoLoss.valueLoss(v, new float[] {1, 1, 1, 0}, new float[] {2, 0, 2, -2}, EPS);
        assertEquals(0.8675, l.loss().item(), 1e-6);
        assertEquals(0.5, l.clipfrac(), 0.0);
        l.loss().backward();
        assertArrayEquals(new double[] {-0.225, 0.375, 0, 0}, Ratios.grad(v), 1e-6);
    }

    /**
     * c = 0.25, v_old = 1, v = 1.25 exactly on the upper bound: vclip = v, so the loss is the plain
     * ½·(v − R)² and its gradient v − R passes (bounds included, as torch.clamp): R = 0 gives
     * 0.78125 and 1.25; R = 3 gives 1.53125 and −1.75.
     */
    @Test
    void valueLossOnTheBoundIsUnclipped() {
        for (float[] c : new float[][] {{0f, 0.78125f, 1.25f}, {3f, 1.53125f, -1.75f}}) {
            Tensor v = Tensor.vector(1.25f).requiresGrad(true);
            PpoLoss.ValueLoss l = PpoLoss.valueLoss(v, new float[] {1}, new float[] {c[0]}, 0.25);
            assertEquals(c[1], l.loss().item(), 0.0);
            assertEquals(0.0, l.clipfrac());
            l.loss().backward();
            assertEquals(c[2], v.grad().item(), 0.0);
        }
    }

    /**
     * The total with vf_coef 0.1 on two tokens: policy A = (2, −1), ratios (1.5, 0.9): pg (−2.4, 0.9),
     * pg_loss −0.75, clipfrac ½, approxkl ½·(ln² 1.5 + ln² 0.9)/2 = ¼·(0.164402 + 0.011101) = 0.043876;
     * value v = (1.1, 1.5), v_old (1, 1), R (2, 2): vf (0.81, 0.64 clipped), vf_loss ½·1.45/2 = 0.3625,
     * clipfrac ½; loss −0.75 + 0.03625 = −0.71375. The value gradient is 0.1·((1.1 − 2)/2, 0) = (−0.045, 0).
     */
    @Test
    void totalLossAndMetrics() {
        Tensor logp = Ratios.logprobsOf(1.5, 0.9);
        Tensor v = Tensor.vector(1.1f, 1.5f).requiresGrad(true);
        PpoLoss.Result r = PpoLoss.compute(new PpoLoss.Options(0.2, 0.2, 0.1), logp, new float[2], new float[] {2, -1},
                v, new float[] {1, 1}, new float[] {2, 2});
        assertEquals(-0.71375, r.loss().item(), 1e-6);
        Map<String, Double> m = r.metrics();
        assertEquals(-0.75, m.get("loss/policy"), 1e-6);
        assertEquals(0.3625, m.get("loss/value"), 1e-6);
        assertEquals(0.5, m.get("policy/clipfrac"), 0.0);
        assertEquals(0.5, m.get("val/clipfrac"), 0.0);
        double l15 = Math.log(1.5), l09 = Math.log(0.9);
        assertEquals(0.25 * (l15 * l15 + l09 * l09), m.get("policy/approxkl"), 1e-7);
        assertEquals(1.2, m.get("val/ratio"), 1e-6);
        r.loss().backward();
        assertArrayEquals(new double[] {0, 0.9 / 2}, Ratios.grad(logp), 1e-6);
        assertArrayEquals(new double[] {-0.045, 0}, Ratios.grad(v), 1e-6);
    }

    @Test
    void inputsAreValidated() {
        Tensor logp = Tensor.vector(-1f, -2f);
        assertMessage("PpoLoss: oldLogprobs has 3 values, newLogprobs 2",
                () -> PpoLoss.policyLoss(logp, new float[3], new float[2], EPS));
        assertMessage("PpoLoss: advantages has 1 values, newLogprobs 2",
                () -> PpoLoss.policyLoss(logp, new float[2], new float[1], EPS));
        assertMessage("PpoLoss: returns has 1 values, vpred 2", () -> PpoLoss.valueLoss(logp, new float[2], new float[1], EPS));
        assertMessage("it must be an (N) vector", () -> PpoLoss.policyLoss(Tensor.zeros(2, 1), new float[2], new float[2], EPS));
        assertMessage("PpoLoss: vpred is tensor[3] and newLogprobs tensor[2]", () -> PpoLoss.compute(PpoLoss.Options.DEFAULT,
                logp, new float[2], new float[2], Tensor.zeros(3), new float[3], new float[3]));
        assertMessage("cliprange must be ≥ 0", () -> new PpoLoss.Options(-0.1, 0.2, 0.1));
        assertMessage("cliprange_value must be ≥ 0", () -> PpoLoss.valueLoss(logp, new float[2], new float[2], Double.NaN));
        assertMessage("vf_coef must be ≥ 0", () -> new PpoLoss.Options(0.2, 0.2, -1));
    }

    /**
     * The total's gradient in both trainable inputs against central differences of the equations in
     * float64, on a seeded random micro-batch wide enough that both clip ranges bind on some tokens.
     */
    @Test
    void gradientMatchesFiniteDifferences() {
        int n = 12;
        double eps = 0.2, c = 0.2, vfCoef = 0.5;
        SplittableRandom rng = new SplittableRandom(42);
        float[] old = new float[n], newLp = new float[n], adv = new float[n], oldV = new float[n], v = new float[n], ret = new float[n];
        for (int i = 0; i < n; i++) {
            old[i] = (float) rng.nextDouble(-3, -0.1);
            newLp[i] = old[i] + (float) rng.nextDouble(-0.5, 0.5);
            adv[i] = (float) rng.nextGaussian();
            oldV[i] = (float) rng.nextGaussian();
            v[i] = oldV[i] + (float) rng.nextDouble(-0.6, 0.6);
            ret[i] = (float) rng.nextGaussian();
        }
        PpoLoss.Options o = new PpoLoss.Options(eps, c, vfCoef);
        PpoLoss.Result probe = PpoLoss.compute(o, Tensor.vector(newLp), old, adv, Tensor.vector(v), oldV, ret);
        assertTrue(probe.policy().clipfrac() > 0 && probe.policy().clipfrac() < 1, "some policy terms clipped, some not");
        assertTrue(probe.value().clipfrac() > 0 && probe.value().clipfrac() < 1, "some value terms clipped, some not");

        GradCheck.check("ppo", in -> PpoLoss.compute(o, in[0], old, adv, in[1], oldV, ret).loss(), x -> {
            double pg = 0, vf = 0;
            for (int i = 0; i < n; i++) {
                double ratio = Math.exp(x[0][i] - old[i]);
                double clipped = Math.min(Math.max(ratio, 1 - eps), 1 + eps);
                pg += Math.max(-adv[i] * ratio, -adv[i] * clipped);
                double vi = x[1][i], vc = Math.min(Math.max(vi, oldV[i] - c), oldV[i] + c);
                vf += Math.max((vi - ret[i]) * (vi - ret[i]), (vc - ret[i]) * (vc - ret[i]));
            }
            return new double[] {pg / n + vfCoef * 0.5 * vf / n};
        }, Tensor.vector(newLp).requiresGrad(true), Tensor.vector(v).requiresGrad(true));
    }
}
