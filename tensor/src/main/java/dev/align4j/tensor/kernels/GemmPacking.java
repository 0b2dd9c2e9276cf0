package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.S;
import static dev.align4j.tensor.kernels.GemmMicroKernel.V;

import jdk.incubator.vector.FloatVector;

/**
 * Packing of the operands of {@link Gemm} into the contiguous micro-panels that
 * {@link GemmMicroKernel} streams through (Goto &amp; van de Geijn 2008, section 3; BLIS).
 *
 * <p>A row panel of {@code op(A)} ({@code MR} rows, {@code kk} columns) is stored as {@code kk}
 * groups of {@code MR} floats, {@code dst[p·MR + i] = op(A)[i0 + i, p0 + p]}; a column panel of
 * {@code op(B)} ({@code kk} rows, {@code NR} columns) as {@code kk} rows of {@code NR} floats,
 * {@code dst[p·NR + j] = op(B)[p0 + p, j0 + j]}. Rows or columns past the edge of the matrix are
 * zeros, so the kernel always runs a whole tile. The transposes are resolved here, by reading the
 * source in its own layout: the kernel sees the same panels for all four combinations.
 *
 * <p>Deliberately not here: bounds checks (the caller checks the whole operand once).
 */
final class GemmPacking {
    private GemmPacking() {}

    /**
     * Packs rows {@code [i0, i0 + MR)} (cut at {@code m}) and columns {@code [p0, p0 + kk)} of
     * {@code op(A)}, where {@code op(A)[i, p]} is {@code a[aOff + i·lda + p]}, or
     * {@code a[aOff + p·lda + i]} when {@code transA}, into {@code dst[d, d + kk·MR)}.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int m, int i0, int p0, int kk,
                      float[] dst, int d) {
        int h = Math.min(MR, m - i0);
        if (transA) { // each p: MR consecutive floats of one source row
            for (int p = 0; p < kk; p++) {
                int src = aOff + (p0 + p) * lda + i0, o = d + p * MR;
                for (int i = 0; i < h; i++) dst[o + i] = a[src + i];
                for (int i = h; i < MR; i++) dst[o + i] = 0f;
            }
        } else {      // each row: kk consecutive floats, spread MR apart
            for (int i = 0; i < h; i++) {
                int src = aOff + (i0 + i) * lda + p0;
                for (int p = 0; p < kk; p++) dst[d + p * MR + i] = a[src + p];
            }
            for (int i = h; i < MR; i++) {
                for (int p = 0; p < kk; p++) dst[d + p * MR + i] = 0f;
            }
        }
    }

    /**
     * Packs rows {@code [p0, p0 + kk)} and columns {@code [j0, j0 + NR)} (cut at {@code n}) of
     * {@code op(B)}, where {@code op(B)[p, j]} is {@code b[bOff + p·ldb + j]}, or
     * {@code b[bOff + j·ldb + p]} when {@code transB}, into {@code dst[d, d + kk·NR)}.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int n, int j0, int p0, int kk,
                      float[] dst, int d) {
        int w = Math.min(NR, n - j0);
        if (transB) { // each column j: kk consecutive floats, spread NR apart
            for (int j = 0; j < w; j++) {
                int src = bOff + (j0 + j) * ldb + p0;
                for (int p = 0; p < kk; p++) dst[d + p * NR + j] = b[src + p];
            }
            for (int j = w; j < NR; j++) {
                for (int p = 0; p < kk; p++) dst[d + p * NR + j] = 0f;
            }
        } else if (w == NR) { // each p: one row of NR consecutive floats
            for (int p = 0; p < kk; p++) {
                int src = bOff + (p0 + p) * ldb + j0, o = d + p * NR;
                for (int j = 0; j < NR; j += V) FloatVector.fromArray(S, b, src + j).intoArray(dst, o + j);
            }
        } else {
            for (int p = 0; p < kk; p++) {
                int src = bOff + (p0 + p) * ldb + j0, o = d + p * NR;
                for (int j = 0; j < w; j++) dst[o + j] = b[src + j];
                for (int j = w; j < NR; j++) dst[o + j] = 0f;
            }
        }
    }
}
