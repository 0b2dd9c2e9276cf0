package dev.align4j.tensor.kernels;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm and RMSNorm over the last axis of a row-major (N, C) block: forward and fused
 * backward kernels.
 *
 * <p>What it is: the llm.c {@code layernorm_forward} / {@code layernorm_backward} pair, vectorised,
 * with RMSNorm (Zhang &amp; Sennrich 2019, as Hugging Face's {@code LlamaRMSNorm}) as the
 * uncentred case of the same code. The forward saves per-row statistics (mean, rstd); the backward
 * recomputes the normalised row from them. What it is not: an op with autograd or shape checks —
 * {@code dev.align4j.tensor.Norms} does those once per call; here every size is trusted.
 *
 * <p>Parallelism and determinism: rows are independent, so the forward and {@code dx} run in
 * parallel over rows, each row reduced in one fixed order. The weight and bias gradients sum over
 * rows; they run in parallel over <em>columns</em> instead, each column summed over rows in
 * row order (in blocks of {@value #ROW_BLOCK} rows whose partial sums are then added in order), so
 * the result never depends on the thread count or the chunking.
 */
public final class NormKernels {
    private NormKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ROW_BLOCK = 64;

    /**
     * LayerNorm forward: {@code out = ((x − mean)·rstd)·w + b} per row, {@code rstd = 1/√(var + eps)}
     * with the biased variance (PyTorch {@code nn.LayerNorm}). Saves {@code mean} and {@code rstd}.
     *
     * @param out  (N, C) at offset 0
     * @param mean (N)
     * @param rstd (N)
     * @param x    (N, C) at {@code xOff}
     * @param w    (C) at {@code wOff}
     * @param b    (C) at {@code bOff}, or null for no bias
     */
    public static void layerNormForward(float[] out, float[] mean, float[] rstd,
                                        float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
                                        int n, int c, float eps) {
        Parallel.forRange(n, Parallel.grain(n, 4L * c), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = xOff + r * c, oo = r * c;
                float m = sum(x, xo, c) / c;
                float s = 1f / (float) Math.sqrt(sumSquaredDeviation(x, xo, c, m) / c + eps);
                mean[r] = m;
                rstd[r] = s;
                FloatVector vm = FloatVector.broadcast(S, m), vs = FloatVector.broadcast(S, s);
                int j = 0;
                for (int bound = S.loopBound(c); j < bound; j += S.length()) {
                    FloatVector y = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vs).mul(FloatVector.fromArray(S, w, wOff + j));
                    if (b != null) y = y.add(FloatVector.fromArray(S, b, bOff + j));
                    y.intoArray(out, oo + j);
                }
                for (; j < c; j++) {
                    float y = (x[xo + j] - m) * s * w[wOff + j];
                    out[oo + j] = b != null ? y + b[bOff + j] : y;
                }
            }
        });
    }

    /**
     * RMSNorm forward: {@code out = (x·rstd)·w} per row, {@code rstd = 1/√(mean(x²) + eps)}, in the
     * order Hugging Face's {@code LlamaRMSNorm} multiplies. Saves {@code rstd}.
     *
     * @param out  (N, C) at offset 0
     * @param rstd (N)
     * @param x    (N, C) at {@code xOff}
     * @param w    (C) at {@code wOff}
     */
    public static void rmsNormForward(float[] out, float[] rstd, float[] x, int xOff, float[] w, int wOff,
                                      int n, int c, float eps) {
        Parallel.forRange(n, Parallel.grain(n, 3L * c), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = xOff + r * c, oo = r * c;
                float s = 1f / (float) Math.sqrt(sumSquaredDeviation(x, xo, c, 0f) / c + eps);
                rstd[r] = s;
                FloatVector vs = FloatVector.broadcast(S, s);
                int j = 0;
                for (int bound = S.loopBound(c); j < bound; j += S.length()) {
                    FloatVector.fromArray(S, x, xo + j).mul(vs).mul(FloatVector.fromArray(S, w, wOff + j)).intoArray(out, oo + j);
                }
                for (; j < c; j++) out[oo + j] = x[xo + j] * s * w[wOff + j];
            }
        });
    }

    /**
     * Backward of {@link #layerNormForward} (when {@code mean} is non-null) or {@link #rmsNormForward}
     * (when {@code mean} is null), accumulating into each gradient that is non-null. With
     * {@code norm = (x − mean)·rstd} and {@code dnorm = dout·w} (llm.c {@code layernorm_backward}):
     * <pre>
     *   dx += (dnorm − mean(dnorm) − norm·mean(dnorm·norm))·rstd     (RMSNorm drops the mean(dnorm) term)
     *   dw += Σ_rows dout·norm        db += Σ_rows dout
     * </pre>
     *
     * @param dx   (N, C) at offset 0, or null
     * @param dw   (C) at offset 0, or null
     * @param db   (C) at offset 0, or null (always null for RMSNorm)
     * @param dout (N, C) at offset 0
     * @param x    (N, C) at {@code xOff}
     * @param w    (C) at {@code wOff}
     * @param mean (N), or null for RMSNorm
     * @param rstd (N)
     */
    public static void normBackward(float[] dx, float[] dw, float[] db, float[] dout,
                                    float[] x, int xOff, float[] w, int wOff, float[] mean, float[] rstd,
                                    int n, int c) {
        if (dx != null) {
            Parallel.forRange(n, Parallel.grain(n, 8L * c), (r0, r1) -> {
                for (int r = r0; r < r1; r++) inputGradRow(dx, dout, x, xOff, w, wOff, mean, rstd, r, c);
            });
        }
        if (dw != null || db != null) {
            int grain = roundUpToLanes(Parallel.grain(c, 3L * n));
            Parallel.forRange(c, grain, (j0, j1) -> weightGradColumns(dw, db, dout, x, xOff, mean, rstd, n, c, j0, j1));
        }
    }

    private static void inputGradRow(float[] dx, float[] dout, float[] x, int xOff, float[] w, int wOff,
                                     float[] mean, float[] rstd, int r, int c) {
        int xo = xOff + r * c, go = r * c;
        float m = mean != null ? mean[r] : 0f, s = rstd[r];
        FloatVector vm = FloatVector.broadcast(S, m), vs = FloatVector.broadcast(S, s);
        // pass 1: Σ dnorm and Σ dnorm·norm
        FloatVector accD = FloatVector.zero(S), accDn = FloatVector.zero(S);
        int j = 0;
        int bound = S.loopBound(c);
        for (; j < bound; j += S.length()) {
            FloatVector dnorm = FloatVector.fromArray(S, dout, go + j).mul(FloatVector.fromArray(S, w, wOff + j));
            FloatVector norm = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vs);
            accD = accD.add(dnorm);
            accDn = accDn.add(dnorm.mul(norm));
        }
        float sumD = VectorMath.sumLanes(accD), sumDn = VectorMath.sumLanes(accDn);
        for (; j < c; j++) {
            float dnorm = dout[go + j] * w[wOff + j];
            sumD += dnorm;
            sumDn += dnorm * ((x[xo + j] - m) * s);
        }
        float dMean = mean != null ? sumD / c : 0f, dnMean = sumDn / c;
        // pass 2: dx += (dnorm − dMean − norm·dnMean)·rstd
        FloatVector vdm = FloatVector.broadcast(S, dMean), vdnm = FloatVector.broadcast(S, dnMean);
        for (j = 0; j < bound; j += S.length()) {
            FloatVector dnorm = FloatVector.fromArray(S, dout, go + j).mul(FloatVector.fromArray(S, w, wOff + j));
            FloatVector norm = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vs);
            FloatVector g = dnorm.sub(vdm).sub(norm.mul(vdnm)).mul(vs);
            FloatVector.fromArray(S, dx, go + j).add(g).intoArray(dx, go + j);
        }
        for (; j < c; j++) {
            float dnorm = dout[go + j] * w[wOff + j];
            float norm = (x[xo + j] - m) * s;
            dx[go + j] += (dnorm - dMean - norm * dnMean) * s;
        }
    }

    /** dw, db over columns [j0, j1): each column summed over rows in order, in blocks of ROW_BLOCK rows. */
    private static void weightGradColumns(float[] dw, float[] db, float[] dout, float[] x, int xOff,
                                          float[] mean, float[] rstd, int n, int c, int j0, int j1) {
        int width = j1 - j0, bound = S.loopBound(width);
        float[] totW = new float[width], totB = new float[width], blkW = new float[width], blkB = new float[width];
        for (int r0 = 0; r0 < n; r0 += ROW_BLOCK) {
            Arrays.fill(blkW, 0f);
            Arrays.fill(blkB, 0f);
            for (int r = r0, r1 = Math.min(n, r0 + ROW_BLOCK); r < r1; r++) {
                int xo = xOff + r * c + j0, go = r * c + j0;
                float m = mean != null ? mean[r] : 0f, s = rstd[r];
                FloatVector vm = FloatVector.broadcast(S, m), vs = FloatVector.broadcast(S, s);
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector g = FloatVector.fromArray(S, dout, go + j);
                    FloatVector norm = FloatVector.fromArray(S, x, xo + j).sub(vm).mul(vs);
                    FloatVector.fromArray(S, blkW, j).add(g.mul(norm)).intoArray(blkW, j);
                    FloatVector.fromArray(S, blkB, j).add(g).intoArray(blkB, j);
                }
                for (; j < width; j++) {
                    blkW[j] += dout[go + j] * ((x[xo + j] - m) * s);
                    blkB[j] += dout[go + j];
                }
            }
            for (int j = 0; j < width; j++) {
                totW[j] += blkW[j];
                totB[j] += blkB[j];
            }
        }
        for (int j = 0; j < width; j++) {
            if (dw != null) dw[j0 + j] += totW[j];
            if (db != null) db[j0 + j] += totB[j];
        }
    }

    /** Σ a[off .. off+len), lane partial sums, then the lanes in order, then the tail, in that fixed order. */
    private static float sum(float[] a, int off, int len) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(len); j < bound; j += S.length()) acc = acc.add(FloatVector.fromArray(S, a, off + j));
        float s = VectorMath.sumLanes(acc);
        for (; j < len; j++) s += a[off + j];
        return s;
    }

    /** Σ (a − m)² over a[off .. off+len), in the same order as {@link #sum}. */
    private static float sumSquaredDeviation(float[] a, int off, int len, float m) {
        FloatVector acc = FloatVector.zero(S), vm = FloatVector.broadcast(S, m);
        int j = 0;
        for (int bound = S.loopBound(len); j < bound; j += S.length()) {
            FloatVector d = FloatVector.fromArray(S, a, off + j).sub(vm);
            acc = acc.add(d.mul(d));
        }
        float s = VectorMath.sumLanes(acc);
        for (; j < len; j++) {
            float d = a[off + j] - m;
            s += d * d;
        }
        return s;
    }

    private static int roundUpToLanes(int k) {
        int l = S.length();
        return (k + l - 1) / l * l;
    }
}
