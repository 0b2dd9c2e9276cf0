package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinalgTest {

    /** Past {@link Linalg#TILE} rows or columns a product runs in tiles: bit-identical to one Gemm call. */
    @ParameterizedTest(name = "m={0} n={1} transA={2} transB={3} accumulate={4}")
    @CsvSource({"3,16389,false,false,false", "3,16389,true,true,true", "16387,2,false,true,true", "16387,2,true,false,false"})
    void tiledProductsEqualOneGemmCallBitForBit(int m, int n, boolean ta, boolean tb, boolean acc) {
        int k = 5;
        float[] a = Tensor.randn(1, m * k).toArray(), b = Tensor.randn(2, n * k).toArray(), c0 = Tensor.randn(3, m * n).toArray();
        float[] expected = c0.clone(), actual = c0.clone();
        dev.align4j.tensor.kernels.Gemm.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, expected, 0, n, acc);
        Linalg.tiled(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, actual, 0, n, acc);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
    }

    /** Float64 reference for op(A)·op(B), one batch at a time. */
    static double[] reference(double[] a, double[] b, int batch, int m, int n, int k, boolean ta, boolean tb) {
        double[] c = new double[batch * m * n];
        for (int z = 0; z < batch; z++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double x = ta ? a[z * m * k + p * m + i] : a[z * m * k + i * k + p];
                        double y = tb ? b[z * k * n + j * k + p] : b[z * k * n + p * n + j];
                        s += x * y;
                    }
                    c[z * m * n + i * n + j] = s;
                }
        return c;
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({
            "1,1,1,false,false", "7,33,65,false,false", "7,33,65,false,true", "7,33,65,true,false", "7,33,65,true,true",
            "33,7,127,false,true", "65,1,7,true,false", "127,7,33,false,false", "17,18,19,true,true"})
    void matmulMatchesFloat64AndFiniteDifferences(int m, int n, int k, boolean ta, boolean tb) {
        Tensor a = GradCheck.param(1, ta ? new int[] {k, m} : new int[] {m, k});
        Tensor b = GradCheck.param(2, tb ? new int[] {n, k} : new int[] {k, n});
        GradCheck.check("matmul", in -> Linalg.matmul(in[0], in[1], ta, tb),
                x -> reference(x[0], x[1], 1, m, n, k, ta, tb), a, b);
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void batchedMatmulMatchesFloat64AndFiniteDifferences(boolean ta, boolean tb) {
        int batch = 3, m = 5, n = 7, k = 9;
        Tensor a = GradCheck.param(3, ta ? new int[] {batch, k, m} : new int[] {batch, m, k});
        Tensor b = GradCheck.param(4, tb ? new int[] {batch, n, k} : new int[] {batch, k, n});
        GradCheck.check("bmm", in -> Linalg.matmul(in[0], in[1], ta, tb),
                x -> reference(x[0], x[1], batch, m, n, k, ta, tb), a, b);
    }

    @ParameterizedTest(name = "n={0} in={1} out={2}")
    @CsvSource({"1,1,1", "7,33,65", "65,7,33", "33,127,7"})
    void linearWithBiasMatchesFloat64AndFiniteDifferences(int n, int in, int out) {
        Tensor x = GradCheck.param(5, n, in), w = GradCheck.param(6, out, in), b = GradCheck.param(7, out);
        GradCheck.check("linear", t -> Linalg.linear(t[0], t[1], t[2]), v -> {
            double[] y = reference(v[0], v[1], 1, n, out, in, false, true);
            for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y[i * out + j] += v[2][j];
            return y;
        }, x, w, b);
    }

    /**
     * The bias added and its gradient summed over the pool (300 rows, 1003 columns: vector tails,
     * several chunks) round exactly as plain loops: {@code y[i, j] = (x·W)[i, j] + b[j]}, and
     * {@code b.grad[j] += g[0, j]}, then {@code += g[1, j]}, … one row at a time into what was there.
     */
    @Test
    void biasOverThePoolRoundsAsThePlainLoops() {
        int n = 300, in = 3, out = 1003;
        Tensor x = GradCheck.param(11, n, in), w = GradCheck.param(12, in, out), b = GradCheck.param(13, out);
        float[] prior = Tensor.randn(14, out).toArray(), g = Tensor.randn(15, n, out).toArray();
        System.arraycopy(prior, 0, b.gradBuffer(), 0, out);
        Tensor y = Linalg.conv1d(x, w, b);
        float[] product = Linalg.matmul(x, w, false, false).toArray(), bias = b.toArray(), expected = new float[n * out];
        for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) expected[i * out + j] = product[i * out + j] + bias[j];
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, y.toArray());
        y.backward(Tensor.of(g, n, out));
        float[] gradient = prior.clone();
        for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) gradient[j] += g[i * out + j];
        org.junit.jupiter.api.Assertions.assertArrayEquals(gradient, b.gradOrNull());
    }

    @ParameterizedTest(name = "n={0} in={1} out={2}")
    @CsvSource({"1,1,1", "7,33,65", "33,7,127"})
    void conv1dWithBiasMatchesFloat64AndFiniteDifferences(int n, int in, int out) {
        Tensor x = GradCheck.param(8, n, in), w = GradCheck.param(9, in, out), b = GradCheck.param(10, out);
        GradCheck.check("conv1d", t -> Linalg.conv1d(t[0], t[1], t[2]), v -> {
            double[] y = reference(v[0], v[1], 1, n, out, in, false, false);
            for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y[i * out + j] += v[2][j];
            return y;
        }, x, w, b);
    }

    @Test
    void linearRejectsAMismatchedBias() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Linalg.linear(Tensor.zeros(2, 3), Tensor.zeros(4, 3), Tensor.zeros(5)));
        assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("[5]"), e.getMessage());
    }

    @Test
    void innerSizeMismatchNamesTheOpAndShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Linalg.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5)));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"),
                e.getMessage());
    }
}
