package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions along one axis of a row-major tensor seen as {@code (outer, size, inner)}: sum and
 * max (with the index of the first maximum), and their accumulating backward.
 *
 * <p>Order is fixed: with {@code inner > 1} each output sums its {@code size} terms in index
 * order (a vector holds {@code L} independent outputs); with {@code inner = 1} a row is summed
 * into {@code L} lane-partial sums that are then added in lane order by scalar code, never with
 * {@code reduceLanes}, whose float order the Vector API leaves unspecified. Rows are split over
 * {@link Parallel} by whole outputs, so results do not depend on the thread count. Max is scalar:
 * it is memory-bound, and scalar code states its two rules plainly: the first maximum wins ties,
 * and NaN counts as the maximum (PyTorch's {@code max(dim)} propagates NaN).
 */
public final class ReductionKernels {
    private ReductionKernels() {}

    private static final VectorSpecies<Float> S = ElementwiseKernels.S;
    private static final int L = ElementwiseKernels.L;

    /** {@code out[o, i] = Σ_k x[o, k, i]}; {@code out} is {@code (outer, inner)}. */
    public static void sum(float[] out, float[] x, int xOff, int outer, int size, int inner) {
        Parallel.forRange(outer, Parallel.grain(outer, (long) size * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                int base = xOff + o * size * inner;
                if (inner == 1) out[o] = sumRow(x, base, size);
                else sumColumns(out, o * inner, x, base, size, inner);
            }
        });
    }

    private static float sumRow(float[] x, int base, int size) {
        int k = 0;
        float s = 0f;
        int bound = S.loopBound(size);
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; k < bound; k += L) acc = acc.add(FloatVector.fromArray(S, x, base + k));
            float[] lanes = acc.toArray();
            for (float v : lanes) s += v;
        }
        for (; k < size; k++) s += x[base + k];
        return s;
    }

    private static void sumColumns(float[] out, int outOff, float[] x, int base, int size, int inner) {
        int i = 0;
        for (int bound = S.loopBound(inner); i < bound; i += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int k = 0; k < size; k++) acc = acc.add(FloatVector.fromArray(S, x, base + k * inner + i));
            acc.intoArray(out, outOff + i);
        }
        for (; i < inner; i++) {
            float s = 0f;
            for (int k = 0; k < size; k++) s += x[base + k * inner + i];
            out[outOff + i] = s;
        }
    }

    /**
     * {@code acc[j] += g[r, j]} for rows {@code r = 0, 1, …} of a row-major {@code g} (rows, cols) in
     * order, added one by one into {@code acc}: a bias gradient, rounded exactly as the plain loop
     * over rows. Columns are split over {@link Parallel} in whole vectors.
     */
    public static void accumulateColumns(float[] acc, float[] g, int rows, int cols) {
        int grain = (Parallel.grain(cols, rows) + L - 1) / L * L;
        Parallel.forRange(cols, grain, (j0, j1) -> {
            int bound = j0 + S.loopBound(j1 - j0);
            for (int r = 0; r < rows; r++) {
                int row = r * cols, j = j0;
                for (; j < bound; j += L) {
                    FloatVector.fromArray(S, acc, j).add(FloatVector.fromArray(S, g, row + j)).intoArray(acc, j);
                }
                for (; j < j1; j++) acc[j] += g[row + j];
            }
        });
    }

    /** {@code gx[o, k, i] += scale · g[o, i]} for every {@code k}: the backward of sum ({@code scale = 1}) and mean. */
    public static void sumBackward(float[] gx, float[] g, float scale, int outer, int size, int inner) {
        Parallel.forRange(outer, Parallel.grain(outer, (long) size * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                if (inner == 1) {
                    addConstant(gx, o * size, g[o] * scale, size);
                } else {
                    for (int k = 0; k < size; k++) {
                        ElementwiseKernels.accumulate(gx, (o * size + k) * inner, g, o * inner, scale, inner);
                    }
                }
            }
        });
    }

    /** {@code dst[off + i] += c} for {@code i < n}. */
    private static void addConstant(float[] dst, int off, float c, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, dst, off + i).add(c).intoArray(dst, off + i);
        }
        for (; i < n; i++) dst[off + i] += c;
    }

    /**
     * {@code out[o, i] = max_k x[o, k, i]} and {@code arg[o, i]} the first {@code k} reaching it;
     * either output may be null when not wanted. {@code size ≥ 1}.
     */
    public static void max(float[] out, int[] arg, float[] x, int xOff, int outer, int size, int inner) {
        Parallel.forRange(outer, Parallel.grain(outer, (long) size * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                int base = xOff + o * size * inner;
                for (int i = 0; i < inner; i++) {
                    float best = x[base + i];
                    int at = 0;
                    for (int k = 1; k < size && !Float.isNaN(best); k++) {
                        float v = x[base + k * inner + i];
                        if (v > best || Float.isNaN(v)) {
                            best = v;
                            at = k;
                        }
                    }
                    if (out != null) out[o * inner + i] = best;
                    if (arg != null) arg[o * inner + i] = at;
                }
            }
        });
    }

    /** {@code gx[o, arg[o, i], i] += g[o, i]}: the backward of max. */
    public static void maxBackward(float[] gx, float[] g, int[] arg, int outer, int size, int inner) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) gx[(o * size + arg[o * inner + i]) * inner + i] += g[o * inner + i];
        }
    }
}
