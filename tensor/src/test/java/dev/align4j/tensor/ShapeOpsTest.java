package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class ShapeOpsTest {

    static IntStream oddSizes() {
        return Arrays.stream(GradCheck.ODD_SIZES);
    }

    /**
     * Float64 reference for any op that reads one input element per output element: for each
     * output multi-index (row-major over {@code outShape}), {@code source} names the input
     * multi-index. The index map is built once; the returned function applies it to values.
     */
    static UnaryOperator<double[]> remap(int[] xShape, int[] outShape, UnaryOperator<int[]> source) {
        int[] map = new int[Shapes.numel(outShape)];
        int[] idx = new int[outShape.length];
        for (int flat = 0; flat < map.length; flat++) {
            int r = flat;
            for (int a = outShape.length - 1; a >= 0; a--) {
                idx[a] = r % outShape[a];
                r /= outShape[a];
            }
            int[] src = source.apply(idx.clone());
            for (int a = 0; a < xShape.length; a++) map[flat] = map[flat] * xShape[a] + src[a];
        }
        return x -> Arrays.stream(map).mapToDouble(i -> x[i]).toArray();
    }

    /** {@link #remap} as the reference of a one-input op. */
    static GradCheck.Reference remapped(int[] xShape, int[] outShape, UnaryOperator<int[]> source) {
        UnaryOperator<double[]> f = remap(xShape, outShape, source);
        return x -> f.apply(x[0]);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void transposeAndPermuteMatchFloat64AndFiniteDifferences(int n) {
        GradCheck.check("transpose", in -> ShapeOps.transpose(in[0], 0, 1),
                remapped(new int[] {n, 7}, new int[] {7, n}, i -> new int[] {i[1], i[0]}), GradCheck.param(n, n, 7));
        int[] shape = {2, n, 3};
        GradCheck.check("transpose(0, -1)", in -> ShapeOps.transpose(in[0], 0, -1),
                remapped(shape, new int[] {3, n, 2}, i -> new int[] {i[2], i[1], i[0]}), GradCheck.param(n, shape));
        GradCheck.check("permute(2, 0, 1)", in -> ShapeOps.permute(in[0], 2, 0, 1),
                remapped(shape, new int[] {3, 2, n}, i -> new int[] {i[1], i[2], i[0]}), GradCheck.param(n, shape));
        GradCheck.check("permute(1, 0, 2)", in -> ShapeOps.permute(in[0], 1, 0, 2),
                remapped(shape, new int[] {n, 2, 3}, i -> new int[] {i[1], i[0], i[2]}), GradCheck.param(n, shape));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void concatMatchesFloat64AndFiniteDifferences(int n) {
        // along the middle axis: (2, n, 3) + (2, 1, 3) + (2, 5, 3) → (2, n + 6, 3)
        GradCheck.check("concat axis 1", in -> ShapeOps.concat(List.of(in[0], in[1], in[2]), 1), x -> {
            double[] out = new double[2 * (n + 6) * 3];
            int at = 0;
            for (int b = 0; b < 2; b++) {
                for (int p = 0; p < 3; p++) {
                    int len = new int[] {n, 1, 5}[p] * 3;
                    System.arraycopy(x[p], b * len, out, at, len);
                    at += len;
                }
            }
            return out;
        }, GradCheck.param(1, 2, n, 3), GradCheck.param(2, 2, 1, 3), GradCheck.param(3, 2, 5, 3));
        // along the first and the last axis, with a frozen part in the middle
        Tensor frozen = Tensor.randn(4, 7, 4);
        GradCheck.check("concat axis 0", in -> ShapeOps.concat(List.of(in[0], in[1], in[0]), 0),
                x -> concat3(x[0], x[1], x[0]), GradCheck.param(5, n, 4), frozen);
        UnaryOperator<double[]> lastAxis = remap(new int[] {3 * n + 3 * 2}, new int[] {3, n + 2},
                i -> new int[] {i[1] < n ? i[0] * n + i[1] : 3 * n + i[0] * 2 + i[1] - n});
        GradCheck.check("concat axis -1", in -> ShapeOps.concat(List.of(in[0], in[1]), -1),
                x -> lastAxis.apply(concat3(x[0], x[1], new double[0])), GradCheck.param(6, 3, n), GradCheck.param(7, 3, 2));
    }

    private static double[] concat3(double[] a, double[] b, double[] c) {
        double[] out = new double[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void sliceMatchesFloat64AndFiniteDifferences(int n) {
        int[] shape = {3, n, 5};
        int from = n / 3, to = n;
        GradCheck.check("slice axis 1", in -> ShapeOps.slice(in[0], 1, from, to),
                remapped(shape, new int[] {3, to - from, 5}, i -> new int[] {i[0], i[1] + from, i[2]}),
                GradCheck.param(n, shape));
        GradCheck.check("slice axis 0", in -> ShapeOps.slice(in[0], 0, 1, 3),
                remapped(shape, new int[] {2, n, 5}, i -> new int[] {i[0] + 1, i[1], i[2]}), GradCheck.param(n, shape));
        GradCheck.check("slice axis -1", in -> ShapeOps.slice(in[0], -1, 2, 4),
                remapped(shape, new int[] {3, n, 2}, i -> new int[] {i[0], i[1], i[2] + 2}), GradCheck.param(n, shape));
        // two overlapping slices of one tensor: their gradients add where they overlap
        GradCheck.check("slice + slice", in -> Elementwise.add(ShapeOps.slice(in[0], 0, 0, 2), ShapeOps.slice(in[0], 0, 1, 3)),
                x -> {
                    double[] out = new double[2 * n * 5];
                    for (int i = 0; i < out.length; i++) out[i] = x[0][i] + x[0][i + n * 5];
                    return out;
                }, GradCheck.param(n, shape));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void indexSelectMatchesFloat64AndFiniteDifferences(int n) {
        int[] rows = {n - 1, 0, n / 2, 0, n - 1}; // repeats: their gradients add
        GradCheck.check("indexSelect axis 0", in -> ShapeOps.indexSelect(in[0], 0, rows),
                remapped(new int[] {n, 5}, new int[] {rows.length, 5}, i -> new int[] {rows[i[0]], i[1]}),
                GradCheck.param(n, n, 5));
        GradCheck.check("indexSelect axis -1", in -> ShapeOps.indexSelect(in[0], -1, rows),
                remapped(new int[] {3, n}, new int[] {3, rows.length}, i -> new int[] {i[0], rows[i[1]]}),
                GradCheck.param(n, 3, n));
        GradCheck.check("indexSelect none", in -> ShapeOps.indexSelect(in[0], 1), x -> new double[0], GradCheck.param(n, 3, n));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void expandMatchesFloat64AndFiniteDifferences(int n) {
        GradCheck.check("expand (n) → (3, n)", in -> ShapeOps.expand(in[0], 3, n),
                remapped(new int[] {n}, new int[] {3, n}, i -> new int[] {i[1]}), GradCheck.param(n, n));
        GradCheck.check("expand (n, 1) → (2, n, 4)", in -> ShapeOps.expand(in[0], 2, n, 4),
                remapped(new int[] {n, 1}, new int[] {2, n, 4}, i -> new int[] {i[1], 0}), GradCheck.param(n, n, 1));
        GradCheck.check("expand (1, n, 1) → (3, n, 5)", in -> ShapeOps.expand(in[0], 3, n, 5),
                remapped(new int[] {1, n, 1}, new int[] {3, n, 5}, i -> new int[] {0, i[1], 0}), GradCheck.param(n, 1, n, 1));
        GradCheck.check("expand scalar → (n)", in -> ShapeOps.expand(in[0], n),
                remapped(new int[0], new int[] {n}, i -> new int[0]), GradCheck.param(n));
        GradCheck.check("expand (2, n) → (2, n)", in -> ShapeOps.expand(in[0], 2, n),
                x -> x[0].clone(), GradCheck.param(n, 2, n));
    }

    @Test
    void backwardAccumulatesIntoExistingGradients() {
        // each op used twice on the same input: the second backward must add to the first
        Tensor x = GradCheck.param(1, 4, 6);
        List<UnaryOperator<Tensor>> ops = List.of(t -> ShapeOps.transpose(t, 0, 1), t -> ShapeOps.permute(t, 1, 0),
                t -> ShapeOps.slice(t, 1, 1, 5), t -> ShapeOps.indexSelect(t, 1, 5, 0, 5),
                t -> ShapeOps.expand(t, 3, 4, 6), t -> ShapeOps.concat(List.of(t, t), 0), t -> ShapeOps.reshape(t, 24));
        for (UnaryOperator<Tensor> op : ops) {
            x.zeroGrad();
            Tensor y = op.apply(x);
            Tensor g = Tensor.randn(2, y.shape());
            y.backward(g);
            float[] once = x.grad().toArray();
            x.zeroGrad();
            Elementwise.add(op.apply(x), op.apply(x)).backward(g);
            float[] twice = x.grad().toArray();
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-5f, "element " + i);
        }
    }

    @Test
    void reshapeIsAViewThatPassesGradients() {
        Tensor x = GradCheck.param(1, 2, 6);
        Tensor r = ShapeOps.reshape(x, 3, -1);
        assertArrayEquals(new int[] {3, 4}, r.shape());
        assertSame(x.storage(), r.storage());
        GradCheck.check("reshape", in -> ShapeOps.reshape(in[0], 4, 3), x0 -> x0[0].clone(), x);
    }

    @Test
    void largeTransposeAndExpandMatchTheReferenceAcrossParallelChunks() {
        int m = 515, n = 1031;
        Tensor x = Tensor.randn(9, m, n);
        float[] v = x.toArray(), t = ShapeOps.transpose(x, 0, 1).toArray();
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) assertEquals(v[i * n + j], t[j * m + i]);
        Tensor b = GradCheck.param(10, n);
        Tensor e = ShapeOps.expand(b, m, n);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) assertEquals(b.get(j), e.get(i, j));
        e.backward(x);
        double[] colSums = new double[n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) colSums[j] += v[i * n + j];
        GradCheck.compare("expand backward", GradCheck.toDouble(b.grad().toArray()), colSums, 1e-4, 1e-5);
    }

    // ---------------------------------------------------------------- bad input

    private static void assertRejected(Executable call, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
    }

    @Test
    void badAxesAndPermutationsNameTheOpAndShape() {
        Tensor x = Tensor.zeros(2, 3, 4);
        assertRejected(() -> ShapeOps.transpose(x, 0, 3), "transpose", "axis 3", "[2, 3, 4]");
        assertRejected(() -> ShapeOps.permute(x, 0, 1), "permute", "[0, 1]", "[2, 3, 4]");
        assertRejected(() -> ShapeOps.permute(x, 0, 1, -2), "permute", "repeats", "[2, 3, 4]");
        assertRejected(() -> ShapeOps.slice(x, -4, 0, 1), "slice", "axis -4", "[2, 3, 4]");
        assertRejected(() -> ShapeOps.indexSelect(x, 3, 0), "indexSelect", "axis 3", "[2, 3, 4]");
        assertRejected(() -> ShapeOps.reshape(x, 5, -1), "view", "[2, 3, 4]");
    }

    @Test
    void badConcatSliceIndicesAndExpandsNameTheOpAndShapes() {
        assertRejected(() -> ShapeOps.concat(List.of(Tensor.zeros(2, 3), Tensor.zeros(3, 3)), 1), "concat", "[2, 3]", "[3, 3]");
        assertRejected(() -> ShapeOps.concat(List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 3, 1)), 0), "concat", "[2, 3, 1]");
        assertRejected(() -> ShapeOps.concat(List.of(), 0), "concat");
        assertRejected(() -> ShapeOps.slice(Tensor.zeros(2, 3), 1, 2, 4), "slice", "[2, 4)", "size 3", "[2, 3]");
        assertRejected(() -> ShapeOps.slice(Tensor.zeros(2, 3), 1, 2, 1), "slice", "[2, 1)");
        assertRejected(() -> ShapeOps.indexSelect(Tensor.zeros(2, 3), 1, 0, 3), "indexSelect", "index 3", "size 3", "[2, 3]");
        assertRejected(() -> ShapeOps.indexSelect(Tensor.zeros(2, 3), 0, -1), "indexSelect", "index -1", "size 2");
        assertRejected(() -> ShapeOps.expand(Tensor.zeros(2, 3), 2, 4), "expand", "[2, 3]", "[2, 4]");
        assertRejected(() -> ShapeOps.expand(Tensor.zeros(2, 3), 3), "expand", "[2, 3]", "[3]");
        assertRejected(() -> ShapeOps.expand(Tensor.zeros(3), 2, -1), "expand", "negative size", "[2, -1]", "[3]");
    }
}
