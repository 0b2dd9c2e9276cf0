package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Bf16Gemm;
import dev.align4j.tensor.kernels.ElementwiseKernels;
import dev.align4j.tensor.kernels.Gemm;
import dev.align4j.tensor.kernels.ReductionKernels;
import dev.align4j.tensor.kernels.Quant4Gemm;

/**
 * Matrix products with either operand transposed, plain or batched, and their backward.
 *
 * <p>Transposes are never materialised: the flag goes to {@link Gemm#sgemm}, whose packed
 * kernels read either layout. The backward of each product is again a product of the three
 * kinds training needs (A·B, A·Bᵀ, Aᵀ·B):
 * <pre>
 *   C = op(A)·op(B)
 *   dop(A) = dC·op(B)ᵀ      dop(B) = op(A)ᵀ·dC
 * </pre>
 * written back through the transpose flags so each gradient lands in its operand's own layout.
 *
 * <p>A frozen BF16 weight ({@link Tensor#frozenBf16}) may be the B operand of a plain product, so
 * the weight of {@link #linear} and {@link #conv1d}: {@link Bf16Gemm} widens it block by block
 * inside the product, and the result is bit-identical to the product with the widened float32
 * weight. It gets no gradient (it cannot require one); the gradient of A flows through it. A frozen
 * 4-bit weight ({@link Tensor#quantize4Bit}) takes the same place through {@link Quant4Gemm}, which
 * dequantises it block by block: the result is bit-identical to the product with the dequantised
 * float32 weight, and no float32 copy of the whole weight is made, forward or backward (bitsandbytes'
 * {@code MatMul4Bit}: {@code dA = dC·op(B)ᵀ} with B dequantised again).
 */
public final class Linalg {
    private Linalg() {}

