package dev.align4j.train.loss;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.loss.GrpoLoss.ImportanceSamplingLevel;
import dev.align4j.train.loss.GrpoLoss.Inputs;
import dev.align4j.train.loss.GrpoLoss.LossType;
import dev.align4j.train.loss.GrpoLoss.Options;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static dev.align4j.train.loss.DpoLossTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GRPO's loss against numbers worked out by hand: each loss type's aggregation on a ragged batch,
 * the clip regions and their metrics, decoupled ε_high, GSPO's sequence-level ratio, CISPO, the k3
 * KL term, the truncation and entropy masks; then its gradient against central differences of the
 * float64 equations on a seeded random batch, for every loss type at both levels.
 *
 * <p>Hand cases take {@code log π_old = 0} unless stated, so {@code log π = ln ratio}; ε = 0.2. For a
 * token inside the clip range the gradient of {@code −A·ratio·weight} in {@code log π} is
 * {@code −A·ratio·weight}, weight the loss type's 1/normaliser.
 */
class GrpoLossTest {
    static final Options DAPO = Options.DEFAULT;



    /**
     * Two completions of lengths 2 and 3, ratios (1.1, 0.9 | 1.0, 1.1, 0.95), all inside [0.8, 1.2],
     * A = (2, −1): per-token losses −A·ratio = (−2.2, −1.8 | 1.0, 1.1, 0.95), sum −0.95.
     * <pre>
     * grpo     ((−2.2 − 1.8)/2 + (1.0 + 1.1 + 0.95)/3)/2 = (−2.0 + 1.016666667)/2 = −0.491666667
     *          gradient −A·ratio/(B·L_i): (−0.55, −0.45 | 0.166666667, 0.183333333, 0.158333333)
     * bnpo     −0.95/5 = −0.19;                 gradient −A·ratio/5: (−0.44, −0.36 | 0.2, 0.22, 0.19)
     * dr_grpo  −0.95/(2·4) = −0.11875 (L = 4);   gradient /8: (−0.275, −0.225 | 0.125, 0.1375, 0.11875)
     * dapo     −0.95/10 = −0.095 (normaliser 10); gradient /10: (−0.22, −0.18 | 0.1, 0.11, 0.095)
     * </pre>
     */
    @Test
    void eachLossTypeAggregatesItsOwnWay() {
        Object[][] cases = {
                {LossType.GRPO, -0.491666667, new double[] {-0.55, -0.45, 0.166666667, 0.183333333, 0.158333333}},
                {LossType.BNPO, -0.19, new double[] {-0.44, -0.36, 0.2, 0.22, 0.19}},
                {LossType.DR_GRPO, -0.11875, new double[] {-0.275, -0.225, 0.125, 0.1375, 0.11875}},
                {LossType.DAPO, -0.095, new double[] {-0.22, -0.18, 0.1, 0.11, 0.095}},
        };
        for (Object[] c : cases) {
            Tensor logp = Ratios.logprobsOf(1.1, 0.9, 1.0, 1.1, 0.95);
            Options o = DAPO.withLossType((LossType) c[0]).withMaxCompletionLength(4);
            GrpoLoss.Result r = GrpoLoss.compute(o, Inputs.of(logp, new double[] {2, -1}, new int[] {2, 3})
                    .withOldLogprobs(new float[5]).withNormalizer(10));
            assertEquals((double) c[1], r.loss().item(), 1e-6, c[0].toString());
            r.loss().backward();
            assertArrayEquals((double[]) c[2], Ratios.grad(logp), 1e-6, c[0].toString());
            assertEquals(0.0, r.metrics().get("clip_ratio/region_mean"), 0.0);
            assertFalse(r.metrics().containsKey("kl"), "no kl metric when beta is 0");
        }
    }

