package dev.align4j.tensor.kernels;

/**
 * Single-precision matrix multiply: {@code C = beta·C + op(A)·op(B)} with {@code op(X)} either
 * {@code X} or {@code Xᵀ}, row-major, leading dimensions as in BLAS. {@code beta} is 0 or 1.
 */
public final class Gemm {
    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        Parallel.forRange(m, Parallel.grain(m, (long) n * k), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    for (int p = 0; p < k; p++) {
                        float x = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        float y = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                        s += x * y;
                    }
                    int ci = cOff + i * ldc + j;
                    c[ci] = accumulate ? c[ci] + s : s;
                }
            }
        });
    }
}