    /** {@code a·b}: (M, K)·(K, N) → (M, N), or batched (B, M, K)·(B, K, N) → (B, M, N). */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, false, false);
    }

    /**
     * {@code op(a)·op(b)} where {@code op} transposes the last two axes when its flag is set.
     * Both operands are rank 2, or both rank 3 with the same batch size; {@code b} may be a frozen
     * BF16 or 4-bit matrix (rank 2).
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        String op = "matmul" + (transA ? "(Aᵀ" : "(A") + (transB ? "·Bᵀ)" : "·B)");
        Tensor.requireFloat32(op, a);
        if ((b.isBf16() || b.is4Bit()) && b.rank() != 2) {
            throw new IllegalArgumentException(op + ": a frozen " + b.dtype() + " B operand must be a matrix (rank 2), got "
                    + b.describe());
        }
        if (a.rank() != b.rank() || a.rank() < 2 || a.rank() > 3) {
            throw new IllegalArgumentException(op + ": operands must both be rank 2 or both rank 3, got "
                    + a.describe() + " and " + b.describe());
        }
        int batch = a.rank() == 3 ? a.dim(0) : 1;
        if (a.rank() == 3 && b.dim(0) != batch) {
            throw new IllegalArgumentException(op + ": batch sizes differ: " + a.describe() + " and " + b.describe());
        }
        int ar = a.dim(-2), ac = a.dim(-1), br = b.dim(-2), bc = b.dim(-1);
        int m = transA ? ac : ar, k = transA ? ar : ac;
        int kb = transB ? bc : br, n = transB ? br : bc;
        if (k != kb) {
            throw new IllegalArgumentException(op + ": inner sizes differ (" + k + " vs " + kb + ") for "
                    + a.describe() + " and " + b.describe());
        }
        int[] outShape = a.rank() == 3 ? new int[] {batch, m, n} : new int[] {m, n};
        Tensor out = k > 0 ? Tensor.forOverwrite(outShape) : Tensor.zeros(outShape); // the products write all of C (k = 0: zeros)
        int aStride = ar * ac, bStride = br * bc, cStride = m * n;
        if (b.isBf16()) {
            Bf16Gemm.sgemmB(transA, transB, m, n, k, a.data, a.offset, ac, b.bf16Storage(), 0, bc, out.data, 0, n, false);
            Autograd.record(out, op, () -> { // dop(A) only: a BF16 operand never requires grad
                if (!a.requiresGrad()) return;
                float[] dc = out.gradOrNull(), da = a.gradBuffer();
                if (!transA) Bf16Gemm.sgemmB(false, !transB, m, k, n, dc, 0, n, b.bf16Storage(), 0, bc, da, 0, ac, true);
                else Bf16Gemm.sgemmA(transB, true, k, m, n, b.bf16Storage(), 0, bc, dc, 0, n, da, 0, ac, true);
            }, a, b);
            return out;
        }
        if (b.is4Bit()) {
            Quant4Weight q = b.quant4Storage();
            Quant4Gemm.sgemmB(transA, transB, m, n, k, a.data, a.offset, ac, q, 0, bc, out.data, 0, n, false);
            Autograd.record(out, op, () -> { // dop(A) only: a 4-bit operand never requires grad
                if (!a.requiresGrad()) return;
                float[] dc = out.gradOrNull(), da = a.gradBuffer();
                if (!transA) Quant4Gemm.sgemmB(false, !transB, m, k, n, dc, 0, n, q, 0, bc, da, 0, ac, true);
                else Quant4Gemm.sgemmA(transB, true, k, m, n, q, 0, bc, dc, 0, n, da, 0, ac, true);
            }, a, b);
            return out;
        }
        for (int z = 0; z < batch; z++) {
            tiled(transA, transB, m, n, k, a.data, a.offset + z * aStride, ac, b.data, b.offset + z * bStride, bc,
                    out.data, z * cStride, n, false);
        }
        Autograd.record(out, op, () -> {
            float[] dc = out.gradOrNull();
            for (int z = 0; z < batch; z++) {
                int co = z * cStride;
                if (a.requiresGrad()) {
                    float[] da = a.gradBuffer();
                    int ao = z * aStride;
                    if (!transA) { // dA (M,K) = dC·op(B)ᵀ
                        tiled(false, !transB, m, k, n, dc, co, n, b.data, b.offset + z * bStride, bc, da, ao, ac, true);
                    } else {       // dA (K,M) = op(B)·dCᵀ
                        tiled(transB, true, k, m, n, b.data, b.offset + z * bStride, bc, dc, co, n, da, ao, ac, true);
                    }
                }
                if (b.requiresGrad()) {
                    float[] db = b.gradBuffer();
                    int bo = z * bStride;
                    if (!transB) { // dB (K,N) = op(A)ᵀ·dC
                        tiled(!transA, false, k, n, m, a.data, a.offset + z * aStride, ac, dc, co, n, db, bo, bc, true);
                    } else {       // dB (N,K) = dCᵀ·op(A)
                        tiled(true, transA, n, k, m, dc, co, n, a.data, a.offset + z * aStride, ac, db, bo, bc, true);
                    }
                }
            }
        }, a, b);
        return out;
    }


    /** Rows or columns of C beyond which a float32 product is cut into tiles ({@link #tiled}). */
    static final int TILE = 16_384;

    /**
     * {@link Gemm#sgemm} in tiles of at most about {@link #TILE} rows and columns of C. Gemm packs all
     * of op(A) and op(B) for each depth block and keeps that buffer on the thread, {@code 2·(m + n)·256}
     * floats: 311 MB for an output head over Qwen2.5's 151936-token vocabulary, against 32 MB per tile.
     * Tiles never cut the reduction, and Gemm sums an element the same way whatever part of C a call
     * computes, so the result is bit-identical to one call; products within a tile each way are one call.
     */
    static void tiled(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int mb = Math.ceilDiv(m, Math.max(1, Math.ceilDiv(m, TILE))), nb = Math.ceilDiv(n, Math.max(1, Math.ceilDiv(n, TILE)));
        if (mb >= m && nb >= n) {
            Gemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        for (int i0 = 0; i0 < m; i0 += mb) {
            for (int j0 = 0; j0 < n; j0 += nb) {
                Gemm.sgemm(transA, transB, Math.min(mb, m - i0), Math.min(nb, n - j0), k, a, aOff + (transA ? i0 : i0 * lda), lda,
                        b, bOff + (transB ? j0 * ldb : j0), ldb, c, cOff + i0 * ldc + j0, ldc, accumulate);
            }
        }
    }

    /**
     * A linear layer as PyTorch's {@code F.linear}: {@code x·Wᵀ + b} with {@code x} (N, in), the
     * weight in Hugging Face's {@code [out, in]} layout (float32, frozen BF16 or frozen 4-bit) and an optional bias (out).
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor.requireFloat32("linear", x, bias);
        Shapes.requireRank("linear", x, 2);
        Shapes.requireRank("linear", weight, 2);
        if (x.dim(1) != weight.dim(1)) {
            throw new IllegalArgumentException("linear: input " + x.describe() + " has " + x.dim(1)
                    + " features but weight " + weight.describe() + " [out, in] expects " + weight.dim(1));
        }
        return addBias("linear", matmul(x, weight, false, true), bias);
    }

    /**
     * GPT-2's {@code Conv1D}: {@code x·W + b} with the weight stored {@code [in, out]}, as the Hub
     * keeps it (float32, frozen BF16 or frozen 4-bit), so no transpose is needed anywhere.
     */
    public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias) {
        Tensor.requireFloat32("conv1d", x, bias);
        Shapes.requireRank("conv1d", x, 2);
        Shapes.requireRank("conv1d", weight, 2);
        if (x.dim(1) != weight.dim(0)) {
            throw new IllegalArgumentException("conv1d: input " + x.describe() + " has " + x.dim(1)
                    + " features but weight " + weight.describe() + " [in, out] expects " + weight.dim(0));
        }
        return addBias("conv1d", matmul(x, weight, false, false), bias);
    }

    /**
     * Adds a bias (out) to every row of {@code y} (N, out) in place of a broadcast; the bias gradient
     * is the column sum of the upstream gradient, accumulated row by row in a fixed order.
     */
    private static Tensor addBias(String op, Tensor y, Tensor bias) {
        if (bias == null) return y;
        int n = y.dim(0), out = y.dim(1);
        if (bias.rank() != 1 || bias.dim(0) != out) {
            throw new IllegalArgumentException(op + ": bias " + bias.describe() + " does not match the " + out + " outputs");
        }
        Tensor z = new Tensor(y.data, 0, y.shape()); // same storage: the bias is added in place
        ElementwiseKernels.addToRows(z.data, bias.data, bias.offset, n, out);
        Autograd.record(z, op + "_bias", () -> {
            float[] g = z.gradOrNull();
            if (bias.requiresGrad()) ReductionKernels.accumulateColumns(bias.gradBuffer(), g, n, out);
            Autograd.passThrough(y, z); // after the bias has read g: y may take g as its own
        }, y, bias);
        return z;
    }
}
