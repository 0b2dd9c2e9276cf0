package dev.align4j.tensor.kernels;

import java.util.Arrays;

/**
 * Data movement for shape ops: strided copies (permute, transpose, expand), block copies
 * (slice, concat) and row gathers (index select), each with the accumulating copy its backward
 * needs.
 *
 * <p>What it is: loops over a contiguous output seen as rows of its last axis, with the source
 * addressed through per-axis strides (a stride of 0 repeats, as NumPy's broadcasting views do).
 * The last axis moves with {@link System#arraycopy} or a vector add when its stride is 1. What it
 * is not: a view system. {@code Tensor} storage is always contiguous, so these copy.
 *
 * <p>Writes that may collide (the backward of expand and of index select with repeated indices)
 * run in a fixed order: row-major over the source of the gradient.
 */
public final class ShapeKernels {
    private ShapeKernels() {}

    /**
     * Writes the row-major walk over {@code shape} of {@code src} read with {@code srcStrides}
     * into {@code dst[dstOff ..]}; adds instead of writing when {@code accumulate}.
     */
    public static void copyStrided(float[] dst, int dstOff, float[] src, int srcOff, int[] shape, int[] srcStrides,
                                   boolean accumulate) {
        int rank = shape.length;
        if (rank == 0) {
            dst[dstOff] = accumulate ? dst[dstOff] + src[srcOff] : src[srcOff];
            return;
        }
        int last = shape[rank - 1], step = srcStrides[rank - 1];
        int rows = last == 0 ? 0 : Arrays.stream(shape).reduce(1, (p, d) -> p * d) / last;
        Parallel.forRange(rows, Parallel.grain(rows, last), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int from = srcOff + rowOffset(r, shape, srcStrides), to = dstOff + r * last;
                if (accumulate && step == 1) {
                    ElementwiseKernels.accumulate(dst, to, src, from, 1f, last);
                } else if (accumulate) {
                    for (int j = 0; j < last; j++) dst[to + j] += src[from + j * step];
                } else if (step == 1) {
                    System.arraycopy(src, from, dst, to, last);
                } else if (step == 0) {
                    Arrays.fill(dst, to, to + last, src[from]);
                } else {
                    for (int j = 0; j < last; j++) dst[to + j] = src[from + j * step];
                }
            }
        });
    }

    /**
     * {@code dst[dstOff + offset(idx)] += src[srcOff + flat(idx)]} over the row-major walk of
     * {@code shape}, with {@code offset} from {@code dstStrides}, zero on the axes being summed
     * over: the backward of a broadcast. Runs on one thread, in that order.
     */
    public static void scatterAddStrided(float[] dst, int dstOff, float[] src, int srcOff, int[] shape, int[] dstStrides) {
        int rank = shape.length;
        if (rank == 0) {
            dst[dstOff] += src[srcOff];
            return;
        }
        int last = shape[rank - 1], step = dstStrides[rank - 1];
        int rows = last == 0 ? 0 : Arrays.stream(shape).reduce(1, (p, d) -> p * d) / last;
        for (int r = 0; r < rows; r++) {
            int to = dstOff + rowOffset(r, shape, dstStrides), from = srcOff + r * last;
            if (step == 1) {
                ElementwiseKernels.accumulate(dst, to, src, from, 1f, last);
            } else if (step == 0) {
                float s = 0f;
                for (int j = 0; j < last; j++) s += src[from + j];
                dst[to] += s;
            } else {
                for (int j = 0; j < last; j++) dst[to + j * step] += src[from + j];
            }
        }
    }

    /** The strided offset of the start of row {@code r} (all axes but the last, row-major). */
    private static int rowOffset(int r, int[] shape, int[] strides) {
        int off = 0;
        for (int a = shape.length - 2; a >= 0; a--) {
            off += (r % shape[a]) * strides[a];
            r /= shape[a];
        }
        return off;
    }

    /**
     * For {@code c < count}: {@code dst[dstOff + c·dstStride ..+ block]} = (or {@code +=} when
     * {@code accumulate}) {@code src[srcOff + c·srcStride ..+ block]}. Blocks must not overlap.
     */
    public static void copyBlocks(float[] dst, int dstOff, int dstStride, float[] src, int srcOff, int srcStride,
                                  int block, int count, boolean accumulate) {
        Parallel.forRange(count, Parallel.grain(count, block), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int to = dstOff + c * dstStride, from = srcOff + c * srcStride;
                if (accumulate) ElementwiseKernels.accumulate(dst, to, src, from, 1f, block);
                else System.arraycopy(src, from, dst, to, block);
            }
        });
    }

    /** {@code out[o, j, :] = x[o, index[j], :]}: x is {@code (outer, size, inner)}, out {@code (outer, index.length, inner)}. */
    public static void gatherRows(float[] out, float[] x, int xOff, int[] index, int outer, int size, int inner) {
        int m = index.length;
        Parallel.forRange(outer, Parallel.grain(outer, (long) m * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int j = 0; j < m; j++) {
                    System.arraycopy(x, xOff + (o * size + index[j]) * inner, out, (o * m + j) * inner, inner);
                }
            }
        });
    }

    /** {@code gx[o, index[j], :] += g[o, j, :]}, {@code j} in order: the backward of {@link #gatherRows}. */
    public static void scatterAddRows(float[] gx, float[] g, int[] index, int outer, int size, int inner) {
        int m = index.length;
        Parallel.forRange(outer, Parallel.grain(outer, (long) m * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                for (int j = 0; j < m; j++) {
                    ElementwiseKernels.accumulate(gx, (o * size + index[j]) * inner, g, (o * m + j) * inner, 1f, inner);
                }
            }
        });
    }
}
