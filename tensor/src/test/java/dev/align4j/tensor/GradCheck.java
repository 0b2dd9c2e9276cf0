package dev.align4j.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks an op against an independent float64 reference: the forward values, and the backward
 * against central finite differences of the reference, computed in float64.
 *
 * <p>The op's output is contracted with a fixed random tensor {@code r}, so one backward gives
 * the gradient of {@code L = Σ out·r}; the reference gives {@code L} in double, whose central
 * differences {@code (L(x+h) − L(x−h)) / 2h} are then accurate far beyond float32's noise.
 */
public final class GradCheck {
    private GradCheck() {}

    /** A float64 reference: the inputs' values (row-major) to the output's values (row-major). */
    @FunctionalInterface
    public interface Reference {
        double[] apply(double[][] inputs);
    }

    private static final double H = 1e-6;

    /** Checks forward and every trainable input's gradient. Inputs not marked trainable are held fixed. */
    public static void check(String name, Function<Tensor[], Tensor> op, Reference reference, Tensor... inputs) {
        check(name, op, reference, 1e-4, 1e-3, inputs);
    }

    public static void check(String name, Function<Tensor[], Tensor> op, Reference reference,
                             double absTol, double relTol, Tensor... inputs) {
        double[][] x = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) x[i] = toDouble(inputs[i].toArray());

        Tensor out = op.apply(inputs);
        double[] expected = reference.apply(copy(x));
        if (expected.length != out.numel()) {
            fail(name + ": reference gives " + expected.length + " values, op gives " + out.describe());
        }
        compare(name + " forward", toDouble(out.toArray()), expected, absTol, relTol);

        SplittableRandom rng = new SplittableRandom(1234);
        float[] r = new float[out.numel()];
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
        for (Tensor t : inputs) t.zeroGrad();
        out.backward(Tensor.of(r, out.shape()));

        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) continue;
            double[] numeric = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                double[][] plus = copy(x), minus = copy(x);
                plus[i][j] += H;
                minus[i][j] -= H;
                numeric[j] = (dot(reference.apply(plus), r) - dot(reference.apply(minus), r)) / (2 * H);
            }
            Tensor g = inputs[i].grad();
            double[] analytic = g == null ? new double[x[i].length] : toDouble(g.toArray());
            compare(name + " d/d(input " + i + ")", analytic, numeric, absTol, relTol);
        }
    }

    /** Element by element within {@code absTol + relTol·max|expected|}. */
    public static void compare(String what, double[] actual, double[] expected, double absTol, double relTol) {
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        double tol = absTol + relTol * scale;
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance " + tol
                        + ")\n actual   " + head(actual) + "\n expected " + head(expected));
            }
        }
    }

    public static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    private static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) c[i] = x[i].clone();
        return c;
    }

    private static String head(double[] v) {
        return Arrays.toString(Arrays.copyOf(v, Math.min(v.length, 8))) + (v.length > 8 ? "…" : "");
    }

    /** The sizes every op is checked at: around and across the vector length. */
    public static final int[] ODD_SIZES = {1, 7, 33, 65, 127};

    /** A seeded trainable input. */
    public static Tensor param(long seed, int... shape) {
        return Tensor.randn(seed, shape).requiresGrad(true);
    }
}
