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
 * the sums in key order; one task per (segment, head), so the result does not depend on the
 * thread count.
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
        int segments = offsets.length - 1, tasks = segments * nHead, group = nHead / nKvHead, d = headDim;
        int maxLen = 0, maxNew = 0;
        for (int s = 0; s < segments; s++) {
            maxLen = Math.max(maxLen, lengths[s]);
            maxNew = Math.max(maxNew, offsets[s + 1] - offsets[s]);
        }
        int scoresLen = maxLen;
        Parallel.forRange(tasks, Parallel.grain(tasks, 4L * maxNew * maxLen * d), (t0, t1) -> {
            float[] p = new float[scoresLen]; // scores, then probabilities, of one query
            for (int t = t0; t < t1; t++) {
                int s = t / nHead, h = t % nHead, g = h / group;
                int n = offsets[s + 1] - offsets[s], past = lengths[s] - n;
                float[] ks = k[s], vs = v[s];
                for (int i = 0; i < n; i++) {
                    int qRow = qOff + ((offsets[s] + i) * nHead + h) * d, oRow = ((offsets[s] + i) * nHead + h) * d;
                    int keys = past + i + 1;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < keys; j++) {
                        p[j] = scale * AttentionTiles.dot(q, qRow, ks, kOff[s] + (j * nKvHead + g) * d, d);
                        max = Math.max(max, p[j]);
                    }
                    float sum = expAndSum(p, keys, max);
                    Arrays.fill(out, oRow, oRow + d, 0f);
                    for (int j = 0; j < keys; j++) axpy(out, oRow, p[j], vs, vOff[s] + (j * nKvHead + g) * d, d);
                    float inv = 1f / sum;
                    for (int c = 0; c < d; c++) out[oRow + c] *= inv;
                }
            }
        });
    }

    /** {@code p[j] = exp(p[j] − max)} for {@code j < n}; returns their sum, lanes then tail in order. */
    private static float expAndSum(float[] p, int n, float max) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, p, j).sub(max));
            e.intoArray(p, j);
            acc = acc.add(e);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; j < n; j++) sum += p[j] = VectorMath.exp(p[j] - max);
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
