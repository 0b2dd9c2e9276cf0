package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ElementwiseTest {

    static final double GELU_C = Math.sqrt(2 / Math.PI);

    /** A unary op, its float64 reference, the input range, and kinks that inputs keep 0.01 away from. */
    enum Unary {
        EXP(Elementwise::exp, Math::exp, -4, 4),
        LOG(Elementwise::log, Math::log, 0.1, 5),
        SQRT(Elementwise::sqrt, Math::sqrt, 0.1, 5),
        SIGMOID(Elementwise::sigmoid, x -> 1 / (1 + Math.exp(-x)), -8, 8),
        LOG_SIGMOID(Elementwise::logSigmoid, x -> -Math.log1p(Math.exp(-x)), -30, 30),
        SOFTPLUS(Elementwise::softplus, x -> x > 20 ? x : Math.log1p(Math.exp(x)), -30, 30, 20),
        TANH(Elementwise::tanh, Math::tanh, -4, 4),
        RELU(Elementwise::relu, x -> Math.max(x, 0), -3, 3, 0),
        GELU(Elementwise::gelu, x -> 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x))), -5, 5),
        SILU(Elementwise::silu, x -> x / (1 + Math.exp(-x)), -8, 8),
        NEG(Elementwise::neg, x -> -x, -3, 3),
        ADD_SCALAR(x -> Elementwise.addScalar(x, 1.5f), x -> x + 1.5, -3, 3),
        MUL_SCALAR(x -> Elementwise.mulScalar(x, -2.5f), x -> x * -2.5, -3, 3),
        POW_2(x -> Elementwise.pow(x, 2f), x -> x * x, -3, 3),
        POW_3(x -> Elementwise.pow(x, 3f), x -> x * x * x, -2, 2),
        POW_HALF(x -> Elementwise.pow(x, 0.5f), Math::sqrt, 0.2, 3),
        POW_MINUS_1_5(x -> Elementwise.pow(x, -1.5f), x -> Math.pow(x, -1.5), 0.5, 3),
        CLAMP(x -> Elementwise.clamp(x, -0.5f, 0.75f), x -> Math.min(Math.max(x, -0.5), 0.75), -2, 2, -0.5, 0.75);

        final UnaryOperator<Tensor> op;
        final DoubleUnaryOperator reference;
        final double lo, hi;
        final double[] kinks;

        Unary(UnaryOperator<Tensor> op, DoubleUnaryOperator reference, double lo, double hi, double... kinks) {
            this.op = op;
            this.reference = reference;
            this.lo = lo;
            this.hi = hi;
            this.kinks = kinks;
        }

        /** Seeded inputs in [lo, hi], at least 0.01 from every kink, so central differences stay on one side. */
        Tensor input(long seed, int... shape) {
            Tensor t = Tensor.uniform(seed, (float) lo, (float) hi, shape);
            float[] v = t.storage();
            for (int i = 0; i < v.length; i++) {
                for (double k : kinks) {
                    if (Math.abs(v[i] - k) < 0.01) v[i] = (float) (v[i] >= k ? k + 0.01 : k - 0.01);
                }
            }
            return t.requiresGrad(true);
        }

        /** 1 where the formula subtracts nearly equal terms (gelu's 1 + tanh for x ≪ 0), so error scales with |x|. */
        double cancellation() {
            return this == GELU ? 1 : 0;
        }

        double[] apply(double[] x) {
            return Arrays.stream(x).map(reference).toArray();
        }
    }

    static IntStream oddSizes() {
        return Arrays.stream(GradCheck.ODD_SIZES);
    }

    static Stream<Arguments> unaryCases() {
        return Arrays.stream(Unary.values())
                .flatMap(u -> Arrays.stream(GradCheck.ODD_SIZES).mapToObj(n -> Arguments.of(u, n)));
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("unaryCases")
    void unaryOpsMatchFloat64AndFiniteDifferences(Unary u, int n) {
        GradCheck.check(u.name(), in -> u.op.apply(in[0]), x -> u.apply(x[0]), u.input(n, n));
        GradCheck.check(u.name() + " (3, n) view", in -> u.op.apply(in[0].row(1)),
                x -> u.apply(Arrays.copyOfRange(x[0], n, 2 * n)), u.input(100 + n, 3, n));
    }

    /** A binary op and its float64 reference. */
    enum Binary {
        ADD(Elementwise::add, Double::sum),
        SUB(Elementwise::sub, (a, b) -> a - b),
        MUL(Elementwise::mul, (a, b) -> a * b),
        DIV(Elementwise::div, (a, b) -> a / b);

        final BinaryOperator<Tensor> op;
        final DoubleBinaryOperator reference;

        Binary(BinaryOperator<Tensor> op, DoubleBinaryOperator reference) {
            this.op = op;
            this.reference = reference;
        }

        double[] apply(double[] a, double[] b) {
            return IntStream.range(0, a.length).mapToDouble(i -> reference.applyAsDouble(a[i], b[i])).toArray();
        }
    }

    static Stream<Arguments> binaryCases() {
        return Arrays.stream(Binary.values())
                .flatMap(b -> Arrays.stream(GradCheck.ODD_SIZES).mapToObj(n -> Arguments.of(b, n)));
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("binaryCases")
    void binaryOpsMatchFloat64AndFiniteDifferences(Binary op, int n) {
        Tensor a = GradCheck.param(n, 2, n);
        Tensor b = Tensor.uniform(n + 1, 0.5f, 2f, 2, n).requiresGrad(true); // away from 0 for div
        GradCheck.check(op.name(), in -> op.op.apply(in[0], in[1]), x -> op.apply(x[0], x[1]), a, b);
        // the same tensor on both sides gets both contributions
        Tensor c = Tensor.uniform(n + 2, 0.5f, 2f, n).requiresGrad(true);
        GradCheck.check(op.name() + "(x, x)", in -> op.op.apply(in[0], in[0]), x -> op.apply(x[0], x[0]), c);
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "sub", "mul", "div", "where"})
    void binaryOpsRejectDifferentShapesNamingOpAndShapes(String name) {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(3, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> {
            switch (name) {
                case "add" -> Elementwise.add(a, b);
                case "sub" -> Elementwise.sub(a, b);
                case "mul" -> Elementwise.mul(a, b);
                case "div" -> Elementwise.div(a, b);
                default -> Elementwise.where(Mask.of(i -> true, 2, 3), a, b);
            }
        });
        assertTrue(e.getMessage().startsWith(name) && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]")
                && e.getMessage().contains("ShapeOps.expand"), e.getMessage());
    }

    @Test
    void maskShapeMustMatch() {
        Mask m = Mask.of(i -> true, 6);
        var e = assertThrows(IllegalArgumentException.class, () -> Elementwise.maskedFill(Tensor.zeros(2, 3), m, 0f));
        assertTrue(e.getMessage().contains("maskedFill") && e.getMessage().contains("[6]") && e.getMessage().contains("[2, 3]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Elementwise.where(m, Tensor.zeros(2, 3), Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("where") && e.getMessage().contains("[6]"), e.getMessage());
    }

    @Test
    void clampRejectsInvertedBounds() {
        var e = assertThrows(IllegalArgumentException.class, () -> Elementwise.clamp(Tensor.zeros(4), 1f, -1f));
        assertTrue(e.getMessage().contains("clamp") && e.getMessage().contains("[4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Elementwise.clamp(Tensor.zeros(4), Float.NaN, 1f));
    }

    @ParameterizedTest
    @MethodSource("accumulationCases")
    void backwardAccumulatesIntoExistingGradients(Unary u) {
        // f(x) + f(x) must give twice the gradient of f(x): each backward adds, none overwrites
        Tensor x = u.input(1, 37);
        Tensor g = Tensor.randn(2, 37);
        u.op.apply(x).backward(g);
        float[] once = x.grad().toArray();
        x.zeroGrad();
        Elementwise.add(u.op.apply(x), u.op.apply(x)).backward(g);
        float[] twice = x.grad().toArray();
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-5f * Math.abs(once[i]) + 1e-6f);
    }

    static Stream<Unary> accumulationCases() {
        return Arrays.stream(Unary.values());
    }

    @Test
    void gradientsAtTheKinksFollowPyTorch() {
        // relu'(0) = 0; clamp passes the gradient at both bounds (inclusive) and stops it outside
        Tensor x = Tensor.vector(-1f, 0f, 2f).requiresGrad(true);
        Reductions.sum(Elementwise.relu(x)).backward();
        assertArrayEquals(new float[] {0, 0, 1}, x.grad().toArray());

        Tensor y = Tensor.vector(-2f, -1f, 0f, 1f, 2f).requiresGrad(true);
        Tensor c = Elementwise.clamp(y, -1f, 1f);
        assertArrayEquals(new float[] {-1, -1, 0, 1, 1}, c.toArray());
        Reductions.sum(c).backward();
        assertArrayEquals(new float[] {0, 1, 1, 1, 0}, y.grad().toArray());

        Tensor z = Tensor.vector(-2f, 0f, 3f).requiresGrad(true);
        Reductions.sum(Elementwise.pow(z, 0f)).backward();
        assertArrayEquals(new float[] {0, 0, 0}, z.grad().toArray());
    }

    @Test
    void logSigmoidSoftplusAndSigmoidStayFiniteAtExtremes() {
        float[] v = {-1e4f, -100f, -20.5f, 0f, 20.5f, 100f, 1e4f};
        Tensor x = Tensor.vector(v).requiresGrad(true);
        Tensor ls = Elementwise.logSigmoid(x), sp = Elementwise.softplus(x), sg = Elementwise.sigmoid(x);
        for (int i = 0; i < v.length; i++) {
            double ref = v[i] < 0 ? v[i] - Math.log1p(Math.exp(v[i])) : -Math.log1p(Math.exp(-v[i]));
            assertEquals(ref, ls.get(i), 1e-6 * Math.max(1, Math.abs(ref)), "logSigmoid(" + v[i] + ")");
            double spRef = v[i] > 20 ? v[i] : Math.log1p(Math.exp(v[i]));
            assertEquals(spRef, sp.get(i), 1e-6 * Math.max(1, Math.abs(spRef)), "softplus(" + v[i] + ")");
            assertEquals(1 / (1 + Math.exp(-v[i])), sg.get(i), 1e-7, "sigmoid(" + v[i] + ")");
        }
        Reductions.sum(Elementwise.add(Elementwise.add(ls, sp), sg)).backward();
        for (float g : x.grad().toArray()) assertTrue(Float.isFinite(g), Arrays.toString(x.grad().toArray()));
        // d/dx (logσ(x) + softplus(x) + σ(x)) = σ(−x) + σ(x) + σ'(x) = 1 + σ'(x)
        assertEquals(1.25f, x.grad().get(3), 1e-6f);
        assertEquals(1f, x.grad().get(0), 0f);
        assertEquals(1f, x.grad().get(6), 0f);
    }

    @Test
    void softplusIsExactlyLinearAboveTwentyAsPyTorchThresholds() {
        float[] v = {20.001f, 20.5f, 25f, 50f, 88f, 100f, 1e4f, 1e30f, Float.POSITIVE_INFINITY};
        Tensor x = Tensor.vector(v).requiresGrad(true);
        Tensor y = Elementwise.softplus(x);
        assertArrayEquals(v, y.toArray());
        Reductions.sum(y).backward();
        float[] ones = new float[v.length];
        Arrays.fill(ones, 1f);
        assertArrayEquals(ones, x.grad().toArray());
    }

    /** Transcendental kernels (vector lanes and scalar tail) against float64 on a dense grid. */
    @ParameterizedTest
    @ValueSource(strings = {"EXP", "LOG", "SQRT", "SIGMOID", "LOG_SIGMOID", "SOFTPLUS", "TANH", "GELU", "SILU", "POW_MINUS_1_5"})
    void transcendentalsAreAccurateToAFewUlps(String name) {
        Unary u = Unary.valueOf(name);
        int n = 20_001; // odd: exercises the scalar tail
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (u.lo + (u.hi - u.lo) * i / (n - 1));
        float[] out = u.op.apply(Tensor.of(v, n)).toArray();
        double worst = 0;
        int at = 0;
        for (int i = 0; i < n; i++) {
            double ref = u.reference.applyAsDouble(v[i]);
            // ulps of the result, plus, where the formula subtracts nearly equal terms (gelu's 1 + tanh,
            // silu's and log-sigmoid's tails), the rounding of its inputs: ulp(1)·|x|
            double scale = Math.ulp((float) ref) + Math.ulp(1f) * Math.abs(v[i]) * u.cancellation();
            double err = Math.abs(out[i] - ref) / scale;
            if (err > worst) {
                worst = err;
                at = i;
            }
        }
        assertTrue(worst <= 4, name + ": " + worst + " ulps at x = " + v[at] + " (" + out[at] + " vs "
                + u.reference.applyAsDouble(v[at]) + ")");
    }

    @Test
    void expLogAndTanhHandleTheWholeFloatRange() {
        float inf = Float.POSITIVE_INFINITY, nan = Float.NaN;
        float[] ex = {-inf, -200f, -104.5f, -100f, -87.5f, -1e-7f, 0f, 1e-7f, 88f, 88.7f, 88.8f, 200f, inf, nan};
        assertWithinUlps("exp", ex, Elementwise.exp(Tensor.vector(ex)).toArray(), Math::exp);
        float[] lx = {0f, -0f, -1f, Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1e-30f, 0.70710677f, 1f, 1.0000001f, 3e38f,
                Float.MAX_VALUE, inf, nan, -inf};
        assertWithinUlps("log", lx, Elementwise.log(Tensor.vector(lx)).toArray(), Math::log);
        float[] tx = {-inf, -50f, -9f, -0.626f, -0.624f, -1e-6f, -0f, 0f, 1e-30f, 0.3f, 0.625f, 5f, 50f, inf, nan};
        assertWithinUlps("tanh", tx, Elementwise.tanh(Tensor.vector(tx)).toArray(), Math::tanh);
        // dense grids over the full finite ranges
        int n = 4001;
        float[] eg = new float[n], lg = new float[n];
        for (int i = 0; i < n; i++) {
            eg[i] = -103f + 191.7f * i / (n - 1);
            lg[i] = (float) Math.pow(10, -44 + 82.5 * i / (n - 1)); // subnormals up to 3e38
        }
        assertWithinUlps("exp grid", eg, Elementwise.exp(Tensor.vector(eg)).toArray(), Math::exp);
        assertWithinUlps("log grid", lg, Elementwise.log(Tensor.vector(lg)).toArray(), Math::log);
    }

    private static void assertWithinUlps(String what, float[] x, float[] actual, DoubleUnaryOperator reference) {
        for (int i = 0; i < x.length; i++) {
            float expected = (float) reference.applyAsDouble(x[i]);
            boolean ok = Float.isNaN(expected) ? Float.isNaN(actual[i])
                    : Float.isInfinite(expected) || expected == 0f ? actual[i] == expected
                    : Math.abs(actual[i] - reference.applyAsDouble(x[i])) <= 4 * Math.ulp(expected);
            assertTrue(ok, what + "(" + x[i] + ") = " + actual[i] + ", expected " + reference.applyAsDouble(x[i]));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"EXP", "LOG", "TANH", "GELU", "SOFTPLUS", "LOG_SIGMOID", "SILU"})
    void aValueGivesTheSameBitsInTheVectorBodyAndTheTail(String name) {
        Unary u = Unary.valueOf(name);
        int n = 16 * 64 + 15; // a partial vector at the end on any vector length up to 64 lanes
        float[] v = u.input(3, n).toArray();
        for (int i = 0; i < 15; i++) v[n - 15 + i] = v[i]; // the tail repeats the head
        float[] out = u.op.apply(Tensor.of(v, n)).toArray();
        for (int i = 0; i < 15; i++) {
            assertEquals(Float.floatToRawIntBits(out[i]), Float.floatToRawIntBits(out[n - 15 + i]), name + "(" + v[i] + ")");
        }
    }

    // ---------------------------------------------------------------- masks

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void whereAndMaskedFillMatchFloat64AndFiniteDifferences(int n) {
        boolean[] m = new boolean[2 * n];
        SplittableRandom rng = new SplittableRandom(n);
        for (int i = 0; i < m.length; i++) m[i] = rng.nextBoolean();
        Mask mask = Mask.of(m, 2, n);
        GradCheck.check("where", in -> Elementwise.where(mask, in[0], in[1]),
                x -> IntStream.range(0, m.length).mapToDouble(i -> m[i] ? x[0][i] : x[1][i]).toArray(),
                GradCheck.param(n, 2, n), GradCheck.param(n + 1, 2, n));
        GradCheck.check("maskedFill", in -> Elementwise.maskedFill(in[0], mask, -7.5f),
                x -> IntStream.range(0, m.length).mapToDouble(i -> m[i] ? -7.5 : x[0][i]).toArray(),
                GradCheck.param(n + 2, 2, n));
    }

    @Test
    void masksAreBuiltAndReadBack() {
        Mask causal = Mask.of(i -> i % 3 <= i / 3, 3, 3); // lower triangle
        assertTrue(causal.get(2, 0) && causal.get(1, 1) && !causal.get(0, 1));
        assertEquals(6, causal.count());
        assertArrayEquals(new int[] {3, 3}, causal.shape());
        var e = assertThrows(IllegalArgumentException.class, () -> Mask.of(new boolean[5], 2, 3));
        assertTrue(e.getMessage().contains("Mask.of") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    // ---------------------------------------------------------------- dropout

    @Test
    void dropoutMaskIsAFunctionOfTheSeedAndIndex() {
        int n = 100_003; // spans many parallel chunks and ends mid-word
        Tensor x = Tensor.ones(n);
        float p = 0.3f;
        float[] a = Elementwise.dropout(x, p, 42, true).toArray();
        assertArrayEquals(a, Elementwise.dropout(x, p, 42, true).toArray(), "same seed, same mask");
        assertFalse(Arrays.equals(a, Elementwise.dropout(x, p, 43, true).toArray()), "another seed, another mask");
        // the reference: the i-th nextDouble() of a SplittableRandom seeded alike, drawn sequentially
        SplittableRandom rng = new SplittableRandom(42);
        float scale = 1f / (1f - p);
        for (int i = 0; i < n; i++) {
            float expected = rng.nextDouble() >= p ? scale : 0f;
            if (a[i] != expected) fail("element " + i + " is " + a[i] + ", expected " + expected);
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {0.1f, 0.5f, 0.9f})
    void dropoutKeepsAboutOneMinusPAndScalesTheRest(float p) {
        int n = 200_000;
        Tensor x = Tensor.randn(7, n);
        float[] out = Elementwise.dropout(x, p, 99, true).toArray();
        float[] in = x.toArray();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (out[i] != 0f) {
                kept++;
                assertEquals(in[i] / (1f - p), out[i], 1e-6f * Math.abs(out[i]) + 1e-7f);
            }
        }
        double sd = Math.sqrt(n * p * (1 - p));
        assertEquals(n * (1 - p), kept, 5 * sd, "kept " + kept + " of " + n);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("oddSizes")
    void dropoutGradientIsTheMaskTimesTheScale(int n) {
        float p = 0.25f;
        Tensor x = GradCheck.param(n, n);
        Tensor y = Elementwise.dropout(x, p, 5, true);
        Tensor g = Tensor.randn(6, n);
        y.backward(g);
        float[] ones = Elementwise.dropout(Tensor.ones(n), p, 5, true).toArray(); // mask · scale
        for (int i = 0; i < n; i++) {
            assertEquals(g.get(i) * ones[i], x.grad().get(i), 1e-6f, "element " + i);
            assertEquals(x.get(i) * ones[i], y.get(i), 1e-6f, "element " + i);
        }
    }

    @Test
    void dropoutIsTheIdentityWhenOffAndZeroAtPOne() {
        Tensor x = GradCheck.param(3, 33);
        assertSame(x, Elementwise.dropout(x, 0f, 1, true));
        assertSame(x, Elementwise.dropout(x, 0.5f, 1, false));
        Tensor y = Elementwise.dropout(x, 1f, 1, true);
        assertArrayEquals(new float[33], y.toArray());
        Reductions.sum(y).backward();
        assertArrayEquals(new float[33], x.grad().toArray());
        var e = assertThrows(IllegalArgumentException.class, () -> Elementwise.dropout(x, 1.5f, 1, true));
        assertTrue(e.getMessage().contains("dropout") && e.getMessage().contains("1.5") && e.getMessage().contains("[33]"),
                e.getMessage());
    }

    // ---------------------------------------------------------------- large inputs: parallel chunks

    @Test
    void largeInputsMatchTheScalarReferenceAcrossParallelChunks() {
        int n = 100_003; // several parallel chunks for every kernel
        Tensor a = Tensor.randn(11, n), b = Tensor.uniform(12, 0.5f, 2f, n);
        float[] av = a.toArray(), bv = b.toArray();
        float[] sum = Elementwise.add(a, b).toArray(), quot = Elementwise.div(a, b).toArray();
        float[] gelu = Elementwise.gelu(a).toArray();
        for (int i = 0; i < n; i++) {
            assertEquals(av[i] + bv[i], sum[i], 0f);
            assertEquals(av[i] / bv[i], quot[i], 0f);
            assertEquals(Unary.GELU.reference.applyAsDouble(av[i]), gelu[i], 1e-6);
        }
        assertArrayEquals(gelu, Elementwise.gelu(a).toArray(), "bit-identical on a second run");
    }
}