    /**
     * dapo, normaliser 6, completions of 3 tokens, A = (2, −1):
     * <pre>
     * ratio  A   −A·ratio  −A·clamp  loss    why                                gradient
     * 1.5    2   −3        −2.4      −2.4    above 1 + ε with A &gt; 0: clipped     0
     * 1.1    2   −2.2      −2.2      −2.2    inside                             −2·1.1/6 = −0.366666667
     * 0.5    2   −1        −1.6      −1      below, but that lowers the objective −2·0.5/6 = −0.166666667
     * 0.5   −1    0.5       0.8       0.8    below 1 − ε with A &lt; 0: clipped     0
     * 0.9   −1    0.9       0.9       0.9    inside                             0.9/6 = 0.15
     * 1.5   −1    1.5       1.2       1.5    above, but that lowers the objective 1.5/6 = 0.25
     * </pre>
     * loss (−2.4 − 2.2 − 1 + 0.8 + 0.9 + 1.5)/6 = −0.4; clip_ratio/high_mean 1/6 (token 0),
     * low_mean 1/6 (token 3), region_mean 2/6. Masking token 0 out leaves low 1/5, high 0.
     */
    @Test
    void clippingStopsTheGradientOnlyWhereItWouldImproveTheObjective() {
        Tensor logp = Ratios.logprobsOf(1.5, 1.1, 0.5, 0.5, 0.9, 1.5);
        Inputs in = Inputs.of(logp, new double[] {2, -1}, new int[] {3, 3}).withOldLogprobs(new float[6]).withNormalizer(6);
        GrpoLoss.Result r = GrpoLoss.compute(DAPO, in);
        assertEquals(-0.4, r.loss().item(), 1e-6);
        r.loss().backward();
        assertArrayEquals(new double[] {0, -0.366666667, -0.166666667, 0, 0.15, 0.25}, Ratios.grad(logp), 1e-6);
        Map<String, Double> m = r.metrics();
        assertEquals(1.0 / 6, m.get("clip_ratio/low_mean"), 1e-12);
        assertEquals(1.0 / 6, m.get("clip_ratio/high_mean"), 1e-12);
        assertEquals(2.0 / 6, m.get("clip_ratio/region_mean"), 1e-12);

        Map<String, Double> masked = GrpoLoss.compute(DAPO, in.withMask(new boolean[] {false, true, true, true, true, true})).metrics();
        assertEquals(0.2, masked.get("clip_ratio/low_mean"), 1e-12);
        assertEquals(0.0, masked.get("clip_ratio/high_mean"), 0.0);
    }

    /**
     * ε_low = 0.2, ε_high = 0.28 (DAPO's Clip-Higher), bnpo over 4 tokens, A = (1, −1):
     * ratio 1.25, A = 1: inside [0.8, 1.28], loss −1.25, gradient −1.25/4 = −0.3125;
     * ratio 1.3, A = 1: clipped at 1.28, loss −1.28, gradient 0;
     * ratio 0.75, A = −1: below 0.8, clipped, loss 0.8, gradient 0;
     * ratio 1.1, A = −1: inside, loss 1.1, gradient 1.1/4 = 0.275;
     * loss (−1.25 − 1.28 + 0.8 + 1.1)/4 = −0.1575, high 1/4, low 1/4.
     * With ε_high = ε = 0.2 ratio 1.25 is clipped too: loss (−1.2 − 1.2 + 0.8 + 1.1)/4 = −0.125, high 2/4.
     */
    @Test
    void epsilonHighWidensOnlyTheUpperClip() {
        Options bnpo = DAPO.withLossType(LossType.BNPO).withEpsilon(0.2, 0.28);
        Tensor logp = Ratios.logprobsOf(1.25, 1.3, 0.75, 1.1);
        GrpoLoss.Result r = GrpoLoss.compute(bnpo, Inputs.of(logp, new double[] {1, -1}, new int[] {2, 2}).withOldLogprobs(new float[4]));
        assertEquals(-0.1575, r.loss().item(), 1e-6);
        r.loss().backward();
        assertArrayEquals(new double[] {-0.3125, 0, 0, 0.275}, Ratios.grad(logp), 1e-6);
        assertEquals(0.25, r.metrics().get("clip_ratio/high_mean"), 0.0);
        assertEquals(0.25, r.metrics().get("clip_ratio/low_mean"), 0.0);

        Tensor symmetric = Ratios.logprobsOf(1.25, 1.3, 0.75, 1.1);
        GrpoLoss.Result s = GrpoLoss.compute(bnpo.withEpsilon(0.2),
                Inputs.of(symmetric, new double[] {1, -1}, new int[] {2, 2}).withOldLogprobs(new float[4]));
        assertEquals(-0.125, s.loss().item(), 1e-6);
        s.loss().backward();
        assertArrayEquals(new double[] {0, 0, 0, 0.275}, Ratios.grad(symmetric), 1e-6);
        assertEquals(0.5, s.metrics().get("clip_ratio/high_mean"), 0.0);
    }

