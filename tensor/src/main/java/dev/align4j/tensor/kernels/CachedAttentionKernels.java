package dev.align4j.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of new queries over a KV cache, forward only: the prefill and decode steps of the
 * generation engine.
 *
 * <p>What it is: for a packed batch of new tokens cut into segments (one per sequence), segment
 * {@code s} has its own key and value buffers, (capacity, Hkv, D), whose first {@code lengths[s]}
 * rows are valid and end with the segment's own new tokens. New token {@code i} of the segment (0
 * based) sits at row {@code past + i}, {@code past = lengths[s] − segmentLength}, and attends to
 * rows {@code 0 .. past + i}: everything cached plus the new tokens up to itself (causal within the
 * new tokens). Query head {@code h} reads kv head {@code h / (H / Hkv)} (grouped-query attention).
 * Per query: {@code s_j = scale·q·k_j}, {@code p_j = exp(s_j − max s)}, {@code out = Σ p_j·v_j / Σ p_j},
 * the sums in key order, whatever the task grid: tasks are (segment, run of heads), with as
 * few runs as leave each thread two tasks (all heads of a sequence from batch 4 on, a quarter of
 * them at batch 1 on 2 threads), so the result does not depend on the thread count. A task reads
 * each cached row once for all its heads, key by key, so the rows of the cache stream in long
 * pieces instead of one head's 256 bytes per task. Measured on GPT-2 shapes (12 layers, 2
 * threads), against one task per (segment, head): batch 32 × 48 keys 24 ms against 38; batch 4
 * × 300 keys 16 against 30; batch 1 × 1000 keys 19 against 29; batch 1 × 200 keys 3.5 against
 * 3.3.
 *
 * <p>What it is not: a backward (generation runs without gradients; {@code AttentionKernels} owns
 * the training kernel), a tiled FlashAttention (a decode step has one query per sequence, so the
 * work is a pass over the cache per head; a long prefill would be faster tiled), or a paged cache
 * (each sequence's buffer is contiguous).
 *
 * <p>Based on the decode step of llama2.c's {@code run.c} ({@code forward}: scores over the cache,
 * softmax, weighted sum of values), with the segments of FlashAttention's {@code cu_seqlens}.
 */
public final class CachedAttentionKernels {
    private CachedAttentionKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * Writes {@code out} (T, H, D) from index 0 for {@code q} (T, H, D) at {@code qOff}; segment
     * {@code s} (tokens {@code offsets[s] .. offsets[s+1]}) reads keys {@code k[s]} and values
     * {@code v[s]}, (capacity, Hkv, D) from {@code kOff[s]} and {@code vOff[s]}, rows
     * {@code 0 .. lengths[s]}. All sizes are validated by the caller: {@code lengths[s]} is at least
     * the segment's length and within the buffers; {@code nHead % nKvHead == 0}.
     */
    public static void forward(float[] out, float[] q, int qOff, float[][] k, int[] kOff, float[][] v, int[] vOff,
                               int[] lengths, int[] offsets, int nHead, int nKvHead, int headDim, float scale) {
        int segments = offsets.length - 1, group = nHead / nKvHead, d = headDim;
        int maxLen = 0, maxNew = 0;
        for (int s = 0; s < segments; s++) {
            maxLen = Math.max(maxLen, lengths[s]);
            maxNew = Math.max(maxNew, offsets[s + 1] - offsets[s]);
        }
        // tasks: (segment, run of heads); as few runs as leave each thread two tasks
        int runs = Math.min(nHead, Math.ceilDiv(2 * Parallel.threads(), segments)), heads = Math.ceilDiv(nHead, runs);
        int tasks = segments * Math.ceilDiv(nHead, heads), perSegment = Math.ceilDiv(nHead, heads), scoresLen = maxLen;
        Parallel.forRange(tasks, Parallel.grain(tasks, 4L * maxNew * maxLen * d * heads), (t0, t1) -> {
            float[] p = new float[heads * scoresLen]; // per head of the run: scores, then probabilities, of one query
            float[] max = new float[heads], sum = new float[heads];
            for (int t = t0; t < t1; t++) {
                int s = t / perSegment, h0 = (t % perSegment) * heads, h1 = Math.min(nHead, h0 + heads);
                int n = offsets[s + 1] - offsets[s], past = lengths[s] - n;
                float[] ks = k[s], vs = v[s];
                for (int i = 0; i < n; i++) {
                    int token = offsets[s] + i, keys = past + i + 1;
                    Arrays.fill(max, Float.NEGATIVE_INFINITY);
                    for (int j = 0; j < keys; j++) { // a cached row once for all heads of the run
                        for (int h = h0; h < h1; h++) {
                            float x = scale * AttentionTiles.dot(q, qOff + (token * nHead + h) * d, ks, kOff[s] + (j * nKvHead + h / group) * d, d);
                            p[(h - h0) * scoresLen + j] = x;
                            max[h - h0] = Math.max(max[h - h0], x);
                        }
                    }
                    for (int h = h0; h < h1; h++) {
                        sum[h - h0] = expAndSum(p, (h - h0) * scoresLen, keys, max[h - h0]);
                        Arrays.fill(out, (token * nHead + h) * d, (token * nHead + h + 1) * d, 0f);
                    }
                    for (int j = 0; j < keys; j++) {
                        for (int h = h0; h < h1; h++) {
                            axpy(out, (token * nHead + h) * d, p[(h - h0) * scoresLen + j], vs, vOff[s] + (j * nKvHead + h / group) * d, d);
                        }
                    }
                    for (int h = h0; h < h1; h++) {
                        float inv = 1f / sum[h - h0];
                        for (int c = 0; c < d; c++) out[(token * nHead + h) * d + c] *= inv;
                    }
                }
            }
        });
    }

    /** {@code p[off + j] = exp(p[off + j] − max)} for {@code j < n}; returns their sum, lanes then tail in order. */
    private static float expAndSum(float[] p, int off, int n, float max) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, p, off + j).sub(max));
            e.intoArray(p, off + j);
            acc = acc.add(e);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; j < n; j++) sum += p[off + j] = VectorMath.exp(p[off + j] - max);
        return sum;
    }

    /** {@code y[yOff ..+ n] += a·x[xOff ..+ n]}. */
    private static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int c = 0;
        for (; c + L <= n; c += L) {
            FloatVector.fromArray(S, x, xOff + c).fma(av, FloatVector.fromArray(S, y, yOff + c)).intoArray(y, yOff + c);
        }
        for (; c < n; c++) y[yOff + c] = Math.fma(a, x[xOff + c], y[yOff + c]);
    }
}
