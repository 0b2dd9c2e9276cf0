package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.S;
import static dev.align4j.tensor.kernels.GemmMicroKernel.V;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Packing of the operands of {@link Gemm} into the contiguous micro-panels that
 * {@link GemmMicroKernel} streams through (Goto &amp; van de Geijn 2008, section 3; BLIS).
 *
 * <p>A row panel of {@code op(A)} ({@code MR} rows, {@code kk} columns) is stored as {@code kk}
 * groups of {@code MR} floats, {@code dst[p·MR + i] = op(A)[i0 + i, p0 + p]}; a column panel of
 * {@code op(B)} ({@code kk} rows, {@code NR} columns) as {@code kk} rows of {@code NR} floats,
 * {@code dst[p·NR + j] = op(B)[p0 + p, j0 + j]}. Consecutive panels follow each other,
 * {@code kk·MR} (or {@code kk·NR}) floats apart. Rows or columns past the edge of the matrix are
 * zeros, so the kernel always runs a whole tile. The transposes are resolved here, by reading the
 * source in its own layout: the kernel sees the same panels for all four combinations.
 *
 * <p>The source is read along its rows. When those run across the panels, a run of panels is
 * filled in one pass, so a source row is read in one stretch across the run, not panel by panel.
 * When they run down a panel, a whole B panel is transposed in registers with 16 float lanes
 * ({@link PanelTranspose}); otherwise (A panels, B panels cut by the edge) each panel row is
 * copied across the source rows, one scalar a row ({@link #across}).
 *
 * <p>Deliberately not here: bounds checks (the caller checks the whole operand once).
 */
final class GemmPacking {
    private GemmPacking() {}

    /**
     * Packs rows {@code [i0, i0 + panels·MR)} (cut at {@code m}, {@code i0} a multiple of
     * {@code MR}) and columns {@code [p0, p0 + kk)} of {@code op(A)}, where {@code op(A)[i, p]} is
     * {@code a[aOff + i·lda + p]}, or {@code a[aOff + p·lda + i]} when {@code transA}, into
     * {@code panels} panels from {@code dst[d]}.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int m, int i0, int panels, int p0, int kk,
                      float[] dst, int d) {
        if (transA) { // a source row holds row p of every panel
            for (int p = 0; p < kk; p++) {
                int src = aOff + (p0 + p) * lda;
                for (int r = 0; r < panels; r++) {
                    int i = i0 + r * MR, h = Math.min(MR, m - i), o = d + r * MR * kk + p * MR;
                    if (h == MR) {
                        for (int x = 0; x < MR; x += V) { // one masked move with AVX-512
                            VectorMask<Float> lanes = S.indexInRange(x, MR);
                            FloatVector.fromArray(S, a, src + i + x, lanes).intoArray(dst, o + x, lanes);
                        }
                    } else {
                        for (int x = 0; x < h; x++) dst[o + x] = a[src + i + x];
                        for (int x = h; x < MR; x++) dst[o + x] = 0f;
                    }
                }
            }
            return;
        }
        for (int r = 0; r < panels; r++) { // a source row runs down one panel
            int i = i0 + r * MR;
            across(a, aOff + i * lda + p0, lda, Math.min(MR, m - i), kk, MR, dst, d + r * MR * kk);
        }
    }

    /**
     * Packs rows {@code [p0, p0 + kk)} and columns {@code [j0, j0 + panels·NR)} (cut at {@code n},
     * {@code j0} a multiple of {@code NR}) of {@code op(B)}, where {@code op(B)[p, j]} is
     * {@code b[bOff + p·ldb + j]}, or {@code b[bOff + j·ldb + p]} when {@code transB}, into
     * {@code panels} panels from {@code dst[d]}.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int n, int j0, int panels, int p0, int kk,
                      float[] dst, int d) {
        if (!transB) { // a source row holds row p of every panel
            for (int p = 0; p < kk; p++) {
                int src = bOff + (p0 + p) * ldb;
                for (int r = 0; r < panels; r++) {
                    int j = j0 + r * NR, w = Math.min(NR, n - j), o = d + r * NR * kk + p * NR;
                    if (w == NR) {
                        for (int x = 0; x < NR; x += V) FloatVector.fromArray(S, b, src + j + x).intoArray(dst, o + x);
                    } else {
                        for (int x = 0; x < w; x++) dst[o + x] = b[src + j + x];
                        for (int x = w; x < NR; x++) dst[o + x] = 0f;
                    }
                }
            }
            return;
        }
        for (int r = 0; r < panels; r++) { // a source row runs down one panel: transposed in registers, or copied across
            int j = j0 + r * NR, w = Math.min(NR, n - j), o = d + r * NR * kk;
            if (w == NR && PanelTranspose.SUPPORTED) PanelTranspose.pack(b, bOff + j * ldb + p0, ldb, kk, dst, o);
            else across(b, bOff + j * ldb + p0, ldb, w, kk, NR, dst, o);
        }
    }

    /**
     * {@code dst[o + p·width + x] = src[from + x·ld + p]} for {@code x < rows}, zero for
     * {@code rows ≤ x < width}, {@code p < kk}: {@code rows} source rows, each running down one
     * panel of {@code width}, written panel row after panel row. Scalar: the vector gather this
     * replaced ran the Vector API's fallback (the JIT did not intrinsify the masked gather from an
     * index map, JDK 25) and made 170 MB/s of garbage in a batch-32 decode.
     */
    private static void across(float[] src, int from, int ld, int rows, int kk, int width, float[] dst, int o) {
        for (int p = 0; p < kk; p++) {
            int out = o + p * width, in = from + p;
            for (int x = 0; x < rows; x++) dst[out + x] = src[in + x * ld];
            for (int x = rows; x < width; x++) dst[out + x] = 0f;
        }
    }

    /**
     * {@link #packB} from a little-endian BF16 segment, widened while packed, into {@code dst} from
     * 0. When {@code transB}, a panel is transposed in registers ({@link PanelTranspose}), or its rows
     * are widened into {@code rows} ({@code NR·kk} floats at least) and packed from there.
     */
    static void packB(boolean transB, MemorySegment b, long bOff, long ldb, int n, int j0, int panels, int p0, int kk,
                      float[] dst, float[] rows) {
        if (transB) {
            for (int r = 0; r < panels; r++) {
                int j = j0 + r * NR, w = Math.min(NR, n - j);
                if (w == NR && PanelTranspose.SUPPORTED) {
                    PanelTranspose.pack(b, bOff + j * ldb + p0, ldb, kk, dst, r * NR * kk);
                } else { // widened rows, then the float packing
                    for (int x = 0; x < w; x++) Bf16Kernels.widenRun(rows, x * kk, b, bOff + (j + x) * ldb + p0, kk);
                    packB(true, rows, 0, kk, w, 0, 1, 0, kk, dst, r * NR * kk);
                }
            }
            return;
        }
        for (int p = 0; p < kk; p++) { // a source row holds row p of every panel
            long src = bOff + (p0 + p) * ldb;
            for (int r = 0; r < panels; r++) {
                int j = j0 + r * NR, w = Math.min(NR, n - j), o = r * NR * kk + p * NR;
                Bf16Kernels.widenRun(dst, o, b, src + j, w);
                if (w < NR) Arrays.fill(dst, o + w, o + NR, 0f);
            }
        }
    }
}
