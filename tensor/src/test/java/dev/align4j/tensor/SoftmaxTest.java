package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.tensor.kernels.SoftmaxKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SoftmaxTest {

    /** Float64 (log-)softmax over the middle axis of (outer, n, inner), the textbook way. */
    static double[] reference(double[] x, int outer, int n, int inner, boolean log) {
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < inner; c++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < n; i++) max = Math.max(max, x[(o * n + i) * inner + c]);
                for (int i = 0; i < n; i++) sum += Math.exp(x[(o * n + i) * inner + c] - max);
                for (int i = 0; i < n; i++) {
                    double z = x[(o * n + i) * inner + c] - max;
                    y[(o * n + i) * inner + c] = log ? z - Math.log(sum) : Math.exp(z) / sum;
                }
            }
        return y;
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 33, 65, 127})
    void lastAxisMatchesFloat64AndFiniteDifferences(int n) {
        for (boolean log : new boolean[] {false, true}) {
            Tensor x = GradCheck.param(n, 3, n);
            GradCheck.check(log ? "logSoftmax" : "softmax",
                    in -> log ? Softmax.logSoftmax(in[0], -1) : Softmax.softmax(in[0], -1),
                    v -> reference(v[0], 3, n, 1, log), x);
        }
    }

    @ParameterizedTest(name = "shape=({0}, {1}, {2}) axis={3}")
    @CsvSource({"7, 33, 1, 0", "1, 7, 33, 1", "33, 7, 1, 0", "2, 65, 3, 1", "2, 3, 7, -2", "5, 4, 3, -3"})
    void anyAxisMatchesFloat64AndFiniteDifferences(int d0, int d1, int d2, int axis) {
        int[] shape = {d0, d1, d2};
        int a = axis < 0 ? axis + 3 : axis;
        int outer = Shapes.outer(shape, a), n = shape[a], inner = Shapes.inner(shape, a);
        for (boolean log : new boolean[] {false, true}) {
            Tensor x = GradCheck.param(11 + a, shape);
            GradCheck.check((log ? "logSoftmax" : "softmax") + " axis " + axis,
                    in -> log ? Softmax.logSoftmax(in[0], axis) : Softmax.softmax(in[0], axis),
                    v -> reference(v[0], outer, n, inner, log), x);
        }
    }

    @Test
    void largeLogitsDoNotOverflowAndMinusInfinityGivesExactZero() {
        float inf = Float.NEGATIVE_INFINITY;
        float[] v = new float[40];
        for (int i = 0; i < v.length; i++) v[i] = 1000f + i * 0.25f;
        v[3] = inf;
        v[37] = inf; // in the scalar tail on 16- and 32-lane machines
        Tensor x = Tensor.of(v, 1, 40);
        double[] expected = reference(GradCheck.toDouble(v), 1, 40, 1, false);
        float[] y = Softmax.softmax(x, -1).toArray();
        GradCheck.compare("softmax of large logits", GradCheck.toDouble(y), expected, 1e-7, 1e-5);
        assertEquals(0f, y[3]);
        assertEquals(0f, y[37]);
        float[] ly = Softmax.logSoftmax(x, 1).toArray();
        assertEquals(inf, ly[3]);
        assertTrue(Float.isFinite(ly[4]) && ly[39] < 0f, "log-softmax stays finite: " + ly[39]);
    }

    @Test
    void resultsAreBitIdenticalOnOneThreadAndOnThePool() {
        assumeTrue(Parallel.threads() > 1, "one core: there is no pooled run to compare the one-thread run with");
        Tensor x = GradCheck.param(5, 300, 257);
        Tensor dy = Tensor.randn(6, 300, 257);
        float[][] pooled = run(x, dy);
        float[][][] inline = new float[1][][];
        Parallel.forEach(2, i -> { // inside a pool task, nested kernels run inline on one thread
            if (i == 0) inline[0] = run(x, dy);
        });
        for (int i = 0; i < pooled.length; i++) assertArrayEquals(pooled[i], inline[0][i], "result " + i);
    }

    private static float[][] run(Tensor x, Tensor dy) {
        x.zeroGrad();
        Tensor y = Softmax.softmax(x, -1);
        y.backward(dy);
        float[] g1 = x.grad().toArray();
        x.zeroGrad();
        Tensor ly = Softmax.logSoftmax(x, -1);
        ly.backward(dy);
        return new float[][] {y.toArray(), g1, ly.toArray(), x.grad().toArray()};
    }

    @Test
    void badAxisNamesTheOpAndTheShape() {
        var e = assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(Tensor.zeros(2, 3), 2));
        assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.logSoftmax(Tensor.zeros(2, 3), -3));
        assertTrue(e.getMessage().contains("logSoftmax") && e.getMessage().contains("-3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(Tensor.scalar(1f), -1));
        assertTrue(e.getMessage().contains("softmax") && e.getMessage().contains("[]"), e.getMessage());
    }
}