    /**
     * GSPO: log-ratios (0.1, 0.3 | −0.1, −0.2, −0.3) have means 0.2 and −0.2, so
     * s = (e^0.2, e^−0.2) = (1.221402758, 0.818730753) for every token of each completion; A = (1, −1).
     * With ε_high = 0.28 both are inside the clip range. dapo, normaliser 5:
     * loss (2·(−1.221402758) + 3·0.818730753)/5 = 0.002677349; each token's gradient is
     * −A_i·s_i·(1/L_i)·L_i/5 = −A_i·s_i/5: −0.244280552 (completion 0), 0.163746151 (completion 1).
     * grpo: loss (−1.221402758 + 0.818730753)/2 = −0.201336003, gradient −A_i·s_i/(B·L_i):
     * −1.221402758/4 = −0.305350690, 0.818730753/6 = 0.136455126.
     * With ε_high = 0.2, s_0 &gt; 1.2 and A_0 &gt; 0: completion 0 is clipped (gradient 0), loss
     * (2·(−1.2) + 3·0.818730753)/5 = 0.011238452, and clip_ratio/high_mean is ½ — one of two
     * completions, where a token count would say 2/5. With ε_low = 0.1 and A = (−1, −1), s_1 &lt; 0.9
     * is clipped below: clip_ratio/low_mean ½ (completion 1; tokens would say 3/5).
     */
    @Test
    void sequenceLevelRatioIsTheCompletionsMeanLogRatio() {
        float[] logp = {-1f, -2f, -0.5f, -1.5f, -1f};
        double[] logRatio = {0.1, 0.3, -0.1, -0.2, -0.3};
        float[] old = new float[5];
        for (int t = 0; t < 5; t++) old[t] = (float) (logp[t] - logRatio[t]);
        Options gspo = DAPO.withImportanceSamplingLevel(ImportanceSamplingLevel.SEQUENCE).withEpsilon(0.2, 0.28);

        Tensor x = Tensor.vector(logp).requiresGrad(true);
        GrpoLoss.Result r = GrpoLoss.compute(gspo, Inputs.of(x, new double[] {1, -1}, new int[] {2, 3}).withOldLogprobs(old).withNormalizer(5));
        assertEquals(0.002677349, r.loss().item(), 1e-6);
        r.loss().backward();
        double a = -0.244280552, b = 0.163746151;
        assertArrayEquals(new double[] {a, a, b, b, b}, Ratios.grad(x), 1e-6);
        assertEquals(0.0, r.metrics().get("clip_ratio/region_mean"), 0.0);

        Tensor y = Tensor.vector(logp).requiresGrad(true);
        GrpoLoss.Result g = GrpoLoss.compute(gspo.withLossType(LossType.GRPO),
                Inputs.of(y, new double[] {1, -1}, new int[] {2, 3}).withOldLogprobs(old));
        assertEquals(-0.201336003, g.loss().item(), 1e-6);
        g.loss().backward();
        assertArrayEquals(new double[] {-0.305350690, -0.305350690, 0.136455126, 0.136455126, 0.136455126}, Ratios.grad(y), 1e-6);

        Tensor z = Tensor.vector(logp).requiresGrad(true);
        GrpoLoss.Result c = GrpoLoss.compute(gspo.withEpsilon(0.2),
                Inputs.of(z, new double[] {1, -1}, new int[] {2, 3}).withOldLogprobs(old).withNormalizer(5));
        assertEquals(0.011238452, c.loss().item(), 1e-6);
        c.loss().backward();
        assertArrayEquals(new double[] {0, 0, b, b, b}, Ratios.grad(z), 1e-6);
        assertEquals(0.5, c.metrics().get("clip_ratio/high_mean"), 0.0);

        Map<String, Double> low = GrpoLoss.compute(gspo.withEpsilon(0.1, 0.2),
                Inputs.of(Tensor.vector(logp), new double[] {-1, -1}, new int[] {2, 3}).withOldLogprobs(old).withNormalizer(5)).metrics();
        assertEquals(0.5, low.get("clip_ratio/low_mean"), 0.0);
        assertEquals(0.0, low.get("clip_ratio/high_mean"), 0.0);
    }

