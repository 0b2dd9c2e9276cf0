package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NormsTest {
    static final int[] SIZES = GradCheck.ODD_SIZES;
    static final float EPS = 1e-5f;

    /** Float64 LayerNorm over rows of c: (x − mean)/√(var + eps)·w + b, biased variance; b may be null. */
    static double[] layerNormRef(double[] x, double[] w, double[] b, int c, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double mean = 0, var = 0;
            for (int j = 0; j < c; j++) mean += x[r * c + j];
            mean /= c;
            for (int j = 0; j < c; j++) var += (x[r * c + j] - mean) * (x[r * c + j] - mean);
            var /= c;
            double rstd = 1 / Math.sqrt(var + eps);
            for (int j = 0; j < c; j++) y[r * c + j] = (x[r * c + j] - mean) * rstd * w[j] + (b == null ? 0 : b[j]);
        }
        return y;
    }

    /** Float64 RMSNorm over rows of c: x/√(mean(x²) + eps)·w. */
    static double[] rmsNormRef(double[] x, double[] w, int c, double eps) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double ms = 0;
            for (int j = 0; j < c; j++) ms += x[r * c + j] * x[r * c + j];
            double rstd = 1 / Math.sqrt(ms / c + eps);
            for (int j = 0; j < c; j++) y[r * c + j] = x[r * c + j] * rstd * w[j];
        }
        return y;
    }

    @ParameterizedTest(name = "C={0}")
    @FieldSource("SIZES")
    void layerNormMatchesFloat64AndFiniteDifferences(int c) {
        Tensor x = GradCheck.param(1, 3, c), w = GradCheck.param(2, c), b = GradCheck.param(3, c);
        GradCheck.check("layerNorm", in -> Norms.layerNorm(in[0], in[1], in[2], EPS),
                v -> layerNormRef(v[0], v[1], v[2], c, EPS), x, w, b);
    }

    @ParameterizedTest(name = "C={0}")
    @FieldSource("SIZES")
    void layerNormWithoutBiasMatchesFloat64AndFiniteDifferences(int c) {
        Tensor x = GradCheck.param(4, 2, c), w = GradCheck.param(5, c);
        GradCheck.check("layerNorm(no bias)", in -> Norms.layerNorm(in[0], in[1], null, EPS),
                v -> layerNormRef(v[0], v[1], null, c, EPS), x, w);
    }

    @ParameterizedTest(name = "C={0}")
    @FieldSource("SIZES")
    void rmsNormMatchesFloat64AndFiniteDifferences(int c) {
        Tensor x = GradCheck.param(6, 3, c), w = GradCheck.param(7, c);
        GradCheck.check("rmsNorm", in -> Norms.rmsNorm(in[0], in[1], EPS), v -> rmsNormRef(v[0], v[1], c, EPS), x, w);
    }

    /** 300 rows: several row blocks and column chunks in the weight-gradient pass, and parallel rows. */
    @Test
    void weightGradientsOverManyRowsMatchFiniteDifferences() {
        int n = 300, c = 96;
        Tensor x = Tensor.randn(8, n, c);
        Tensor w = GradCheck.param(9, c), b = GradCheck.param(10, c);
        GradCheck.check("layerNorm dW dB", in -> Norms.layerNorm(in[0], in[1], in[2], EPS),
                v -> layerNormRef(v[0], v[1], v[2], c, EPS), x, w, b);
        Tensor g = GradCheck.param(11, c);
        GradCheck.check("rmsNorm dW", in -> Norms.rmsNorm(in[0], in[1], EPS), v -> rmsNormRef(v[0], v[1], c, EPS), x, g);
    }

    /**
     * By hand, eps = 0: LayerNorm of [1, 2, 3] has mean 2, variance 2/3, so [−1, 0, 1]·√1.5 =
     * [−1.2247449, 0, 1.2247449]; RMSNorm of [3, 4] has mean square 12.5, so [3, 4]/√12.5 =
     * [0.8485281, 1.1313708].
     */
    @Test
    void knownValues() {
        Tensor ln = Norms.layerNorm(Tensor.vector(1, 2, 3), Tensor.ones(3), Tensor.zeros(3), 0f);
        assertArrayEquals(new float[] {-1.2247449f, 0f, 1.2247449f}, ln.toArray(), 1e-6f);
        Tensor rms = Norms.rmsNorm(Tensor.vector(3, 4), Tensor.ones(2), 0f);
        assertArrayEquals(new float[] {0.8485281f, 1.1313708f}, rms.toArray(), 1e-6f);
    }

    @Test
    void leadingAxesAreRows() {
        Tensor x = Tensor.randn(12, 4, 3, 8), w = Tensor.randn(13, 8);
        assertArrayEquals(Norms.rmsNorm(x.view(12, 8), w, EPS).toArray(), Norms.rmsNorm(x, w, EPS).toArray());
        assertArrayEquals(Norms.layerNorm(x.view(12, 8), w, w, EPS).toArray(), Norms.layerNorm(x, w, w, EPS).toArray());
    }

    @Test
    void viewsWithAnOffsetAreRead() {
        Tensor big = Tensor.randn(14, 3, 2, 33), w = Tensor.randn(15, 33);
        Tensor row = big.row(2);
        assertArrayEquals(Norms.layerNorm(row.copy(), w, null, EPS).toArray(), Norms.layerNorm(row, w, null, EPS).toArray());
    }

    @Test
    void frozenInputsGetNoGradient() {
        Tensor x = GradCheck.param(16, 5, 7), w = Tensor.randn(17, 7), b = Tensor.randn(18, 7);
        Tensor y = Norms.layerNorm(x, w, b, EPS);
        y.backward(Tensor.ones(5, 7));
        assertNull(w.grad());
        assertNull(b.grad());
        assertTrue(x.grad() != null);
    }

    @Test
    void backwardIsBitIdenticalAcrossReruns() {
        int n = 257, c = 130;
        Tensor x = Tensor.randn(19, n, c), seed = Tensor.randn(20, n, c);
        float[][] first = null;
        for (int rep = 0; rep < 3; rep++) {
            Tensor xi = x.copy().requiresGrad(true), w = GradCheck.param(21, c), b = GradCheck.param(22, c);
            Tensor ln = Norms.layerNorm(xi, w, b, EPS);
            ln.backward(seed);
            Tensor g = GradCheck.param(23, c);
            Norms.rmsNorm(xi, g, EPS).backward(seed);
            float[][] now = {ln.toArray(), xi.grad().toArray(), w.grad().toArray(), b.grad().toArray(), g.grad().toArray()};
            if (first == null) first = now;
            else for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "output " + i + " rerun " + rep);
        }
    }

    @Test
    void badInputsNameTheOpAndShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(Tensor.zeros(2, 4), Tensor.zeros(5), null, EPS));
        assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("[2, 4]") && e.getMessage().contains("[5]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(Tensor.zeros(2, 4), Tensor.zeros(4), Tensor.zeros(3), EPS));
        assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(Tensor.zeros(2, 4), Tensor.zeros(4, 1), EPS));
        assertTrue(e.getMessage().contains("rmsNorm") && e.getMessage().contains("[4, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(Tensor.scalar(1), Tensor.zeros(1), EPS));
        assertTrue(e.getMessage().contains("rmsNorm") && e.getMessage().contains("[]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(Tensor.zeros(2, 4), Tensor.zeros(4), -1e-5f));
        assertTrue(e.getMessage().contains("eps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Norms.layerNorm(Tensor.zeros(2, 4), Tensor.zeros(4), null, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(Tensor.zeros(2, 4), null, EPS));
    }
}
