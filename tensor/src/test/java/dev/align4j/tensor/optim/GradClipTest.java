package dev.align4j.tensor.optim;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.OptimizerKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static dev.align4j.tensor.optim.AdamWTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clipping against {@code torch.nn.utils.clip_grad_norm_}, by hand: gradients (3, 4) and (12) have
 * total norm sqrt(9 + 16 + 144) = 13. With max_norm 1 the coefficient is 1/(13 + 1e-6), so the
 * gradients become (3, 4, 12)/13.000001 ≈ (0.23076921, 0.30769228, 0.92307685), of norm
 * 13/13.000001 ≈ 0.99999992. With max_norm 20 the coefficient clamps to 1: nothing changes.
 */
class GradClipTest {

    private static Tensor withGrad(float... g) {
        Tensor t = Tensor.zeros(g.length).requiresGrad(true);
        System.arraycopy(g, 0, t.gradBuffer(), 0, g.length);
        return t;
    }

    @Test
    void returnsTheNormBeforeClippingAndScalesTheGradients() {
        Tensor a = withGrad(3f, 4f), b = withGrad(12f);
        assertEquals(13.0, GradClip.clipGradNorm(List.of(a, b), 1.0));
        assertArrayEquals(new float[] {0.23076921f, 0.30769228f}, a.gradOrNull(), 1e-7f);
        assertArrayEquals(new float[] {0.92307685f}, b.gradOrNull(), 1e-7f);
        assertEquals(0.99999992, GradClip.totalNorm(List.of(a, b)), 1e-7);
    }

    @Test
    void gradientsBelowTheMaximumAreLeftBitIdentical() {
        Tensor a = withGrad(3f, 4f), b = withGrad(12f);
        assertEquals(13.0, GradClip.clipGradNorm(List.of(a, b), 20.0));
        assertArrayEquals(new float[] {3f, 4f}, a.gradOrNull());
        assertArrayEquals(new float[] {12f}, b.gradOrNull());
    }

    @Test
    void parametersWithoutGradientAreIgnored() {
        Tensor none = Tensor.zeros(3).requiresGrad(true), a = withGrad(3f, 4f);
        assertEquals(5.0, GradClip.clipGradNorm(List.of(none, a), 1.0));
        assertEquals(null, none.gradOrNull());
        assertEquals(0.0, GradClip.clipGradNorm(List.of(none), 1.0));
    }

    @Test
    void nonFiniteNormsAreReturnedAndPropagateAsInPyTorch() {
        Tensor nan = withGrad(1f, Float.NaN), other = withGrad(2f);
        assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(nan, other), 1.0)));
        assertTrue(Float.isNaN(nan.gradOrNull()[0]) && Float.isNaN(other.gradOrNull()[0]), "NaN coefficient spreads");

        Tensor inf = withGrad(1f, Float.POSITIVE_INFINITY), finite = withGrad(2f);
        assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGradNorm(List.of(inf, finite), 1.0));
        assertEquals(0f, inf.gradOrNull()[0]); // coefficient 1/∞ = 0
        assertTrue(Float.isNaN(inf.gradOrNull()[1])); // ∞·0
        assertEquals(0f, finite.gradOrNull()[0]);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 33, 65, 127, 100_003})
    void kernelsMatchPlainLoops(int n) {
        float[] x = Tensor.randn(n, n + 3).toArray();
        double plain = 0;
        for (int i = 3; i < n + 3; i++) plain += (double) x[i] * x[i];
        double fast = OptimizerKernels.sumOfSquares(x, 3, n);
        assertEquals(plain, fast, 1e-12 * plain);
        assertEquals(fast, OptimizerKernels.sumOfSquares(x.clone(), 3, n), 0.0, "deterministic");

        float[] y = x.clone();
        OptimizerKernels.scale(y, 3, n, 0.37f);
        for (int i = 0; i < n + 3; i++) assertEquals(i < 3 ? x[i] : x[i] * 0.37f, y[i], 0f, "element " + i);
    }

    @Test
    void clipsAtOddSizesAgainstAFloat64Norm() {
        for (int n : GradCheck.ODD_SIZES) {
            float[] ga = Tensor.randn(n, n).toArray(), gb = Tensor.randn(n + 1, 2 * n).toArray();
            double sum = 0;
            for (float g : ga) sum += (double) g * g;
            for (float g : gb) sum += (double) g * g;
            double reference = Math.sqrt(sum);
            Tensor a = withGrad(ga), b = withGrad(gb);
            double norm = GradClip.clipGradNorm(List.of(a, b), 0.5);
            assertEquals(reference, norm, 1e-12 * reference, "n=" + n);
            float coef = (float) (0.5 / (norm + 1e-6));
            for (int i = 0; i < n; i++) assertEquals(ga[i] * coef, a.gradOrNull()[i], 0f, "n=" + n + " a[" + i + "]");
            for (int i = 0; i < 2 * n; i++) assertEquals(gb[i] * coef, b.gradOrNull()[i], 0f, "n=" + n + " b[" + i + "]");
            assertEquals(0.5, GradClip.totalNorm(List.of(a, b)), 1e-6, "n=" + n);
        }
    }

    @Test
    void badInputsAreRejected() {
        List<Tensor> p = List.of(withGrad(1f));
        assertMessage(() -> GradClip.clipGradNorm(p, 0), "max_grad_norm");
        assertMessage(() -> GradClip.clipGradNorm(p, -1), "max_grad_norm");
        assertMessage(() -> GradClip.clipGradNorm(p, Double.NaN), "max_grad_norm");
        assertMessage(() -> OptimizerKernels.scale(new float[4], 2, 3, 1f), "scale: x holds 4 floats");
        assertMessage(() -> OptimizerKernels.sumOfSquares(new float[4], -1, 2), "sumOfSquares");
        assertMessage(() -> OptimizerKernels.adamw(new float[4], 0, new float[3], new float[4], new float[4], 4, 1f, false,
                1f, 0.1f, 0.999f, 0.001f, -0.1f, 1f, 1e-8f), "adamw: exp_avg holds 3 floats");
        assertMessage(() -> OptimizerKernels.sgd(new float[4], 0, null, new float[2], 4,
                0f, 0f, 1f, false, false, -0.1f), "sgd: grad holds 2 floats");
    }
}
