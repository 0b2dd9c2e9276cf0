package dev.align4j.tensor.optim;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AdamW against the published rule (Loshchilov and Hutter, arXiv:1711.05101, Algorithm 2, in
 * PyTorch's form): for a parameter with gradient g at its step t,
 * <pre>
 * p ← p − lr·λ·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 * m̂ = m / (1 − β1^t);  v̂ = v / (1 − β2^t);  p ← p − lr·m̂ / (sqrt(v̂) + eps)
 * </pre>
 *
 * <p>Step 1 by hand. With m₀ = v₀ = 0: m₁ = (1−β1)·g and v₁ = (1−β2)·g², so the bias corrections
 * cancel exactly: m̂ = g, v̂ = g², and the update is {@code lr·g / (|g| + eps)}, i.e. lr times the
 * sign of g up to {@code eps/|g|}. For p = 1, g = 0.5, lr = 0.1, λ = 0:
 * {@code p = 1 − 0.1·0.5/(0.5 + 1e-8) = 1 − 0.1·(1 − 2e-8) = 0.900000002}, which is 0.9 in float32.
 * For g = −2 the step is +0.1: p = 1.1. With λ = 0.01 the decay comes first:
 * {@code p = 1·(1 − 0.1·0.01) − 0.1 = 0.999 − 0.1 = 0.899}.
 *
 * <p>Step 2 by hand, same g = 0.5, lr = 0.1, λ = 0, β = (0.9, 0.999): m₂ = 0.9·0.05 + 0.1·0.5 = 0.095,
 * v₂ = 0.999·0.00025 + 0.001·0.25 = 0.00049975, m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25:
 * again an update of lr·0.5/0.5 = 0.1, p = 0.8. A constant gradient moves p by lr per step.
 *
 * <p>Beyond the hand-worked cases, three steps with varying learning rate and random gradients
 * are compared with a float64 implementation of the rule above (tolerance 1e-6), and the
 * vectorised float32 kernel with a scalar float32 replay of PyTorch's op sequence (bit for bit).
 */
class AdamWTest {

    private static Tensor param(float... values) {
        return Tensor.vector(values).requiresGrad(true);
    }

    private static void setGrad(Tensor p, float... g) {
        System.arraycopy(g, 0, p.gradBuffer(), 0, g.length);
    }

    private static AdamW adamw(double lr, double weightDecay, Tensor... params) {
        return new AdamW(List.of(new ParamGroup(List.of(params), weightDecay)), lr);
    }

    private static float[] randomGrad(long seed, int n) {
        return Tensor.randn(seed, n).toArray();
    }

    @Test
    void firstStepMovesEachWeightByTheLearningRate() {
        Tensor a = param(1f, 1f);
        AdamW opt = adamw(0.1, 0.0, a);
        setGrad(a, 0.5f, -2f);
        opt.step();
        assertEquals(0.9, a.get(0), 1e-7);
        assertEquals(1.1, a.get(1), 1e-7);
        opt.step(); // same gradient: another step of lr
        assertEquals(0.8, a.get(0), 2e-7);
        assertEquals(1.2, a.get(1), 2e-7);

        Tensor b = param(1f);
        AdamW decayed = adamw(0.1, 0.01, b);
        setGrad(b, 0.5f);
        decayed.step();
        assertEquals(0.899, b.get(0), 1e-7);
    }

    @Test
    void zeroGradientStillDecaysButNullGradientIsSkipped() {
        // grad exactly 0 but present: m = v = 0, update 0/(0 + eps) = 0, only p·(1 − lr·λ) = p·0.95 remains
        Tensor zero = param(2f, -4f);
        Tensor none = param(3f); // never gets a gradient buffer
        AdamW opt = adamw(0.1, 0.5, zero, none);
        setGrad(zero, 0f, 0f);
        opt.step();
        assertEquals(1.9, zero.get(0), 1e-7);
        assertEquals(-3.8, zero.get(1), 2e-7);
        assertEquals(3f, none.get(0));
        assertEquals(1, opt.state().get(0).step());
        assertEquals(0, opt.state().get(1).step());
    }

    @Test
    void skippedParameterKeepsItsStepCountAndStartsAtStepOne() {
        Tensor a = param(1f, 2f), b = param(0.5f, -0.5f, 0.25f);
        Tensor bAlone = b.copy().requiresGrad(true);
        AdamW opt = adamw(0.01, 0.1, a, b);
        for (int s = 0; s < 2; s++) {
            setGrad(a, 0.3f, -0.7f);
            opt.step();
        }
        assertArrayEquals(new float[] {0.5f, -0.5f, 0.25f}, b.toArray());
        setGrad(a, 0.3f, -0.7f);
        setGrad(b, 1f, 2f, -3f);
        opt.step();
        assertEquals(3, opt.state().get(0).step());
        assertEquals(1, opt.state().get(1).step());

        AdamW fresh = adamw(0.01, 0.1, bAlone);
        setGrad(bAlone, 1f, 2f, -3f);
        fresh.step();
        assertArrayEquals(bAlone.toArray(), b.toArray(), "b's first real step must use bias correction t = 1");
    }

    @Test
    void eachGroupDecaysWithItsOwnWeightDecay() {
        Tensor weight = param(1f, -1f), bias = param(1f, -1f);
        AdamW opt = new AdamW(List.of(new ParamGroup(List.of(weight), 0.1), new ParamGroup(List.of(bias), 0.0)), 0.5);
        setGrad(weight, 0f, 0f);
        setGrad(bias, 0f, 0f);
        opt.step();
        assertArrayEquals(new float[] {0.95f, -0.95f}, weight.toArray());
        assertArrayEquals(new float[] {1f, -1f}, bias.toArray());
    }

    /** Float64 AdamW written from the published rule, independent of the float32 code under test. */
    private static final class Float64AdamW {
        final double[] p, m, v;
        int t;

        Float64AdamW(float[] init) {
            p = GradCheck.toDouble(init);
            m = new double[init.length];
            v = new double[init.length];
        }

        void step(float[] g, double lr, double b1, double b2, double eps, double wd) {
            t++;
            for (int i = 0; i < p.length; i++) {
                p[i] -= lr * wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = v[i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 33, 65, 127})
    void threeStepsMatchTheFloat64Rule(int n) {
        double[] lrs = {1e-2, 5e-3, 2e-3};
        double b1 = 0.9, b2 = 0.95, eps = 1e-6, wd = 0.1;
        Tensor p = GradCheck.param(n, n);
        Float64AdamW ref = new Float64AdamW(p.toArray());
        AdamW opt = new AdamW(List.of(new ParamGroup(List.of(p), wd)), lrs[0], b1, b2, eps);
        for (int s = 0; s < lrs.length; s++) {
            float[] g = randomGrad(100 + s, n);
            setGrad(p, g);
            opt.setLearningRate(lrs[s]);
            opt.step();
            ref.step(g, lrs[s], b1, b2, eps, wd);
        }
        GradCheck.compare("AdamW params n=" + n, GradCheck.toDouble(p.toArray()), ref.p, 1e-6, 1e-6);
        AdamW.ParamState st = opt.state().get(0);
        assertEquals(3, st.step());
        GradCheck.compare("AdamW exp_avg n=" + n, GradCheck.toDouble(st.expAvg()), ref.m, 1e-6, 1e-6);
        GradCheck.compare("AdamW exp_avg_sq n=" + n, GradCheck.toDouble(st.expAvgSq()), ref.v, 1e-6, 1e-6);
    }

    /**
     * PyTorch's float32 op sequence replayed one element at a time (see OptimizerKernels.adamw):
     * the vectorised, parallel kernel must reproduce it bit for bit.
     */
    private static void float32Replay(float[] p, float[] m, float[] v, float[] g, long t,
                                      double lr, double b1, double b2, double eps, double wd) {
        float decay = (float) (1 - lr * wd), w = (float) (1 - b1), beta2 = (float) b2, c2 = (float) (1 - b2);
        float negStep = (float) -(lr / (1 - Math.pow(b1, t)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(b2, t));
        for (int i = 0; i < p.length; i++) {
            p[i] = p[i] * decay;
            m[i] = Math.abs(w) < 0.5f ? Math.fma(w, g[i] - m[i], m[i]) : Math.fma(w - 1f, g[i] - m[i], g[i]);
            v[i] = v[i] * beta2 + c2 * g[i] * g[i];
            float denom = (float) Math.sqrt(v[i]) / bc2Sqrt + (float) eps;
            p[i] = p[i] + negStep * m[i] / denom;
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 33, 65, 127, 100_003})
    void kernelReplaysPyTorchFloat32OpsBitForBit(int n) {
        for (double b1 : new double[] {0.9, 0.3}) { // lerp weight 0.1 and 0.7: both of lerp's branches
            double b2 = 0.999, eps = 1e-8, wd = 0.01;
            double[] lrs = {3e-3, 1e-3, 2e-4};
            Tensor p = GradCheck.param(7 * n, n);
            float[] rp = p.toArray(), rm = new float[n], rv = new float[n];
            AdamW opt = new AdamW(List.of(new ParamGroup(List.of(p), wd)), lrs[0], b1, b2, eps);
            for (int s = 0; s < lrs.length; s++) {
                float[] g = randomGrad(200 + s, n);
                setGrad(p, g);
                opt.setLearningRate(lrs[s]);
                opt.step();
                float32Replay(rp, rm, rv, g, s + 1, lrs[s], b1, b2, eps, wd);
            }
            assertArrayEquals(rp, p.toArray(), "params, beta1=" + b1);
            assertArrayEquals(rm, opt.state().get(0).expAvg(), "exp_avg, beta1=" + b1);
            assertArrayEquals(rv, opt.state().get(0).expAvgSq(), "exp_avg_sq, beta1=" + b1);
        }
    }

    @Test
    void exportedStateResumesBitIdentically() {
        int[] sizes = {33, 127};
        float[][][] grads = new float[4][sizes.length][];
        SplittableRandom rng = new SplittableRandom(5);
        for (int s = 0; s < 4; s++) for (int j = 0; j < sizes.length; j++) grads[s][j] = randomGrad(rng.nextLong(), sizes[j]);

        Tensor a0 = GradCheck.param(1, sizes[0]), a1 = GradCheck.param(2, sizes[1]);
        Tensor b0 = a0.copy().requiresGrad(true), b1 = a1.copy().requiresGrad(true);
        List<ParamGroup> groupsA = List.of(new ParamGroup(List.of(a0), 0.1), new ParamGroup(List.of(a1), 0.0));
        List<ParamGroup> groupsB = List.of(new ParamGroup(List.of(b0), 0.1), new ParamGroup(List.of(b1), 0.0));

        AdamW straight = new AdamW(groupsA, 1e-2);
        for (int s = 0; s < 4; s++) {
            setGrad(a0, grads[s][0]);
            setGrad(a1, grads[s][1]);
            straight.step();
        }

        AdamW first = new AdamW(groupsB, 1e-2);
        for (int s = 0; s < 2; s++) {
            setGrad(b0, grads[s][0]);
            setGrad(b1, grads[s][1]);
            first.step();
        }
        List<AdamW.ParamState> saved = first.state();
        AdamW resumed = new AdamW(groupsB, 1e-2);
        resumed.loadState(saved);
        for (int s = 2; s < 4; s++) {
            setGrad(b0, grads[s][0]);
            setGrad(b1, grads[s][1]);
            resumed.step();
        }
        assertArrayEquals(a0.toArray(), b0.toArray());
        assertArrayEquals(a1.toArray(), b1.toArray());
        assertEquals(4, resumed.state().get(1).step());
        assertNotSame(saved.get(0).expAvg(), first.state().get(0).expAvg(), "state() must hand out copies");
    }

    /**
     * The fused pass against the three it replaces: clip (a coefficient below 1, and a norm under
     * the limit, coefficient 1), step, zero_grad — bit for bit, on sizes with a vector tail and one
     * large enough to be split over threads.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0.5, 1e6})
    void stepAndZeroGradEqualsClipThenStepThenZeroGrad(double maxNorm) {
        int[] sizes = {37, 300_001};
        Tensor[] fused = new Tensor[sizes.length], separate = new Tensor[sizes.length];
        for (int j = 0; j < sizes.length; j++) {
            fused[j] = GradCheck.param(j + 1, sizes[j]);
            separate[j] = fused[j].copy().requiresGrad(true);
        }
        AdamW one = new AdamW(List.of(new ParamGroup(List.of(fused), 0.1)), 1e-2);
        AdamW three = new AdamW(List.of(new ParamGroup(List.of(separate), 0.1)), 1e-2);
        for (int s = 0; s < 3; s++) {
            for (int j = 0; j < sizes.length; j++) {
                float[] g = randomGrad(10L * s + j, sizes[j]);
                setGrad(fused[j], g);
                setGrad(separate[j], g);
            }
            double norm = GradClip.totalNorm(List.of(fused));
            assertEquals(norm, GradClip.clipGradNorm(List.of(separate), maxNorm));
            three.step();
            three.zeroGrad();
            one.stepAndZeroGrad(GradClip.coefficient(norm, maxNorm));
            for (int j = 0; j < sizes.length; j++) {
                assertArrayEquals(separate[j].toArray(), fused[j].toArray(), "params, step " + s + ", size " + sizes[j]);
                assertArrayEquals(new float[sizes[j]], fused[j].gradOrNull(), "gradient zeroed, size " + sizes[j]);
            }
        }
        assertEquals(1f, GradClip.coefficient(10, 20), "under the limit: gradients untouched");
        assertTrue(GradClip.coefficient(13, 1) < 1f);
    }

    @Test
    void zeroGradZeroesEveryGradient() {
        Tensor a = param(1f, 2f);
        AdamW opt = adamw(0.1, 0.0, a);
        setGrad(a, 3f, 4f);
        opt.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f}, a.gradOrNull());
    }

    @Test
    void badHyperParametersAreRejectedWithTheirName() {
        List<ParamGroup> g = List.of(new ParamGroup(List.of(param(1f)), 0.0));
        assertMessage(() -> new AdamW(g, -1e-3), "learning rate");
        assertMessage(() -> new AdamW(g, Double.NaN), "learning rate");
        assertMessage(() -> new AdamW(g, 1e-3, 1.0, 0.999, 1e-8), "beta1");
        assertMessage(() -> new AdamW(g, 1e-3, -0.1, 0.999, 1e-8), "beta1");
        assertMessage(() -> new AdamW(g, 1e-3, 0.9, 1.5, 1e-8), "beta2");
        assertMessage(() -> new AdamW(g, 1e-3, 0.9, 0.999, -1e-8), "eps");
        assertMessage(() -> new ParamGroup(List.of(param(1f)), -0.01), "weight decay");
        assertMessage(() -> new AdamW(g, 1e-3).setLearningRate(-1), "learning rate");
    }

    @Test
    void badParametersAreRejected() {
        Tensor p = param(1f, 2f);
        assertMessage(() -> new ParamGroup(List.of(Tensor.vector(1f)), 0.0), "requiresGrad(true)");
        assertMessage(() -> new AdamW(List.of(), 1e-3), "no parameter groups");
        assertMessage(() -> new AdamW(List.of(new ParamGroup(List.of(p), 0.1), new ParamGroup(List.of(p), 0.0)), 1e-3),
                "appears twice");
    }

    @Test
    void stateOfTheWrongShapeIsRejected() {
        AdamW opt = adamw(1e-3, 0.0, param(1f, 2f));
        assertMessage(() -> opt.loadState(List.of()), "0 entries for 1 parameters");
        assertMessage(() -> opt.loadState(List.of(new AdamW.ParamState(1, new float[3], new float[2]))), "entry 0");
        assertMessage(() -> opt.loadState(List.of(new AdamW.ParamState(-1, new float[2], new float[2]))), "step -1");
    }

    static void assertMessage(Runnable r, String fragment) {
        var e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should mention '" + fragment + "'");
    }
}
