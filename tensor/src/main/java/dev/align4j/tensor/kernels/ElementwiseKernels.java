package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise arithmetic on equal-length runs of floats, and the accumulating pieces their
 * backward passes are made of.
 *
 * <p>What it is: species-agnostic Vector API loops ({@code SPECIES_PREFERRED}, {@code loopBound},
 * a scalar tail) split over {@link Parallel}. Outputs and gradient buffers start at index 0 (they
 * are fresh tensors or {@code gradBuffer()}s); inputs carry an offset because they may be views.
 * What it is not: a place for shape checks (the op families check once, up front) or for
 * broadcasting (there is none: every run has the same length).
 *
 * <p>Determinism: chunks are {@link #grain} elements, a multiple of 64, so a chunk boundary never
 * splits a vector (nor a word of a bit mask) and only the last {@code n mod L} elements of the
 * whole run take the scalar tail, whatever the thread count.
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Work per element (in {@link Parallel#grain} units) of a load-op-store loop. */
    static final int CHEAP = 1;
    /** Work per element of a loop with a transcendental function (exp, tanh, log1p). */
    static final int TRANSCENDENTAL = 16;

    /** {@link Parallel#grain} rounded up to whole 64-element words. */
    static int grain(int n, int cost) {
        return (Parallel.grain(n, cost) + 63) & ~63;
    }

    /** {@code out = a + b}. */
    public static void add(float[] out, float[] a, int aOff, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = a[aOff + i] + b[bOff + i];
        });
    }

    /** {@code y[r, j] += bias[bOff + j]} for a row-major {@code y} (rows, cols), in place: a linear layer's bias. */
    public static void addToRows(float[] y, float[] bias, int bOff, int rows, int cols) {
        Parallel.forRange(rows, Parallel.grain(rows, cols), (r0, r1) -> {
            int bound = S.loopBound(cols);
            for (int r = r0; r < r1; r++) {
                int row = r * cols, j = 0;
                for (; j < bound; j += L) {
                    FloatVector.fromArray(S, y, row + j).add(FloatVector.fromArray(S, bias, bOff + j)).intoArray(y, row + j);
                }
                for (; j < cols; j++) y[row + j] += bias[bOff + j];
            }
        });
    }

    /** {@code out = a - b}. */
    public static void sub(float[] out, float[] a, int aOff, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = a[aOff + i] - b[bOff + i];
        });
    }

    /** {@code out = a * b}. */
    public static void mul(float[] out, float[] a, int aOff, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = a[aOff + i] * b[bOff + i];
        });
    }

    /** {@code out = a / b}. */
    public static void div(float[] out, float[] a, int aOff, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, a, aOff + i).div(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = a[aOff + i] / b[bOff + i];
        });
    }

    /** {@code out = x·scale + shift}; {@code scale = 1} gives a scalar add, {@code shift = 0} a scalar multiply. */
    public static void affine(float[] out, float[] x, int xOff, float scale, float shift, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, x, xOff + i).mul(scale).add(shift).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = x[xOff + i] * scale + shift;
        });
    }

    // ---------------------------------------------------------------- backward pieces (accumulate)

    /** {@code dst[dstOff + i] += scale · src[srcOff + i]}. */
    public static void accumulate(float[] dst, int dstOff, float[] src, int srcOff, float scale, int n) {
        FloatVector sv = FloatVector.broadcast(S, scale);
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector d = FloatVector.fromArray(S, dst, dstOff + i);
                FloatVector.fromArray(S, src, srcOff + i).fma(sv, d).intoArray(dst, dstOff + i);
            }
            for (; i < e; i++) dst[dstOff + i] = Math.fma(src[srcOff + i], scale, dst[dstOff + i]);
        });
    }

    /** {@code dst += g · x}: the gradient of a product with respect to one factor. */
    public static void accumulateProduct(float[] dst, float[] g, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector d = FloatVector.fromArray(S, dst, i);
                FloatVector.fromArray(S, g, i).fma(FloatVector.fromArray(S, x, xOff + i), d).intoArray(dst, i);
            }
            for (; i < e; i++) dst[i] = Math.fma(g[i], x[xOff + i], dst[i]);
        });
    }

    /** {@code dst += g / b}: the gradient of {@code a / b} with respect to {@code a}. */
    public static void accumulateQuotient(float[] dst, float[] g, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector q = FloatVector.fromArray(S, g, i).div(FloatVector.fromArray(S, b, bOff + i));
                q.add(FloatVector.fromArray(S, dst, i)).intoArray(dst, i);
            }
            for (; i < e; i++) dst[i] += g[i] / b[bOff + i];
        });
    }

    /** {@code dst -= g · y / b} where {@code y = a / b}: the gradient of {@code a / b} with respect to {@code b}. */
    public static void divBackwardDenominator(float[] dst, float[] g, float[] y, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector t = FloatVector.fromArray(S, g, i).mul(FloatVector.fromArray(S, y, i))
                        .div(FloatVector.fromArray(S, b, bOff + i));
                FloatVector.fromArray(S, dst, i).sub(t).intoArray(dst, i);
            }
            for (; i < e; i++) dst[i] -= g[i] * y[i] / b[bOff + i];
        });
    }
}
