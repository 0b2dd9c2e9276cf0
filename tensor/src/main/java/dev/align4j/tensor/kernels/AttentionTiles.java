package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The small dense products the fused attention kernels are made of: one tile of at most
 * {@link AttentionKernels#BLOCK} queries against one tile of keys, with head-sized inner or outer
 * dimensions. Package-private; only {@link AttentionKernels} calls it.
 *
 * <p>What it is: a register-blocked {@code C (+)= A·B} (4 rows × 2 vectors of accumulators) where
 * {@code A} is read through two strides, so a transposed tile ({@code Pᵀ}, {@code dSᵀ}) costs
 * nothing, and {@code B} is row-major, vectorised along its rows. Every element of {@code C} sums
 * its products in index order with fused multiply-adds, in a vector lane or in the scalar tail
 * alike, so results do not depend on where a row or column falls. What it is not: a general GEMM
 * (no packing, no cache blocking beyond the tile); {@link Gemm} is that.
 */
final class AttentionTiles {
    private AttentionTiles() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * {@code c(r, j) = [c(r, j) +] Σ_p a(r, p)·b(p, j)} for {@code r < m, j < n, p < k}, where
     * {@code a(r, p) = a[aOff + r·aRs + p·aCs]}, {@code b(p, j) = b[bOff + p·ldb + j]} and
     * {@code c(r, j) = c[cOff + r·ldc + j]}.
     */
    static void gemm(float[] c, int cOff, int ldc, boolean accumulate,
                     float[] a, int aOff, int aRs, int aCs, float[] b, int bOff, int ldb, int m, int n, int k) {
        int r = 0;
        for (; r + 4 <= m; r += 4) {
            int a0 = aOff + r * aRs, a1 = a0 + aRs, a2 = a1 + aRs, a3 = a2 + aRs;
            int c0 = cOff + r * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            int j = 0;
            for (; j + 2 * L <= n; j += 2 * L) {
                FloatVector x00 = FloatVector.zero(S), x01 = x00, x10 = x00, x11 = x00,
                        x20 = x00, x21 = x00, x30 = x00, x31 = x00;
                for (int p = 0, bi = bOff + j, ap = 0; p < k; p++, bi += ldb, ap += aCs) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
                    FloatVector w0 = FloatVector.broadcast(S, a[a0 + ap]), w1 = FloatVector.broadcast(S, a[a1 + ap]);
                    FloatVector w2 = FloatVector.broadcast(S, a[a2 + ap]), w3 = FloatVector.broadcast(S, a[a3 + ap]);
                    x00 = w0.fma(b0, x00);
                    x01 = w0.fma(b1, x01);
                    x10 = w1.fma(b0, x10);
                    x11 = w1.fma(b1, x11);
                    x20 = w2.fma(b0, x20);
                    x21 = w2.fma(b1, x21);
                    x30 = w3.fma(b0, x30);
                    x31 = w3.fma(b1, x31);
                }
                put(c, c0 + j, x00, accumulate);
                put(c, c0 + j + L, x01, accumulate);
                put(c, c1 + j, x10, accumulate);
                put(c, c1 + j + L, x11, accumulate);
                put(c, c2 + j, x20, accumulate);
                put(c, c2 + j + L, x21, accumulate);
                put(c, c3 + j, x30, accumulate);
                put(c, c3 + j + L, x31, accumulate);
            }
            for (; j + L <= n; j += L) {
                FloatVector x0 = FloatVector.zero(S), x1 = x0, x2 = x0, x3 = x0;
                for (int p = 0, bi = bOff + j, ap = 0; p < k; p++, bi += ldb, ap += aCs) {
                    FloatVector bv = FloatVector.fromArray(S, b, bi);
                    x0 = FloatVector.broadcast(S, a[a0 + ap]).fma(bv, x0);
                    x1 = FloatVector.broadcast(S, a[a1 + ap]).fma(bv, x1);
                    x2 = FloatVector.broadcast(S, a[a2 + ap]).fma(bv, x2);
                    x3 = FloatVector.broadcast(S, a[a3 + ap]).fma(bv, x3);
                }
                put(c, c0 + j, x0, accumulate);
                put(c, c1 + j, x1, accumulate);
                put(c, c2 + j, x2, accumulate);
                put(c, c3 + j, x3, accumulate);
            }
            for (; j < n; j++) {
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (int p = 0, bi = bOff + j, ap = 0; p < k; p++, bi += ldb, ap += aCs) {
                    float bv = b[bi];
                    s0 = Math.fma(a[a0 + ap], bv, s0);
                    s1 = Math.fma(a[a1 + ap], bv, s1);
                    s2 = Math.fma(a[a2 + ap], bv, s2);
                    s3 = Math.fma(a[a3 + ap], bv, s3);
                }
                c[c0 + j] = accumulate ? c[c0 + j] + s0 : s0;
                c[c1 + j] = accumulate ? c[c1 + j] + s1 : s1;
                c[c2 + j] = accumulate ? c[c2 + j] + s2 : s2;
                c[c3 + j] = accumulate ? c[c3 + j] + s3 : s3;
            }
        }
        for (; r < m; r++) {
            int ar = aOff + r * aRs, cr = cOff + r * ldc;
            int j = 0;
            for (; j + L <= n; j += L) {
                FloatVector x = FloatVector.zero(S);
                for (int p = 0, bi = bOff + j, ap = ar; p < k; p++, bi += ldb, ap += aCs) {
                    x = FloatVector.broadcast(S, a[ap]).fma(FloatVector.fromArray(S, b, bi), x);
                }
                put(c, cr + j, x, accumulate);
            }
            for (; j < n; j++) {
                float s = 0f;
                for (int p = 0, bi = bOff + j, ap = ar; p < k; p++, bi += ldb, ap += aCs) s = Math.fma(a[ap], b[bi], s);
                c[cr + j] = accumulate ? c[cr + j] + s : s;
            }
        }
    }

    private static void put(float[] c, int i, FloatVector x, boolean accumulate) {
        (accumulate ? FloatVector.fromArray(S, c, i).add(x) : x).intoArray(c, i);
    }

    /** {@code dst[j·ldDst + i] = src[srcOff + i·ldSrc + j]} for {@code i < rows, j < cols}: a tile to its transpose. */
    static void transpose(float[] dst, int ldDst, float[] src, int srcOff, int ldSrc, int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            int si = srcOff + i * ldSrc;
            for (int j = 0; j < cols; j++) dst[j * ldDst + i] = src[si + j];
        }
    }

    /** {@code x[off .. off + n) *= s}. */
    static void scale(float[] x, int off, int n, float s) {
        int j = 0;
        for (; j + L <= n; j += L) FloatVector.fromArray(S, x, off + j).mul(s).intoArray(x, off + j);
        for (; j < n; j++) x[off + j] *= s;
    }

    /** {@code Σ_j x[xOff + j]·y[yOff + j]} for {@code j < n}, lanes then tail in index order. */
    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j + L <= n; j += L) acc = FloatVector.fromArray(S, x, xOff + j).fma(FloatVector.fromArray(S, y, yOff + j), acc);
        float s = VectorMath.sumLanes(acc);
        for (; j < n; j++) s = Math.fma(x[xOff + j], y[yOff + j], s);
        return s;
    }
}
