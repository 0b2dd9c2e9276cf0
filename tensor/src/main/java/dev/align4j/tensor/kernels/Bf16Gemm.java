package dev.align4j.tensor.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Matrix multiply with one operand in BF16: {@code C = beta·C + op(A)·op(B)} as {@link Gemm#sgemm},
 * the BF16 operand widened block by block into a reused float scratch and each block multiplied by
 * {@link Gemm#sgemm} with offsets and leading dimensions.
 *
 * <p>Blocks run along the side of C that the BF16 operand owns — C's columns for a BF16 B
 * ({@link #sgemmB}), C's rows for a BF16 A ({@link #sgemmA}) — never along the reduction. So every
 * element of C is one {@link Gemm#sgemm} sum over all of {@code k}, exactly as in the unblocked
 * product of the widened matrices: the result is bit-identical to it (sgemm sums an element the
 * same way whatever part of C a call computes). Blocks are about {@link #BLOCK_SIDE} columns (rows)
 * of C, all of k deep, done in order on the calling thread by {@link Quant4Gemm}'s blocked driver
 * (the BF16 matrix is one of its stored sources); the widening inside a block and the product are
 * each split over the pool. The scratch ({@code side·k} floats: 3 MiB at k = 768, 45 MiB
 * at k = 11008) belongs to the calling thread and is kept for the next call.
 *
 * <p>The price of blocking: the float operand is packed again by each block's product, a cost per
 * block of {@code m·k} against its {@code 2·m·k·side} flops, so the side, not the block's element
 * count, decides it (and the widening, {@code 2·m} flops per widened element, is negligible at any
 * side). Measured with m = 1024 on GPT-2 124M and Llama-7B shapes, against {@link Gemm#sgemm} on the
 * float32 matrix in the same run, over several runs on a shared 2-core machine: sides of 64 or less
 * cost 57–283%, 256 up to 16%, 512 up to 7%, 1024 between −9% and +3% (the tied lm head, n = 50257,
 * between −22% and +7%).
 *
 * <p>A BF16 B with few rows of C ({@code m ≤} {@link SkinnyGemm#MAX_M}: a decode step) skips the
 * blocks: {@link SkinnyGemm} widens B while packing its micro-panels, so B is read once and no
 * widened copy is written; the sums are the same, so the result is again bit-identical. What it is
 * not: a BF16 product: only the stored operand is BF16, and the arithmetic is float32 throughout.
 */
public final class Bf16Gemm {
    private Bf16Gemm() {}

    /** The block side aimed at, in columns (rows) of C; sides are even and whole panels, so at most the last block is shorter. */
    static final int BLOCK_SIDE = 1024;

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)} with B in BF16: {@code op(A)} (m, k) from a
     * float array as in {@link Gemm#sgemm}; B stored (k, n), or (n, k) when {@code transB}, with row
     * stride {@code ldb} from element {@code bOff} of {@code b}; C (m, n) with row stride {@code ldc}.
     */
    public static void sgemmB(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                              MemorySegment b, long bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        sgemmB(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, BLOCK_SIDE);
    }

    /** {@link #sgemmB} with blocks of about {@code blockSide} columns (the tests use small ones). */
    static void sgemmB(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                       MemorySegment b, long bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate, int blockSide) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("sgemmB: negative size m=" + m + ", n=" + n + ", k=" + k);
        if (m == 0 || n == 0) return;
        if (m <= SkinnyGemm.MAX_M && k > 0) { // few rows: B streamed once, widened while packed
            Gemm.checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k, transA, m, n, k);
            Gemm.checkOperand("C", c, cOff, ldc, m, n, false, m, n, k);
            checkBf16("B", b, bOff, ldb, transB ? n : k, transB ? k : n, m, n, k);
            SkinnyGemm.sgemm(transA, m, n, k, a, aOff, lda, new SkinnyGemm.Bf16Panels(transB, b, bOff, ldb, n),
                    c, cOff, ldc, accumulate, true);
            return;
        }
        Quant4Gemm.sgemmB(transA, transB, m, n, k, a, aOff, lda, runs(b), bOff, ldb, c, cOff, ldc, accumulate, blockSide);
    }

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)} with A in BF16: A stored (m, k), or (k, m) when
     * {@code transA}, with row stride {@code lda} from element {@code aOff} of {@code a}; {@code op(B)}
     * (k, n) from a float array as in {@link Gemm#sgemm}; C (m, n) with row stride {@code ldc}.
     */
    public static void sgemmA(boolean transA, boolean transB, int m, int n, int k, MemorySegment a, long aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        sgemmA(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, BLOCK_SIDE);
    }

    /** {@link #sgemmA} with blocks of about {@code blockSide} rows (the tests use small ones). */
    static void sgemmA(boolean transA, boolean transB, int m, int n, int k, MemorySegment a, long aOff, int lda,
                       float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate, int blockSide) {
        if (m == 0 || n == 0) return;
        Quant4Gemm.sgemmA(transA, transB, m, n, k, runs(a), aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, blockSide);
    }

    /** Checks that a (rows, cols) BF16 operand with row stride {@code ld} from element {@code off} fits in {@code x}. */
    private static void checkBf16(String name, MemorySegment x, long off, int ld, int rows, int cols, int m, int n, int k) {
        String where = "sgemmB (m=" + m + ", n=" + n + ", k=" + k + "): BF16 " + name + " is " + rows + "×" + cols;
        if (off < 0 || ld < cols) {
            throw new IllegalArgumentException(where + " with offset " + off + " and leading dimension " + ld
                    + ": the offset must be ≥ 0 and the leading dimension ≥ " + cols);
        }
        long end = off + (long) (rows - 1) * ld + cols;
        if (2 * end > x.byteSize()) {
            throw new IllegalArgumentException(where + " with offset " + off + " and leading dimension " + ld
                    + ": needs " + end + " elements but its segment has " + x.byteSize() / 2);
        }
    }

    /** A BF16 matrix as the stored operand of {@link Quant4Gemm}'s blocked products: each run widened in registers. */
    private static Quant4Gemm.Source runs(MemorySegment x) {
        return (dst, dstOff, start, n) -> Bf16Kernels.widenRun(dst, dstOff, x, start, n);
    }
}