    /**
     * CISPO with ε_high = ε_max = 5, A = (1, −2), log π = (−1, −0.5 | −2, −0.25, −1.5), ratios
     * (1.5, 6.0 | 0.5, 1.0, 2.0), so the constant weights min(ratio, 5) = (1.5, 5 | 0.5, 1, 2):
     * <pre>
     * ℓ = −w·A·log π:  −1.5·1·(−1) = 1.5,  −5·1·(−0.5) = 2.5,  −0.5·(−2)·(−2) = −2,  −1·(−2)·(−0.25) = −0.5,
     *                  −2·(−2)·(−1.5) = −6;  sum −4.5, over normaliser 5: −0.9
     * gradient −w·A/5: (−0.3, −1 | 0.2, 0.4, 0.8)
     * </pre>
     * Unlike the clipped surrogate, the token with ratio 0.5 &lt; 1 − ε and A &lt; 0 keeps its
     * gradient, and the capped token 1 keeps one too (weighted 5). cispo_clip_ratio counts ratio &gt; 5
     * with A &gt; 0: 1/5; the clip_ratio metrics are the other losses'. With epsilon_high left at its
     * default 0.2 (TRL's ε_max, not 1 + ε), every weight is capped at 0.2: on-policy (ratio 1) with
     * A = 1, the gradient is −0.2/normaliser.
     */
    @Test
    void cispoWeighsReinforceByTheClippedDetachedRatio() {
        float[] logp = {-1f, -0.5f, -2f, -0.25f, -1.5f};
        double[] ratio = {1.5, 6.0, 0.5, 1.0, 2.0};
        float[] old = new float[5];
        for (int t = 0; t < 5; t++) old[t] = (float) (logp[t] - Math.log(ratio[t]));
        Options cispo = DAPO.withLossType(LossType.CISPO).withEpsilon(0.2, 5);
        Tensor x = Tensor.vector(logp).requiresGrad(true);
        GrpoLoss.Result r = GrpoLoss.compute(cispo, Inputs.of(x, new double[] {1, -2}, new int[] {2, 3}).withOldLogprobs(old).withNormalizer(5));
        assertEquals(-0.9, r.loss().item(), 1e-6);
        r.loss().backward();
        assertArrayEquals(new double[] {-0.3, -1, 0.2, 0.4, 0.8}, Ratios.grad(x), 1e-6);
        assertEquals(0.2, r.metrics().get("cispo_clip_ratio"), 1e-12);
        assertFalse(r.metrics().containsKey("clip_ratio/region_mean"));

        Tensor onPolicy = Tensor.vector(-1f, -2f).requiresGrad(true);
        GrpoLoss.Result d = GrpoLoss.compute(DAPO.withLossType(LossType.CISPO),
                Inputs.of(onPolicy, new double[] {1}, new int[] {2}).withNormalizer(4));
        d.loss().backward();
        assertArrayEquals(new double[] {-0.05, -0.05}, Ratios.grad(onPolicy), 1e-7);
    }

    /**
     * The k3 term alone (A = 0, no old log-probs), β = 0.1, bnpo over 5 tokens.
     * log π = (−1, −2 | −0.5, −1.5, −1), log π_ref = (−1.5, −1.75 | −0.5, −1, −2), d = ref − log π =
     * (−0.5, 0.25 | 0, 0.5, −1); kl = e^d − d − 1:
     * <pre>
     * e^−0.5 + 0.5 − 1 = 0.106530660   e^0.25 − 1.25 = 0.034025417   0   e^0.5 − 1.5 = 0.148721271   e^−1 = 0.367879441
     * </pre>
     * sum 0.657156788; kl metric 0.657156788/5 = 0.131431358; loss 0.1·0.131431358 = 0.013143136;
     * gradient β·(1 − e^d)/5: (0.007869387, −0.005680508 | 0, −0.012974425, 0.012642411).
     */
    @Test
    void klTermIsK3AgainstTheReference() {
        float[] ref = {-1.5f, -1.75f, -0.5f, -1f, -2f};
        Tensor x = Tensor.vector(-1f, -2f, -0.5f, -1.5f, -1f).requiresGrad(true);
        Options o = DAPO.withLossType(LossType.BNPO).withBeta(0.1);
        GrpoLoss.Result r = GrpoLoss.compute(o, Inputs.of(x, new double[] {0, 0}, new int[] {2, 3}).withRefLogprobs(ref));
        assertEquals(0.013143136, r.loss().item(), 1e-7);
        assertEquals(0.131431358, r.metrics().get("kl"), 1e-7);
        r.loss().backward();
        assertArrayEquals(new double[] {0.007869387, -0.005680508, 0, -0.012974425, 0.012642411}, Ratios.grad(x), 1e-7);
    }

