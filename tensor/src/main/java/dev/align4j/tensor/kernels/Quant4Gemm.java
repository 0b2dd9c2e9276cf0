package dev.align4j.tensor.kernels;

/**
 * Matrix multiply with one operand stored 4-bit, or in any form a {@link Source} decodes (BF16:
 * {@link Bf16Gemm} uses these blocked products for all but few-row shapes):
 * {@code C = beta·C + op(A)·op(B)} as {@link Gemm#sgemm}, the stored operand dequantised block by
 * block into a reused float scratch and each block multiplied by {@link Gemm#sgemm}.
 *
 * <p>The same blocking as {@link Bf16Gemm} (read its Javadoc for the measurements behind the block
 * side): blocks run along the side of C the stored operand owns — C's columns for a stored B
 * ({@link #sgemmB}), C's rows for a stored A ({@link #sgemmA}) — never along the reduction, so every
 * element of C is one {@link Gemm#sgemm} sum over all of {@code k} and the result is bit-identical
 * to the product with the whole dequantised matrix. No float32 copy of the stored matrix exists in
 * full: the scratch ({@code side·k} floats, side about {@link #BLOCK_SIDE}) belongs to the calling
 * thread and is kept for the next call; the rows of a block are decoded in parallel.
 *
 * <p>Based on bitsandbytes' {@code MatMul4Bit} for training shapes, which dequantises the whole
 * weight ({@code F.dequantize_4bit}) and calls a float GEMM, forward and backward alike; here the
 * dequantisation is cut into blocks so its scratch stays small. What it is not: a fused kernel that
 * decodes while packing, nor an integer product: the arithmetic is float32 throughout.
 */
public final class Quant4Gemm {
    private Quant4Gemm() {}

    /** A stored row-major matrix, decoded a run at a time. */
    @FunctionalInterface
    public interface Source {
        /** {@code dst[dstOff + i] = element (start + i)} of the row-major matrix, for i in [0, n). */
        void decode(float[] dst, int dstOff, long start, int n);
    }

    /** The block side aimed at, in columns (rows) of C ({@link Bf16Gemm}'s Javadoc has the measurements behind it). */
    static final int BLOCK_SIDE = 1024;
    /** Block sides of at least this are rounded up to a multiple of it (whole panels of Gemm's kernel). */
    static final int ALIGN = 64;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)} with B stored: {@code op(A)} (m, k) from a float
     * array as in {@link Gemm#sgemm}; B stored (k, n), or (n, k) when {@code transB}, with row stride
     * {@code ldb} from element {@code bOff}; C (m, n) with row stride {@code ldc}.
     */
    public static void sgemmB(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                              Source b, long bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        sgemmB(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, BLOCK_SIDE);
    }

    /** {@link #sgemmB} with blocks of about {@code blockSide} columns (the tests use small ones). */
    static void sgemmB(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                       Source b, long bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate, int blockSide) {
        if (m == 0 || n == 0) return;
        int block = blockSide(n, blockSide);
        float[] w = scratch(block * k);
        for (int j0 = 0; j0 < n; j0 += block) {
            int nb = Math.min(block, n - j0);
            if (transB) { // rows j0.. of B (n, k) → w (nb, k)
                decode(w, b, bOff + (long) j0 * ldb, ldb, nb, k);
                Gemm.sgemm(transA, true, m, nb, k, a, aOff, lda, w, 0, k, c, cOff + j0, ldc, accumulate);
            } else {      // columns j0.. of B (k, n) → w (k, nb)
                decode(w, b, bOff + j0, ldb, k, nb);
                Gemm.sgemm(transA, false, m, nb, k, a, aOff, lda, w, 0, nb, c, cOff + j0, ldc, accumulate);
            }
        }
    }

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)} with A stored: A stored (m, k), or (k, m) when
     * {@code transA}, with row stride {@code lda} from element {@code aOff}; {@code op(B)} (k, n) from a
     * float array as in {@link Gemm#sgemm}; C (m, n) with row stride {@code ldc}.
     */
    public static void sgemmA(boolean transA, boolean transB, int m, int n, int k, Source a, long aOff, int lda,
                              float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        sgemmA(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, BLOCK_SIDE);
    }

    /** {@link #sgemmA} with blocks of about {@code blockSide} rows (the tests use small ones). */
    static void sgemmA(boolean transA, boolean transB, int m, int n, int k, Source a, long aOff, int lda,
                       float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate, int blockSide) {
        if (m == 0 || n == 0) return;
        int block = blockSide(m, blockSide);
        float[] w = scratch(block * k);
        for (int i0 = 0; i0 < m; i0 += block) {
            int mb = Math.min(block, m - i0);
            if (!transA) { // rows i0.. of A (m, k) → w (mb, k)
                decode(w, a, aOff + (long) i0 * lda, lda, mb, k);
                Gemm.sgemm(false, transB, mb, n, k, w, 0, k, b, bOff, ldb, c, cOff + i0 * ldc, ldc, accumulate);
            } else {       // columns i0.. of A (k, m) → w (k, mb)
                decode(w, a, aOff + i0, lda, k, mb);
                Gemm.sgemm(true, transB, mb, n, k, w, 0, mb, b, bOff, ldb, c, cOff + i0 * ldc, ldc, accumulate);
            }
        }
    }

    /** {@code w[r, c] = src[start + r·ld + c]} for a dense (rows, cols) block; rows spread over the pool. */
    private static void decode(float[] w, Source src, long start, long ld, int rows, int cols) {
        Parallel.forRange(rows, Parallel.grain(rows, 4L * cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) src.decode(w, r * cols, start + r * ld, cols);
        });
    }

    /** Columns (or rows) per block: {@code size} cut evenly into blocks of at most about {@code target}. */
    private static int blockSide(int size, int target) {
        int side = Math.ceilDiv(size, Math.ceilDiv(size, target));
        return target >= ALIGN ? Math.min(size, Math.ceilDiv(side, ALIGN) * ALIGN) : side;
    }

    private static float[] scratch(int size) {
        float[][] holder = SCRATCH.get();
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }
}
