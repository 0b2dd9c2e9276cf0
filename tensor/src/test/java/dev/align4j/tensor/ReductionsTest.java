package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ReductionsTest {

    /** Float64 reference: sum (or mean) of {@code x} of {@code shape} over {@code axis}, as {@code (outer, size, inner)}. */
    static double[] sumReference(double[] x, int[] shape, int axis, boolean mean) {
        int outer = Shapes.outer(shape, axis), size = shape[axis], inner = Shapes.inner(shape, axis);
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < size; k++)
                for (int i = 0; i < inner; i++) out[o * inner + i] += x[(o * size + k) * inner + i];
        if (mean) for (int i = 0; i < out.length; i++) out[i] /= size;
        return out;
    }

    /** Float64 reference for max over {@code axis}: the first maximum, NaN winning. */
    static double[] maxReference(double[] x, int[] shape, int axis) {
        int outer = Shapes.outer(shape, axis), size = shape[axis], inner = Shapes.inner(shape, axis);
        double[] out = new double[outer * inner];
        Arrays.fill(out, Double.NEGATIVE_INFINITY);
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < size; k++)
                for (int i = 0; i < inner; i++) {
                    double v = x[(o * size + k) * inner + i], best = out[o * inner + i];
                    if (v > best || Double.isNaN(v) && !Double.isNaN(best)) out[o * inner + i] = v;
                }
        return out;
    }

    static Stream<Arguments> axisCases() {
        // columns of 17 (a vector plus a tail), rows of 17 and of n (lane-partial sums), a middle axis
        return Arrays.stream(GradCheck.ODD_SIZES).boxed().flatMap(n -> Stream.of(
                Arguments.of(new int[] {n, 17}, 0, true), Arguments.of(new int[] {n, 17}, -1, false),
                Arguments.of(new int[] {17, n}, 1, false), Arguments.of(new int[] {3, n, 2}, 1, true)));
    }

    @ParameterizedTest(name = "{0} axis={1} keepDim={2}")
    @MethodSource("axisCases")
    void sumAndMeanAlongAnAxisMatchFloat64AndFiniteDifferences(int[] shape, int axis, boolean keepDim) {
        int a = axis < 0 ? axis + shape.length : axis;
        GradCheck.check("sum", in -> Reductions.sum(in[0], axis, keepDim),
                x -> sumReference(x[0], shape, a, false), GradCheck.param(shape[a], shape));
        GradCheck.check("mean", in -> Reductions.mean(in[0], axis, keepDim),
                x -> sumReference(x[0], shape, a, true), GradCheck.param(shape[a] + 1, shape));
        assertArrayEquals(Shapes.reduced(shape, a, keepDim), Reductions.sum(Tensor.zeros(shape), axis, keepDim).shape());
    }

    @ParameterizedTest(name = "{0} axis={1} keepDim={2}")
    @MethodSource("axisCases")
    void maxAlongAnAxisMatchesFloat64AndFiniteDifferences(int[] shape, int axis, boolean keepDim) {
        int a = axis < 0 ? axis + shape.length : axis;
        GradCheck.check("max", in -> Reductions.max(in[0], axis, keepDim),
                x -> maxReference(x[0], shape, a), distinct(shape[a], shape));
        assertArrayEquals(Shapes.reduced(shape, a, keepDim), Reductions.max(Tensor.zeros(shape), axis, keepDim).shape());
    }

    /** A trainable tensor of distinct values at least 1e-3 apart, so the maximum is unique and stays put under ±h. */
    static Tensor distinct(long seed, int... shape) {
        int numel = Shapes.numel(shape);
        float[] v = new float[numel];
        for (int i = 0; i < numel; i++) v[i] = (i - numel / 2) * 1e-3f;
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = numel - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, shape).requiresGrad(true);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void sumAndMeanOfAllMatchFloat64AndFiniteDifferences(int n) {
        GradCheck.check("sum", in -> Reductions.sum(in[0]), x -> new double[] {Arrays.stream(x[0]).sum()},
                GradCheck.param(n, 3, n));
        GradCheck.check("mean", in -> Reductions.mean(in[0]), x -> new double[] {Arrays.stream(x[0]).average().orElseThrow()},
                GradCheck.param(n, 3, n));
    }

    static Stream<Integer> oddSizes() {
        return Arrays.stream(GradCheck.ODD_SIZES).boxed();
    }

    @Test
    void maxGivesTheGradientToTheFirstMaximumAndPropagatesNaN() {
        float nan = Float.NaN;
        Tensor x = Tensor.of(new float[] {1, 3, 3, 2, nan, 5, nan, 2, nan}, 3, 3).requiresGrad(true);
        Tensor m = Reductions.max(x, 1, false);
        assertEquals(3f, m.get(0));
        assertTrue(Float.isNaN(m.get(1)) && Float.isNaN(m.get(2)));
        assertArrayEquals(new int[] {1, 1, 0}, Reductions.argmax(x, 1));
        m.backward(Tensor.vector(10f, 20f, 30f));
        assertArrayEquals(new float[] {0, 10, 0, 0, 20, 0, 30, 0, 0}, x.grad().toArray());
        // ties across rows of a column (inner > 1): the first row wins
        Tensor y = Tensor.of(new float[] {4, 1, 4, 7}, 2, 2).requiresGrad(true);
        Reductions.sum(Reductions.max(y, 0, true)).backward();
        assertArrayEquals(new float[] {1, 0, 0, 1}, y.grad().toArray());
        assertArrayEquals(new int[] {0, 1}, Reductions.argmax(y, 0));
    }

    @Test
    void backwardAccumulatesIntoExistingGradients() {
        // f(x) + f(x) must give twice the gradient of f(x): each backward adds, none overwrites
        Tensor x = distinct(1, 5, 33);
        Tensor g = Tensor.randn(2, 5);
        Reductions.sum(x, 1, false).backward(g);
        Reductions.mean(x, 1, false).backward(g);
        Reductions.max(x, 1, false).backward(g);
        float[] once = x.grad().toArray();
        x.zeroGrad();
        for (int rep = 0; rep < 2; rep++) {
            Tensor twice = Elementwise.add(Elementwise.add(Reductions.sum(x, 1, false), Reductions.mean(x, 1, false)),
                    Reductions.max(x, 1, false));
            twice.backward(g);
        }
        float[] two = x.grad().toArray();
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], two[i], 1e-5f, "element " + i);
    }

    @Test
    void argmaxMatchesAReferenceOnRandomTies() {
        int[] shape = {4, 9, 5};
        Tensor x = Tensor.zeros(shape);
        SplittableRandom rng = new SplittableRandom(3);
        float[] v = x.storage();
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(4); // many ties
        for (int axis = 0; axis < 3; axis++) {
            int[] arg = Reductions.argmax(x, axis);
            int[] outShape = Shapes.reduced(shape, axis, false);
            assertEquals(Shapes.numel(outShape), arg.length);
            int outer = Shapes.outer(shape, axis), inner = Shapes.inner(shape, axis);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    int best = 0;
                    for (int k = 1; k < shape[axis]; k++) {
                        if (v[(o * shape[axis] + k) * inner + i] > v[(o * shape[axis] + best) * inner + i]) best = k;
                    }
                    assertEquals(best, arg[o * inner + i], "axis " + axis + " at " + o + "," + i);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sum", "mean", "max", "argmax"})
    void axisOutOfRangeNamesTheOpAndShape(String op) {
        Tensor x = Tensor.zeros(2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> {
            switch (op) {
                case "sum" -> Reductions.sum(x, 2, false);
                case "mean" -> Reductions.mean(x, -3, false);
                case "max" -> Reductions.max(x, 5, true);
                default -> Reductions.argmax(x, 2);
            }
        });
        assertTrue(e.getMessage().startsWith(op + ":") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void maxOfAnEmptyAxisIsAnErrorAndEmptySumsAreZero() {
        var e = assertThrows(IllegalArgumentException.class, () -> Reductions.max(Tensor.zeros(3, 0), 1, false));
        assertTrue(e.getMessage().contains("max") && e.getMessage().contains("[3, 0]"), e.getMessage());
        assertArrayEquals(new float[3], Reductions.sum(Tensor.zeros(3, 0), 1, false).toArray());
        assertTrue(Float.isNaN(Reductions.mean(Tensor.zeros(0)).item()));
    }

    @Test
    void largeReductionsMatchFloat64AndRepeatBitForBit() {
        // rows long enough for the lane-partial sums, and enough of them for several parallel chunks
        int[][] shapes = {{64, 4099}, {4099, 65}};
        for (int[] shape : shapes) {
            Tensor x = Tensor.randn(17, shape);
            double[] xd = GradCheck.toDouble(x.toArray());
            for (int axis = 0; axis < 2; axis++) {
                float[] got = Reductions.sum(x, axis, false).toArray();
                double[] ref = sumReference(xd, shape, axis, false);
                GradCheck.compare("sum " + Arrays.toString(shape) + " axis " + axis, GradCheck.toDouble(got), ref, 1e-3, 1e-5);
                assertArrayEquals(got, Reductions.sum(x, axis, false).toArray(), "bit-identical on a second run");
                float[] max = Reductions.max(x, axis, false).toArray();
                GradCheck.compare("max", GradCheck.toDouble(max), maxReference(xd, shape, axis), 0, 0);
            }
        }
    }
}