    /**
     * mask_truncated_completions with completion 1 truncated: mask (T, T | F, F, F). The batch of
     * {@link #eachLossTypeAggregatesItsOwnWay} then keeps (−2.2, −1.8) only:
     * grpo (−2.0 + 0)/2 = −1.0, the masked completion still counted in B;
     * bnpo −4.0/2 = −2.0, over the kept tokens; dr_grpo −4.0/(2·4) = −0.5; dapo −4.0/5 = −0.8 with
     * TRL's normaliser, which counts the truncated completion's tokens. The masked tokens' gradients
     * are exactly 0, and a NaN there (an old log-prob) never reaches the loss.
     */
    @Test
    void truncatedCompletionsAreMaskedOut() {
        boolean[] mask = GrpoLoss.maskTruncatedCompletions(new int[] {2, 3}, new boolean[] {false, true});
        assertArrayEquals(new boolean[] {true, true, false, false, false}, mask);
        Object[][] cases = {
                {LossType.GRPO, -1.0, -0.55}, {LossType.BNPO, -2.0, -1.1}, {LossType.DR_GRPO, -0.5, -0.275}, {LossType.DAPO, -0.8, -0.44}};
        for (Object[] c : cases) {
            Tensor logp = Ratios.logprobsOf(1.1, 0.9, 1.0, 1.1, 0.95);
            float[] old = {0, 0, 0, Float.NaN, 0};
            GrpoLoss.Result r = GrpoLoss.compute(DAPO.withLossType((LossType) c[0]).withMaxCompletionLength(4),
                    Inputs.of(logp, new double[] {2, -1}, new int[] {2, 3}).withOldLogprobs(old).withMask(mask).withNormalizer(5));
            assertEquals((double) c[1], r.loss().item(), 1e-6, c[0].toString());
            r.loss().backward();
            double[] g = Ratios.grad(logp);
            assertEquals((double) c[2], g[0], 1e-6, c[0].toString());
            assertArrayEquals(new double[] {0, 0, 0}, new double[] {g[2], g[3], g[4]}, 0.0);
        }
    }

