package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused log-softmax kernels over rows of logits (N, V): the log-probability of one label per row,
 * and the entropy of each row's distribution, forward and backward, never materialising the
 * (N, V) log-probability matrix.
 *
 * <p>Each row's log-sum-exp is found in one sweep, online (Milakov &amp; Gimelshein 2018): the row
 * is read in blocks of {@value #BLOCK} floats; a block's maximum is found first, the running sum is
 * rescaled by {@code e^(m_old − m_new)} when it rises, then the block's {@code e^(x − m)} are
 * added while it is still in L1. So memory is swept once and {@code exp} runs once per element.
 * The forward saves only the per-row log-sum-exp; the backward recomputes
 * {@code softmax = e^(x − lse)} from the logits (as llm.c's {@code crossentropy_softmax_backward},
 * without the probability buffer). What it is not: a softmax op, or a loss — losses are built on
 * these in {@code dev.align4j.tensor.LogProbs}.
 *
 * <p>Rows run in parallel, each in one fixed order with {@link VectorMath#exp} and
 * {@link VectorMath#sumLanes}, so results are bit-identical whatever the thread count or the JIT's
 * progress.
 */
public final class LogSoftmaxKernels {
    private LogSoftmaxKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 2048; // floats: 8 KiB, a multiple of every vector length

    /**
     * {@code out[i] = log softmax(logits[i])[labels[i]]}, or 0 where {@code labels[i] == ignoreIndex}.
     *
     * @param out    (N)
     * @param lse    (N) saved log-sum-exp per row (not written for ignored rows)
     * @param logits (N, V) at {@code off}
     * @param labels (N), each in [0, V) or equal to {@code ignoreIndex}
     */
    public static void tokenLogProbsForward(float[] out, float[] lse, float[] logits, int off, int[] labels, int ignoreIndex,
                                            int n, int v) {
        Parallel.forRange(n, Parallel.grain(n, 4L * v), (r0, r1) -> {
            float[] stats = new float[2];
            for (int r = r0; r < r1; r++) {
                if (labels[r] == ignoreIndex) {
                    out[r] = 0f;
                    continue;
                }
                int xo = off + r * v;
                maxAndLogSum(stats, logits, xo, v);
                float m = stats[0], logSum = stats[1];
                lse[r] = m + logSum;
                out[r] = (logits[xo + labels[r]] - m) - logSum;
            }
        });
    }

    /**
     * {@code dlogits[i, j] += dy[i]·(1[j = labels[i]] − softmax[i, j])}, skipping ignored rows.
     *
     * @param dlogits (N, V) at offset 0
     * @param dy      (N)
     * @param logits  (N, V) at {@code off}
     * @param lse     (N) from the forward
     * @param labels  (N)
     */
    public static void tokenLogProbsBackward(float[] dlogits, float[] dy, float[] logits, int off, float[] lse,
                                             int[] labels, int ignoreIndex, int n, int v) {
        int bound = S.loopBound(v);
        Parallel.forRange(n, Parallel.grain(n, 4L * v), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                if (labels[r] == ignoreIndex) continue;
                int xo = off + r * v, go = r * v;
                float g = dy[r], l = lse[r];
                FloatVector vl = FloatVector.broadcast(S, l), vng = FloatVector.broadcast(S, -g);
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector p = VectorMath.exp(FloatVector.fromArray(S, logits, xo + j).sub(vl));
                    FloatVector.fromArray(S, dlogits, go + j).add(p.mul(vng)).intoArray(dlogits, go + j);
                }
                for (; j < v; j++) dlogits[go + j] += VectorMath.exp(logits[xo + j] - l) * -g;
                dlogits[go + labels[r]] += g;
            }
        });
    }

    /**
     * The entropy of each row's softmax, {@code H = −Σ p·log p = log S − T/S} with
     * {@code S = Σ e^(x − m)} and {@code T = Σ e^(x − m)·(x − m)} taken relative to the row
     * maximum {@code m}, so large logits do not cancel.
     *
     * @param out    (N)
     * @param lse    (N) saved log-sum-exp per row
     * @param logits (N, V) at {@code off}
     */
    public static void entropyForward(float[] out, float[] lse, float[] logits, int off, int n, int v) {
        Parallel.forRange(n, Parallel.grain(n, 5L * v), (r0, r1) -> {
            float[] stats = new float[3];
            for (int r = r0; r < r1; r++) {
                maxSumAndMoment(stats, logits, off + r * v, v);
                float m = stats[0], sum = stats[1], moment = stats[2];
                float logSum = (float) StrictMath.log(sum);
                lse[r] = m + logSum;
                out[r] = logSum - moment / sum;
            }
        });
    }

    /**
     * {@code dlogits[i, j] += dy[i]·(−p_j·(log p_j + H_i))}, the derivative of the entropy.
     *
     * @param dlogits (N, V) at offset 0
     * @param dy      (N)
     * @param logits  (N, V) at {@code off}
     * @param lse     (N) from the forward
     * @param entropy (N) from the forward
     */
    public static void entropyBackward(float[] dlogits, float[] dy, float[] logits, int off, float[] lse, float[] entropy,
                                       int n, int v) {
        int bound = S.loopBound(v);
        Parallel.forRange(n, Parallel.grain(n, 5L * v), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int xo = off + r * v, go = r * v;
                float g = dy[r], l = lse[r], h = entropy[r];
                FloatVector vl = FloatVector.broadcast(S, l), vh = FloatVector.broadcast(S, h), vng = FloatVector.broadcast(S, -g);
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector logP = FloatVector.fromArray(S, logits, xo + j).sub(vl);
                    FloatVector d = VectorMath.exp(logP).mul(logP.add(vh)).mul(vng);
                    FloatVector.fromArray(S, dlogits, go + j).add(d).intoArray(dlogits, go + j);
                }
                for (; j < v; j++) {
                    float logP = logits[xo + j] - l;
                    dlogits[go + j] += VectorMath.exp(logP) * (logP + h) * -g;
                }
            }
        });
    }

    /**
     * {@code log Σ_j e^{x[off + j]}} over one row of {@code v} values: the log-softmax normaliser,
     * computed as the fused kernels above compute it (max, then a blocked sum of exponentials).
     */
    public static float logSumExp(float[] x, int off, int v) {
        if (off < 0 || v < 1 || off + v > x.length) {
            throw new IllegalArgumentException("logSumExp: row [" + off + ", " + off + " + " + v + ") outside an array of " + x.length);
        }
        float[] stats = new float[2];
        maxAndLogSum(stats, x, off, v);
        return stats[0] + stats[1];
    }

    /** stats = {max, log Σ e^(x − max)} of a row, in one blocked online sweep. */
    private static void maxAndLogSum(float[] stats, float[] x, int off, int v) {
        float m = Float.NEGATIVE_INFINITY;
        FloatVector acc = FloatVector.zero(S);
        float tail = 0f; // the scalar tail of the last block
        for (int b0 = 0; b0 < v; b0 += BLOCK) {
            int b1 = Math.min(v, b0 + BLOCK);
            float bm = blockMax(x, off + b0, b1 - b0);
            if (bm > m) {
                if (m != Float.NEGATIVE_INFINITY) acc = acc.mul(VectorMath.exp(m - bm));
                m = bm;
            }
            FloatVector vm = FloatVector.broadcast(S, m), blk = FloatVector.zero(S);
            int j = b0, bound = b0 + S.loopBound(b1 - b0);
            for (; j < bound; j += S.length()) blk = blk.add(VectorMath.exp(FloatVector.fromArray(S, x, off + j).sub(vm)));
            for (; j < b1; j++) tail += VectorMath.exp(x[off + j] - m);
            acc = acc.add(blk);
        }
        stats[0] = m;
        stats[1] = (float) StrictMath.log(VectorMath.sumLanes(acc) + tail);
    }

    /** stats = {max, Σ e^(x − max), Σ e^(x − max)·(x − max)} of a row, in one blocked online sweep. */
    private static void maxSumAndMoment(float[] stats, float[] x, int off, int v) {
        float m = Float.NEGATIVE_INFINITY;
        FloatVector accS = FloatVector.zero(S), accT = FloatVector.zero(S);
        float tailS = 0f, tailT = 0f;
        for (int b0 = 0; b0 < v; b0 += BLOCK) {
            int b1 = Math.min(v, b0 + BLOCK);
            float bm = blockMax(x, off + b0, b1 - b0);
            if (bm > m) {
                if (m != Float.NEGATIVE_INFINITY) { // re-centre: T' = α(T + (m_old − m_new)·S), S' = α·S
                    float alpha = VectorMath.exp(m - bm);
                    accT = accT.add(accS.mul(m - bm)).mul(alpha);
                    accS = accS.mul(alpha);
                }
                m = bm;
            }
            FloatVector vm = FloatVector.broadcast(S, m), blkS = FloatVector.zero(S), blkT = FloatVector.zero(S);
            int j = b0, bound = b0 + S.loopBound(b1 - b0);
            for (; j < bound; j += S.length()) {
                FloatVector d = FloatVector.fromArray(S, x, off + j).sub(vm), e = VectorMath.exp(d);
                blkS = blkS.add(e);
                blkT = blkT.add(e.mul(d));
            }
            for (; j < b1; j++) {
                float d = x[off + j] - m, e = VectorMath.exp(d);
                tailS += e;
                tailT += e * d;
            }
            accS = accS.add(blkS);
            accT = accT.add(blkT);
        }
        stats[0] = m;
        stats[1] = VectorMath.sumLanes(accS) + tailS;
        stats[2] = VectorMath.sumLanes(accT) + tailT;
    }

    private static float blockMax(float[] x, int off, int len) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = S.loopBound(len); j < bound; j += S.length()) acc = acc.max(FloatVector.fromArray(S, x, off + j));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; j < len; j++) m = Math.max(m, x[off + j]);
        return m;
    }
}
