package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.S;
import static dev.align4j.tensor.kernels.PanelTranspose.HI0;
import static dev.align4j.tensor.kernels.PanelTranspose.HI1;
import static dev.align4j.tensor.kernels.PanelTranspose.HI2;
import static dev.align4j.tensor.kernels.PanelTranspose.HI3;
import static dev.align4j.tensor.kernels.PanelTranspose.L;
import static dev.align4j.tensor.kernels.PanelTranspose.LO0;
import static dev.align4j.tensor.kernels.PanelTranspose.LO1;
import static dev.align4j.tensor.kernels.PanelTranspose.LO2;
import static dev.align4j.tensor.kernels.PanelTranspose.LO3;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The kernels of {@link SkinnyGemm}'s column path: at most {@link SkinnyKernels#ROWS} rows of C from
 * a B stored (n, k) — a Hugging Face {@code nn.Linear} weight (out, in), the tied lm head — read in
 * place, with no copy and no packed panel. A call takes {@code L = 16} rows of B, the lanes of one
 * vector of C, and per block of {@code k} transposes them 16 × 16 at a time in registers (the
 * butterfly of {@link PanelTranspose}) into columns {@code B[0:16, p]}, each multiplied at once
 * into the accumulators, one FMA per row of C.
 *
 * <p>Each element of C is summed as {@link GemmMicroKernel#tile} sums it: per block of {@code kc}
 * ({@link Gemm#blockDepth}), from zero, one FMA per {@code p} in order; the blocks added to C in
 * order, as {@link SkinnyKernels#addBlocks} adds them. So a row of C is bit-identical to the one
 * any other path computes.
 *
 * <p>Float32 is transposed and multiplied in one method, the accumulators in registers: from L2
 * (one thread, m = 1, k = 768) it ran at 27-32 GB/s of B, against 18-20 GB/s when the
 * transpose wrote a 16 × 16 block to L1 for a loop to multiply from, the way BF16 has to go (see
 * its method). The lanes of a call need not be neighbouring rows of B: {@link SkinnyGemm} gives
 * them rows {@link SkinnyGemm#STRIPS} apart, so each streams its own contiguous run of B.
 *
 * <p>What it is not: species-agnostic (it needs {@link PanelTranspose#SUPPORTED}), nor checked
 * (the caller checks the operands once).
 */
final class SkinnyColumns {
    private SkinnyColumns() {}

    /**
     * {@code C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p A[i, p]·B[j, p]} for {@code i < m ≤ ROWS},
     * lanes {@code j < lanes ≤ L}, {@code p < k}, where {@code B[j, p] = b[bi + j·ld + p]},
     * {@code C[i, j] = c[ci + i·ldc + j·cs]} and A is packed block by block as {@link SkinnyGemm}
     * packs it: {@code A[i, blk·kc + p] = a[blk·aBlock + p·MR + i]}. The part of a block past its
     * last whole {@code L} values of {@code p}, and all of a call with fewer than {@code L} lanes,
     * runs one {@code p} at a time in the same order. {@code sums} holds {@code ROWS·L} floats.
     */
    static void columns(int m, int lanes, int k, int kc, float[] a, int aBlock, float[] b, int bi, int ld,
                        float[] c, int ci, int ldc, int cs, boolean accumulate, float[] sums) {
        for (int blk = 0, p0 = 0; p0 < k; blk++, p0 += kc) {
            int kb = Math.min(kc, k - p0), ab = blk * aBlock, whole = lanes == L ? kb / L * L : 0;
            Arrays.fill(sums, 0f);
            for (int i = 0; i < m; i += 2) twoRows(b, bi + p0, ld, whole, a, ab + i, m - i > 1, sums, i * L);
            for (int p = whole; p < kb; p++) {
                for (int i = 0; i < m; i++) {
                    float y = a[ab + p * MR + i];
                    for (int j = 0; j < lanes; j++) sums[i * L + j] = Math.fma(y, b[bi + j * ld + p0 + p], sums[i * L + j]);
                }
            }
            store(c, ci, ldc, cs, m, lanes, accumulate || blk > 0, sums);
        }
    }

    /**
     * {@link #columns} with B a little-endian BF16 segment (offsets and strides in elements). A
     * transpose ({@link PanelTranspose#transpose(MemorySegment, long, long, float[])}, into
     * {@code block}, {@code L·L} floats) moves {@code L × L} pairs of neighbouring values, so
     * {@code 2L} values of {@code p}: row {@code q} of the block holds {@code B[0:L, 2q]} in its low
     * halves and {@code B[0:L, 2q + 1]} in its high ones, widened by a shift and a mask and
     * multiplied in that order. The accumulators stay in this method while the transposes run in
     * their own: with the widening and the multiplying in the transposing method (for one or two
     * rows of C), C1 ran out of virtual registers and the method stayed in its tier-2 C1 code
     * at 0.1 GB/s.
     */
    static void columns(int m, int lanes, int k, int kc, float[] a, int aBlock, MemorySegment b, long bi, long ld,
                        float[] c, int ci, int ldc, int cs, boolean accumulate, float[] block, float[] sums) {
        for (int blk = 0, p0 = 0; p0 < k; blk++, p0 += kc) {
            int kb = Math.min(kc, k - p0), ab = blk * aBlock, whole = lanes == L ? kb / (2 * L) * (2 * L) : 0;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            for (int p = 0; p < whole; p += 2 * L) {
                PanelTranspose.transpose(b, 2 * (bi + p0 + p), 2 * ld, block);
                for (int q = 0, ap = ab + p * MR; q < L; q++, ap += 2 * MR) {
                    IntVector pair = FloatVector.fromArray(S, block, q * L).reinterpretAsInts();
                    FloatVector even = SkinnyKernels.low(pair), odd = SkinnyKernels.high(pair); // (L) B[0:L, p0 + p + 2q], B[0:L, p0 + p + 2q + 1]
                    s0 = FloatVector.broadcast(S, a[ap + MR]).fma(odd, FloatVector.broadcast(S, a[ap]).fma(even, s0));
                    if (m > 1) s1 = FloatVector.broadcast(S, a[ap + MR + 1]).fma(odd, FloatVector.broadcast(S, a[ap + 1]).fma(even, s1));
                    if (m > 2) s2 = FloatVector.broadcast(S, a[ap + MR + 2]).fma(odd, FloatVector.broadcast(S, a[ap + 2]).fma(even, s2));
                    if (m > 3) s3 = FloatVector.broadcast(S, a[ap + MR + 3]).fma(odd, FloatVector.broadcast(S, a[ap + 3]).fma(even, s3));
                }
            }
            s0.intoArray(sums, 0);
            s1.intoArray(sums, L);
            s2.intoArray(sums, 2 * L);
            s3.intoArray(sums, 3 * L);
            for (int p = whole; p < kb; p++) {
                for (int i = 0; i < m; i++) {
                    float y = a[ab + p * MR + i];
                    for (int j = 0; j < lanes; j++) {
                        sums[i * L + j] = Math.fma(y, Bf16Kernels.widen(b, bi + j * ld + p0 + p), sums[i * L + j]);
                    }
                }
            }
            store(c, ci, ldc, cs, m, lanes, accumulate || blk > 0, sums);
        }
    }

    /** {@code C[i, j] = (add ? C[i, j] : 0) + sums[i·L + j]} for {@code i < m}, lanes {@code j < lanes}, as {@link SkinnyKernels#addBlocks} adds. */
    private static void store(float[] c, int ci, int ldc, int cs, int m, int lanes, boolean add, float[] sums) {
        for (int i = 0; i < m; i++) {
            int dst = ci + i * ldc;
            if (lanes == L && cs == 1) {
                FloatVector x = FloatVector.fromArray(S, sums, i * L);
                (add ? FloatVector.fromArray(S, c, dst).add(x) : x).intoArray(c, dst);
            } else {
                for (int j = 0; j < lanes; j++) c[dst + j * cs] = add ? c[dst + j * cs] + sums[i * L + j] : sums[i * L + j];
            }
        }
    }

    /**
     * {@code sums[si + i·L + j] += Σ_p A[i, p]·B[j, p]} over {@code p < whole} (a multiple of
     * {@code L}), one FMA per {@code p} in order, for rows {@code i < (two ? 2 : 1)} and all
     * {@code L} lanes, with {@code A[i, p] = a[ap + p·MR + i]} and {@code B[j, p] = b[bi + j·ld + p]}.
     * Two rows of C, not four: this method must stay small enough for C1, which compiles it first
     * (with four, C1 ran out of virtual registers, and the method once stayed in C1's code for good
     * at 0.5 GB/s); with three or four rows of C it runs twice, the second time from L1.
     */
    private static void twoRows(float[] b, int bi, int ld, int whole, float[] a, int ap, boolean two, float[] sums, int si) {
        FloatVector s0 = FloatVector.fromArray(S, sums, si), s1 = FloatVector.fromArray(S, sums, si + L);
        for (int p = 0; p < whole; p += L, ap += L * MR) {
            int src = bi + p;
            FloatVector r0 = FloatVector.fromArray(S, b, src);
            FloatVector r1 = FloatVector.fromArray(S, b, src + 1 * ld);
            FloatVector r2 = FloatVector.fromArray(S, b, src + 2 * ld);
            FloatVector r3 = FloatVector.fromArray(S, b, src + 3 * ld);
            FloatVector r4 = FloatVector.fromArray(S, b, src + 4 * ld);
            FloatVector r5 = FloatVector.fromArray(S, b, src + 5 * ld);
            FloatVector r6 = FloatVector.fromArray(S, b, src + 6 * ld);
            FloatVector r7 = FloatVector.fromArray(S, b, src + 7 * ld);
            FloatVector r8 = FloatVector.fromArray(S, b, src + 8 * ld);
            FloatVector r9 = FloatVector.fromArray(S, b, src + 9 * ld);
            FloatVector r10 = FloatVector.fromArray(S, b, src + 10 * ld);
            FloatVector r11 = FloatVector.fromArray(S, b, src + 11 * ld);
            FloatVector r12 = FloatVector.fromArray(S, b, src + 12 * ld);
            FloatVector r13 = FloatVector.fromArray(S, b, src + 13 * ld);
            FloatVector r14 = FloatVector.fromArray(S, b, src + 14 * ld);
            FloatVector r15 = FloatVector.fromArray(S, b, src + 15 * ld);
            FloatVector t00 = LO0.selectFrom(r0, r8), t08 = HI0.selectFrom(r0, r8);
            FloatVector t01 = LO0.selectFrom(r1, r9), t09 = HI0.selectFrom(r1, r9);
            FloatVector t02 = LO0.selectFrom(r2, r10), t0a = HI0.selectFrom(r2, r10);
            FloatVector t03 = LO0.selectFrom(r3, r11), t0b = HI0.selectFrom(r3, r11);
            FloatVector t04 = LO0.selectFrom(r4, r12), t0c = HI0.selectFrom(r4, r12);
            FloatVector t05 = LO0.selectFrom(r5, r13), t0d = HI0.selectFrom(r5, r13);
            FloatVector t06 = LO0.selectFrom(r6, r14), t0e = HI0.selectFrom(r6, r14);
            FloatVector t07 = LO0.selectFrom(r7, r15), t0f = HI0.selectFrom(r7, r15);
            FloatVector t10 = LO1.selectFrom(t00, t04), t14 = HI1.selectFrom(t00, t04);
            FloatVector t11 = LO1.selectFrom(t01, t05), t15 = HI1.selectFrom(t01, t05);
            FloatVector t12 = LO1.selectFrom(t02, t06), t16 = HI1.selectFrom(t02, t06);
            FloatVector t13 = LO1.selectFrom(t03, t07), t17 = HI1.selectFrom(t03, t07);
            FloatVector t18 = LO1.selectFrom(t08, t0c), t1c = HI1.selectFrom(t08, t0c);
            FloatVector t19 = LO1.selectFrom(t09, t0d), t1d = HI1.selectFrom(t09, t0d);
            FloatVector t1a = LO1.selectFrom(t0a, t0e), t1e = HI1.selectFrom(t0a, t0e);
            FloatVector t1b = LO1.selectFrom(t0b, t0f), t1f = HI1.selectFrom(t0b, t0f);
            FloatVector t20 = LO2.selectFrom(t10, t12), t22 = HI2.selectFrom(t10, t12);
            FloatVector t21 = LO2.selectFrom(t11, t13), t23 = HI2.selectFrom(t11, t13);
            FloatVector t24 = LO2.selectFrom(t14, t16), t26 = HI2.selectFrom(t14, t16);
            FloatVector t25 = LO2.selectFrom(t15, t17), t27 = HI2.selectFrom(t15, t17);
            FloatVector t28 = LO2.selectFrom(t18, t1a), t2a = HI2.selectFrom(t18, t1a);
            FloatVector t29 = LO2.selectFrom(t19, t1b), t2b = HI2.selectFrom(t19, t1b);
            FloatVector t2c = LO2.selectFrom(t1c, t1e), t2e = HI2.selectFrom(t1c, t1e);
            FloatVector t2d = LO2.selectFrom(t1d, t1f), t2f = HI2.selectFrom(t1d, t1f);
            FloatVector t30 = LO3.selectFrom(t20, t21), t31 = HI3.selectFrom(t20, t21);
            FloatVector t32 = LO3.selectFrom(t22, t23), t33 = HI3.selectFrom(t22, t23);
            FloatVector t34 = LO3.selectFrom(t24, t25), t35 = HI3.selectFrom(t24, t25);
            FloatVector t36 = LO3.selectFrom(t26, t27), t37 = HI3.selectFrom(t26, t27);
            FloatVector t38 = LO3.selectFrom(t28, t29), t39 = HI3.selectFrom(t28, t29);
            FloatVector t3a = LO3.selectFrom(t2a, t2b), t3b = HI3.selectFrom(t2a, t2b);
            FloatVector t3c = LO3.selectFrom(t2c, t2d), t3d = HI3.selectFrom(t2c, t2d);
            FloatVector t3e = LO3.selectFrom(t2e, t2f), t3f = HI3.selectFrom(t2e, t2f);
            s0 = FloatVector.broadcast(S, a[ap + 0 * MR]).fma(t30, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 0 * MR + 1]).fma(t30, s1);
            s0 = FloatVector.broadcast(S, a[ap + 1 * MR]).fma(t31, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 1 * MR + 1]).fma(t31, s1);
            s0 = FloatVector.broadcast(S, a[ap + 2 * MR]).fma(t32, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 2 * MR + 1]).fma(t32, s1);
            s0 = FloatVector.broadcast(S, a[ap + 3 * MR]).fma(t33, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 3 * MR + 1]).fma(t33, s1);
            s0 = FloatVector.broadcast(S, a[ap + 4 * MR]).fma(t34, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 4 * MR + 1]).fma(t34, s1);
            s0 = FloatVector.broadcast(S, a[ap + 5 * MR]).fma(t35, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 5 * MR + 1]).fma(t35, s1);
            s0 = FloatVector.broadcast(S, a[ap + 6 * MR]).fma(t36, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 6 * MR + 1]).fma(t36, s1);
            s0 = FloatVector.broadcast(S, a[ap + 7 * MR]).fma(t37, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 7 * MR + 1]).fma(t37, s1);
            s0 = FloatVector.broadcast(S, a[ap + 8 * MR]).fma(t38, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 8 * MR + 1]).fma(t38, s1);
            s0 = FloatVector.broadcast(S, a[ap + 9 * MR]).fma(t39, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 9 * MR + 1]).fma(t39, s1);
            s0 = FloatVector.broadcast(S, a[ap + 10 * MR]).fma(t3a, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 10 * MR + 1]).fma(t3a, s1);
            s0 = FloatVector.broadcast(S, a[ap + 11 * MR]).fma(t3b, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 11 * MR + 1]).fma(t3b, s1);
            s0 = FloatVector.broadcast(S, a[ap + 12 * MR]).fma(t3c, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 12 * MR + 1]).fma(t3c, s1);
            s0 = FloatVector.broadcast(S, a[ap + 13 * MR]).fma(t3d, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 13 * MR + 1]).fma(t3d, s1);
            s0 = FloatVector.broadcast(S, a[ap + 14 * MR]).fma(t3e, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 14 * MR + 1]).fma(t3e, s1);
            s0 = FloatVector.broadcast(S, a[ap + 15 * MR]).fma(t3f, s0);
            if (two) s1 = FloatVector.broadcast(S, a[ap + 15 * MR + 1]).fma(t3f, s1);
        }
        s0.intoArray(sums, si);
        s1.intoArray(sums, si + L);
    }
}