    /**
     * torch.quantile's linear interpolation over the masked-in entropies, keeping those ≥ it.
     * Entropies (0.5, 2.0 | 1.0, 3.0, 0.1), ρ = 0.4: the 0.6-quantile of (0.1, 0.5, 1.0, 2.0, 3.0) is at
     * position 0.6·4 = 2.4, 1.0 + 0.4·(2.0 − 1.0) = 1.4: keep (F, T, F, T, F). With token 3 masked out:
     * (0.1, 0.5, 1.0, 2.0) at 0.6·3 = 1.8, 0.5 + 0.8·0.5 = 0.9: keep (F, T, T, F, F).
     * Then TRL's own cases (tests/test_grpo_trainer.py, GetHighEntropyMaskTester), two rows of 6
     * flattened, its threshold being 1 − ρ.
     */
    @Test
    void highEntropyMaskKeepsTheTopQuantile() {
        float[] h = {0.5f, 2.0f, 1.0f, 3.0f, 0.1f};
        assertArrayEquals(new boolean[] {false, true, false, true, false}, GrpoLoss.highEntropyMask(h, null, 0.4));
        assertArrayEquals(new boolean[] {false, true, true, false, false},
                GrpoLoss.highEntropyMask(h, new boolean[] {true, true, true, false, true}, 0.4));

        // test_compute_entropy_mask_1: threshold 0.8, 8 tokens; the 0.8-quantile at 5.6 is 0.7 + 0.6·0.1 = 0.76
        float[] e1 = {0.1f, 0.2f, 0.3f, 1.4f, 0.5f, 0.14f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
        boolean[] m1 = bits(1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0);
        assertArrayEquals(bits(0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0), GrpoLoss.highEntropyMask(e1, m1, 0.2));
        float[] e2 = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f, 1.1f, 1.2f};
        boolean[] m2 = bits(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
        // test_compute_entropy_mask_lower_threshold: 0.5 over 10 tokens at 4.5, 0.55
        assertArrayEquals(bits(0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0), GrpoLoss.highEntropyMask(e2, m2, 0.5));
        // test_compute_entropy_threshold_0 (ρ = 1: every masked-in token) and _1 (ρ = 0: the maximum alone)
        assertArrayEquals(m2, GrpoLoss.highEntropyMask(e2, m2, 1.0));
        assertArrayEquals(bits(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0), GrpoLoss.highEntropyMask(e2, m2, 0.0));
        // test_compute_entropy_all_masked
        assertArrayEquals(new boolean[12], GrpoLoss.highEntropyMask(e2, new boolean[12], 0.5));
    }

    /**
     * The entropy mask (F, T | F, T, F) zeroes the policy term of the dropped tokens but not their
     * KL term, and they still count in bnpo's normaliser. On-policy (ratio 1), A = (2, −1), β = 0.1
     * and the k3 values of {@link #klTermIsK3AgainstTheReference}:
     * loss (−2 + 1 + 0.1·0.657156788)/5 = −0.186856864; gradient the KL's
     * (0.007869387, −0.005680508 | 0, −0.012974425, 0.012642411) plus −A/5 on the kept tokens:
     * (0.007869387, −0.405680508 | 0, 0.187025575, 0.012642411).
     */
    @Test
    void entropyMaskDropsThePolicyTermOnly() {
        float[] ref = {-1.5f, -1.75f, -0.5f, -1f, -2f};
        Tensor x = Tensor.vector(-1f, -2f, -0.5f, -1.5f, -1f).requiresGrad(true);
        GrpoLoss.Result r = GrpoLoss.compute(DAPO.withLossType(LossType.BNPO).withBeta(0.1),
                Inputs.of(x, new double[] {2, -1}, new int[] {2, 3}).withRefLogprobs(ref).withEntropyMask(bits(0, 1, 0, 1, 0)));
        assertEquals(-0.186856864, r.loss().item(), 1e-6);
        r.loss().backward();
        assertArrayEquals(new double[] {0.007869387, -0.405680508, 0, 0.187025575, 0.012642411}, Ratios.grad(x), 1e-6);
    }

    /**
     * Rewards (1, 1 | 0, 1) in groups of 2: the first group's advantages are exactly 0, so with β = 0
     * its tokens (the first 3) get exactly zero gradient under every loss type and level, while the
     * second group's (A = ∓0.5/(0.707106781 + 1e-4)) do not.
     */
    @Test
    void aGroupWithEqualRewardsGetsNoGradient() {
        double[] a = GrpoAdvantages.compute(new double[] {1, 1, 0, 1}, 2, GrpoAdvantages.ScaleRewards.GROUP).advantages();
        float[] logp = {-0.7f, -1.2f, -0.4f, -2.0f, -0.9f, -1.1f, -0.3f, -0.6f};
        float[] old = {-0.8f, -1.0f, -0.5f, -1.9f, -1.0f, -1.0f, -0.35f, -0.5f};
        for (LossType type : LossType.values()) {
            for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values()) {
                Tensor x = Tensor.vector(logp).requiresGrad(true);
                Options o = DAPO.withLossType(type).withImportanceSamplingLevel(level).withEpsilon(0.2, type == LossType.CISPO ? 5 : 0.2);
                GrpoLoss.compute(o, Inputs.of(x, a, new int[] {2, 1, 3, 2}).withOldLogprobs(old).withNormalizer(8)).loss().backward();
                double[] g = Ratios.grad(x);
                assertArrayEquals(new double[] {0, 0, 0}, new double[] {g[0], g[1], g[2]}, 0.0, type + " " + level);
                assertNotEquals(0.0, g[4], type + " " + level);
            }
        }
    }

