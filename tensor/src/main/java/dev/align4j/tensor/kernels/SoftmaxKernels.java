package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax and log-softmax kernels, forward and backward, and the {@code exp} they share with the
 * attention kernels.
 *
 * <p>What it is: row kernels for a softmax over the last (contiguous) axis, vectorised along the
 * row and parallel over rows, and a scalar kernel for any other axis (strided). Stable: the row
 * maximum is subtracted before exponentiating. Backward, as in PyTorch's {@code _softmax_backward_data}
 * and {@code _log_softmax_backward_data}:
 * <pre>
 *   softmax      y = exp(x − max) / Σ exp(x − max)        dx += y ⊙ (dy − Σ dy⊙y)
 *   log-softmax  y = x − max − log Σ exp(x − max)         dx += dy − exp(y) · Σ dy
 * </pre>
 *
 * <p>What it deliberately is not: {@code FloatVector.lanewise(EXP)} or a {@code reduceLanes(ADD)}.
 * Both may round differently in interpreted and in compiled code (the intrinsic calls SVML, the
 * fallback {@code Math.exp}; float {@code ADD} reductions have no fixed order), which would break
 * bit-identical reruns. {@link VectorMath#exp} is a polynomial built only from lane-wise IEEE
 * operations, and row sums add their lanes in index order ({@link VectorMath#sumLanes}), so every
 * tier gives the same bits.
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    // ---------------------------------------------------------------- last axis (contiguous rows)

    /** {@code y = softmax(x)} over each of {@code rows} contiguous rows of {@code n}: (rows, n). */
    public static void softmaxRows(float[] y, int yOff, float[] x, int xOff, int rows, int n) {
        Parallel.forRange(rows, Parallel.grain(rows, 24L * n), (r0, r1) -> {
            for (int r = r0; r < r1; r++) rowForward(y, yOff + r * n, x, xOff + r * n, n, false);
        });
    }

    /** {@code y = log_softmax(x)} over each of {@code rows} contiguous rows of {@code n}: (rows, n). */
    public static void logSoftmaxRows(float[] y, int yOff, float[] x, int xOff, int rows, int n) {
        Parallel.forRange(rows, Parallel.grain(rows, 24L * n), (r0, r1) -> {
            for (int r = r0; r < r1; r++) rowForward(y, yOff + r * n, x, xOff + r * n, n, true);
        });
    }

    /** {@code dx += y ⊙ (dy − Σ dy⊙y)} per row, {@code y} the softmax output: all (rows, n). */
    public static void softmaxRowsBackward(float[] dx, int dxOff, float[] dy, int dyOff, float[] y, int yOff,
                                           int rows, int n) {
        Parallel.forRange(rows, Parallel.grain(rows, 6L * n), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int dxo = dxOff + r * n, dyo = dyOff + r * n, yo = yOff + r * n;
                int bound = S.loopBound(n), i = 0;
                FloatVector acc = FloatVector.zero(S);
                for (; i < bound; i += L) {
                    acc = FloatVector.fromArray(S, dy, dyo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
                }
                float dot = VectorMath.sumLanes(acc);
                for (; i < n; i++) dot = Math.fma(dy[dyo + i], y[yo + i], dot);
                for (i = 0; i < bound; i += L) {
                    FloatVector g = FloatVector.fromArray(S, dy, dyo + i).sub(dot).mul(FloatVector.fromArray(S, y, yo + i));
                    g.add(FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
                }
                for (; i < n; i++) dx[dxo + i] += (dy[dyo + i] - dot) * y[yo + i];
            }
        });
    }

    /** {@code dx += dy − VectorMath.exp(y) · Σ dy} per row, {@code y} the log-softmax output: all (rows, n). */
    public static void logSoftmaxRowsBackward(float[] dx, int dxOff, float[] dy, int dyOff, float[] y, int yOff,
                                              int rows, int n) {
        Parallel.forRange(rows, Parallel.grain(rows, 24L * n), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int dxo = dxOff + r * n, dyo = dyOff + r * n, yo = yOff + r * n;
                int bound = S.loopBound(n), i = 0;
                FloatVector acc = FloatVector.zero(S);
                for (; i < bound; i += L) acc = acc.add(FloatVector.fromArray(S, dy, dyo + i));
                float sum = VectorMath.sumLanes(acc);
                for (; i < n; i++) sum += dy[dyo + i];
                FloatVector minusSum = FloatVector.broadcast(S, -sum);
                for (i = 0; i < bound; i += L) {
                    FloatVector e = VectorMath.exp(FloatVector.fromArray(S, y, yo + i));
                    FloatVector g = e.fma(minusSum, FloatVector.fromArray(S, dy, dyo + i));
                    g.add(FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
                }
                for (; i < n; i++) dx[dxo + i] += Math.fma(VectorMath.exp(y[yo + i]), -sum, dy[dyo + i]);
            }
        });
    }

    /** One row: max, then Σ VectorMath.exp(x − max) (lane-wise, then lanes in order), then the output. */
    private static void rowForward(float[] y, int yo, float[] x, int xo, int n, boolean log) {
        int bound = S.loopBound(n), i = 0;
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += L) vmax = vmax.max(FloatVector.fromArray(S, x, xo + i));
        float max = vmax.reduceLanes(VectorOperators.MAX); // max is exact in any order
        for (; i < n; i++) max = Math.max(max, x[xo + i]);

        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < bound; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(max));
            if (!log) e.intoArray(y, yo + i);
            acc = acc.add(e);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            float e = VectorMath.exp(x[xo + i] - max);
            if (!log) y[yo + i] = e;
            sum += e;
        }

        if (log) {
            float shift = max + (float) Math.log(sum);
            for (i = 0; i < bound; i += L) FloatVector.fromArray(S, x, xo + i).sub(shift).intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] = x[xo + i] - shift;
        } else {
            float inv = 1f / sum;
            for (i = 0; i < bound; i += L) FloatVector.fromArray(S, y, yo + i).mul(inv).intoArray(y, yo + i);
            for (; i < n; i++) y[yo + i] *= inv;
        }
    }

    // ---------------------------------------------------------------- any other axis (strided, scalar)

    /**
     * Softmax (or log-softmax when {@code log}) over the middle axis of (outer, n, inner), scalar:
     * a softmax over a non-last axis is rare in LLM training, which normalises over the vocabulary
     * or the keys (the last axis). Parallel over {@code outer}.
     */
    public static void softmaxStrided(float[] y, int yOff, float[] x, int xOff, int outer, int n, int inner,
                                      boolean log) {
        Parallel.forRange(outer, Parallel.grain(outer, 24L * n * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int c = 0; c < inner; c++) {
                    int xb = xOff + o * n * inner + c, yb = yOff + o * n * inner + c;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) max = Math.max(max, x[xb + i * inner]);
                    float sum = 0f;
                    for (int i = 0; i < n; i++) {
                        float e = VectorMath.exp(x[xb + i * inner] - max);
                        if (!log) y[yb + i * inner] = e;
                        sum += e;
                    }
                    float shift = max + (float) Math.log(sum), inv = 1f / sum;
                    for (int i = 0; i < n; i++) {
                        if (log) y[yb + i * inner] = x[xb + i * inner] - shift;
                        else y[yb + i * inner] *= inv;
                    }
                }
            }
        });
    }

    /** Backward of {@link #softmaxStrided}: accumulates into {@code dx}; {@code y} is the forward output. */
    public static void softmaxStridedBackward(float[] dx, int dxOff, float[] dy, int dyOff, float[] y, int yOff,
                                              int outer, int n, int inner, boolean log) {
        Parallel.forRange(outer, Parallel.grain(outer, 24L * n * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int c = 0; c < inner; c++) {
                    int base = o * n * inner + c;
                    float s = 0f; // log: Σ dy; softmax: Σ dy⊙y
                    for (int i = 0; i < n; i++) {
                        int j = base + i * inner;
                        s = log ? s + dy[dyOff + j] : Math.fma(dy[dyOff + j], y[yOff + j], s);
                    }
                    for (int i = 0; i < n; i++) {
                        int j = base + i * inner;
                        dx[dxOff + j] += log ? Math.fma(VectorMath.exp(y[yOff + j]), -s, dy[dyOff + j])
                                : (dy[dyOff + j] - s) * y[yOff + j];
                    }
                }
            }
        });
    }
}
