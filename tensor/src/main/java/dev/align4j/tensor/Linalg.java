package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Gemm;


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
 */
public final class Linalg {
    private Linalg() {}

    /** {@code a·b}: (M, K)·(K, N) → (M, N), or batched (B, M, K)·(B, K, N) → (B, M, N). */
    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, false, false);
    }

    /**
     * {@code op(a)·op(b)} where {@code op} transposes the last two axes when its flag is set.
     * Both operands are rank 2, or both rank 3 with the same batch size.
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        String op = "matmul" + (transA ? "(Aᵀ" : "(A") + (transB ? "·Bᵀ)" : "·B)");
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
        Tensor out = Tensor.zeros(outShape);
        int aStride = ar * ac, bStride = br * bc, cStride = m * n;
        for (int z = 0; z < batch; z++) {
            Gemm.sgemm(transA, transB, m, n, k, a.data, a.offset + z * aStride, ac, b.data, b.offset + z * bStride, bc,
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
                        Gemm.sgemm(false, !transB, m, k, n, dc, co, n, b.data, b.offset + z * bStride, bc, da, ao, ac, true);
                    } else {       // dA (K,M) = op(B)·dCᵀ
                        Gemm.sgemm(transB, true, k, m, n, b.data, b.offset + z * bStride, bc, dc, co, n, da, ao, ac, true);
                    }
                }
                if (b.requiresGrad()) {
                    float[] db = b.gradBuffer();
                    int bo = z * bStride;
                    if (!transB) { // dB (K,N) = op(A)ᵀ·dC
                        Gemm.sgemm(!transA, false, k, n, m, a.data, a.offset + z * aStride, ac, dc, co, n, db, bo, bc, true);
                    } else {       // dB (N,K) = dCᵀ·op(A)
                        Gemm.sgemm(true, transA, n, k, m, dc, co, n, a.data, a.offset + z * aStride, ac, db, bo, bc, true);
                    }
                }
            }
        }, a, b);
        return out;
    }

}