    @Test
    void inputsAreValidated() {
        Tensor x = Tensor.vector(-1f, -2f, -1f, -1f, -1f);
        double[] a = {1, -1};
        int[] len = {2, 3};
        assertMessage("GrpoLoss: lengths [2, 2] add up to 4 tokens, logprobs has 5", () -> Inputs.of(x, a, new int[] {2, 2}));
        assertMessage("GrpoLoss: advantages has 1 values for 2 completions", () -> Inputs.of(x, new double[] {1}, len));
        assertMessage("GrpoLoss: advantages[1] is NaN", () -> Inputs.of(x, new double[] {1, Double.NaN}, len));
        assertMessage("GrpoLoss: oldLogprobs has 4 values, logprobs 5", () -> Inputs.of(x, a, len).withOldLogprobs(new float[4]));
        assertMessage("GrpoLoss: mask has 3 values, logprobs 5", () -> Inputs.of(x, a, len).withMask(new boolean[3]));
        assertMessage("GrpoLoss: entropyMask has 6 values", () -> Inputs.of(x, a, len).withEntropyMask(new boolean[6]));
        assertMessage("GrpoLoss: lengths[0] is -1", () -> Inputs.of(x, a, new int[] {-1, 6}));
        assertMessage("it must be an (N) vector", () -> Inputs.of(Tensor.zeros(5, 1), a, len));
        assertMessage("GrpoLoss: beta 0.1 needs the reference model's log-probs",
                () -> GrpoLoss.compute(DAPO.withBeta(0.1), Inputs.of(x, a, len).withNormalizer(5)));
        assertMessage("GrpoLoss: loss_type dapo divides by the completion tokens of the whole generation batch (TRL's"
                + " num_items_in_batch), but normalizer is 0.0", () -> GrpoLoss.compute(DAPO, Inputs.of(x, a, len)));
        assertMessage("loss_type cispo divides", () -> GrpoLoss.compute(DAPO.withLossType(LossType.CISPO), Inputs.of(x, a, len)));
        assertMessage("GrpoLoss: completion 1 has 3 tokens, more than max_completion_length 2",
                () -> GrpoLoss.compute(DAPO.withLossType(LossType.DR_GRPO).withMaxCompletionLength(2), Inputs.of(x, a, len)));
        assertMessage("loss_type \"sapo\" is not a GRPO loss type; use one of grpo, bnpo, dr_grpo, dapo, cispo", () -> LossType.of("sapo"));
        assertMessage("importance_sampling_level \"trajectory\" is not a level; use one of token, sequence",
                () -> ImportanceSamplingLevel.of("trajectory"));
        assertMessage("beta must be ≥ 0", () -> DAPO.withBeta(-0.1));
        assertMessage("epsilon must be ≥ 0", () -> DAPO.withEpsilon(Double.NaN));
        assertMessage("epsilon_high must be ≥ 0", () -> DAPO.withEpsilon(0.2, -1));
        assertMessage("max_completion_length must be ≥ 1", () -> DAPO.withMaxCompletionLength(0));
        assertMessage("top_entropy_quantile must be in [0, 1]", () -> GrpoLoss.highEntropyMask(new float[2], null, 1.5));
        assertMessage("maskTruncatedCompletions: 1 truncation flags for 2 completions",
                () -> GrpoLoss.maskTruncatedCompletions(len, new boolean[1]));
        assertEquals(LossType.DR_GRPO, LossType.of("dr_grpo"));
        assertEquals("sequence", ImportanceSamplingLevel.SEQUENCE.trlName());
    }

    /**
     * The gradient against central differences of the equations in float64, on a seeded random
     * micro-batch (lengths 3, 0, 4, 2, 1; two tokens masked out; a random entropy mask; β = 0.05),
     * for every loss type at both levels, wide enough that some tokens are clipped and some not.
     */
    @Test
    void gradientMatchesFiniteDifferences() {
        int[] lengths = {3, 0, 4, 2, 1};
        int n = 10, b = lengths.length;
        double beta = 0.05, normalizer = 13;
        SplittableRandom rng = new SplittableRandom(7);
        float[] newLp = new float[n], old = new float[n], ref = new float[n];
        boolean[] mask = new boolean[n], high = new boolean[n];
        double[] adv = new double[b];
        for (int t = 0; t < n; t++) {
            newLp[t] = (float) rng.nextDouble(-3, -0.1);
            old[t] = newLp[t] + (float) rng.nextDouble(-0.5, 0.5);
            ref[t] = newLp[t] + (float) rng.nextDouble(-0.5, 0.5);
            mask[t] = t != 4 && t != 8;
            high[t] = rng.nextDouble() < 0.7;
        }
        for (int i = 0; i < b; i++) adv[i] = rng.nextGaussian();

        for (LossType type : LossType.values()) {
            for (ImportanceSamplingLevel level : ImportanceSamplingLevel.values()) {
                Options o = DAPO.withLossType(type).withImportanceSamplingLevel(level).withBeta(beta)
                        .withEpsilon(0.2, type == LossType.CISPO ? 1.1 : 0.28).withMaxCompletionLength(5);
                String name = type.trlName() + "/" + level.trlName();
                Inputs probe = new Inputs(Tensor.vector(newLp), old, ref, adv, lengths, mask, high, normalizer);
                Map<String, Double> m = GrpoLoss.compute(o, probe).metrics();
                if (level == ImportanceSamplingLevel.TOKEN && type != LossType.CISPO) {
                    double region = m.get("clip_ratio/region_mean");
                    assertTrue(region > 0 && region < 1, name + ": some tokens clipped, some not, got " + region);
                }
                GradCheck.check(name, in -> GrpoLoss.compute(o, new Inputs(in[0], old, ref, adv, lengths, mask, high, normalizer)).loss(),
                        x -> new double[] {reference(o, x[0], newLp, old, ref, adv, lengths, mask, high, normalizer)},
                        Tensor.vector(newLp).requiresGrad(true));
            }
        }
    }

    /**
     * The equations of {@link GrpoLoss} in float64, written out loop by loop. CISPO's weight is a
     * constant: computed from {@code base}, the unperturbed log-probs.
     */
    static double reference(Options o, double[] x, float[] base, float[] old, float[] ref, double[] adv, int[] lengths,
                            boolean[] mask, boolean[] high, double normalizer) {
        int b = lengths.length;
        double sum = 0, kept = 0, grpo = 0;
        for (int i = 0, start = 0; i < b; start += lengths[i], i++) {
            double active = 0, seqLogRatio = 0, seqBaseLogRatio = 0;
            for (int t = start; t < start + lengths[i]; t++) {
                if (!mask[t]) continue;
                active++;
                seqLogRatio += x[t] - old[t];
                seqBaseLogRatio += base[t] - old[t];
            }
            seqLogRatio /= Math.max(active, 1);
            seqBaseLogRatio /= Math.max(active, 1);
            double completion = 0;
            for (int t = start; t < start + lengths[i]; t++) {
                if (!mask[t]) continue;
                boolean sequence = o.importanceSamplingLevel() == ImportanceSamplingLevel.SEQUENCE;
                double ratio = Math.exp(sequence ? seqLogRatio : x[t] - old[t]);
                double loss;
                if (o.lossType() == LossType.CISPO) {
                    double w = Math.min(Math.exp(sequence ? seqBaseLogRatio : base[t] - old[t]), o.epsilonHigh());
                    loss = -w * adv[i] * x[t];
                } else {
                    double clipped = Math.min(Math.max(ratio, 1 - o.epsilon()), 1 + o.epsilonHigh());
                    loss = -Math.min(ratio * adv[i], clipped * adv[i]);
                }
                if (!high[t]) loss = 0;
                double d = ref[t] - x[t];
                loss += o.beta() * (Math.exp(d) - d - 1);
                completion += loss;
            }
            sum += completion;
            kept += active;
            grpo += completion / Math.max(active, 1);
        }
        return switch (o.lossType()) {
            case GRPO -> grpo / b;
            case BNPO -> sum / Math.max(kept, 1);
            case DR_GRPO -> sum / (b * o.maxCompletionLength());
            case DAPO, CISPO -> sum / Math.max(normalizer, 1);
        };
    }

    static boolean[] bits(int... v) {
        boolean[] m = new boolean[v.length];
        for (int i = 0; i < v.length; i++) m[i] = v[i] != 0;
        return m;
    }
}
