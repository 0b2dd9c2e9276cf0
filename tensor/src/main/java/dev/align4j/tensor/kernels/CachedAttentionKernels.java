package dev.align4j.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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
 * each sum in key order, whatever the task grid: tasks are (segment, run of heads), with as few
 * runs as leave each thread two tasks (all heads of a sequence from batch 4 on, a quarter of them
 * at batch 1 on 2 threads), so the result does not depend on the thread count. A task walks the
 * cache in blocks of 16 rows (48 KiB for GPT-2), each block read once for all its heads, so the
 * rows stream in long pieces; within a block, a head's 16 scores come out of one vector
 * ({@link #scoreBlock}: the lane sums of 16 dot products folded together, not 16 serial sums of
 * 16 lanes) and its output stays in registers across the block's values ({@link #valueBlock}).
 * Measured on GPT-2 shapes (12 layers, D = 64, 2 threads, caches out of cache, same run), against
 * the previous kernel (row by row, a dot product and a lane-by-lane sum per head and key): batch
 * 32 × 48 keys 7.0 ms a step against 11.0; batch 32 × 200 keys 30.8 against 51.4; batch 4 × 300
 * keys 4.7 against 8.7; batch 1 × 1000 keys 3.8 against 12.4; batch 1 × 200 keys 0.67 against 1.6.
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
    /** Whether scores are summed 16 keys at a time ({@link #scoreBlock}); other vector lengths score key by key. */
    private static final boolean BLOCKS = L == 16;
    // The four folds of scoreBlock: lane l against lane l ^ w, the second vector's sums in the lanes with bit w set.
    private static final VectorShuffle<Float> SWAP8 = swap(8), SWAP4 = swap(4), SWAP2 = swap(2), SWAP1 = swap(1);
    private static final VectorMask<Float> SECOND8 = second(8), SECOND4 = second(4), SECOND2 = second(2), SECOND1 = second(1);
    /** Puts the folds' lanes back in key order: found once by folding vectors whose lanes hold their key. */
    private static final VectorShuffle<Float> KEY_ORDER = BLOCKS ? keyOrder() : null;

    private static VectorShuffle<Float> swap(int w) {
        return VectorShuffle.fromOp(S, l -> l ^ w);
    }

    private static VectorMask<Float> second(int w) {
        boolean[] bits = new boolean[L];
        for (int l = 0; l < L; l++) bits[l] = (l & w) != 0;
        return VectorMask.fromArray(S, bits, 0);
    }

    private static VectorShuffle<Float> keyOrder() {
        float[] t = new float[16 * 16];
        for (int u = 0; u < 16; u++) Arrays.fill(t, u * 16, u * 16 + 16, u);
        folds(t);
        int[] laneOfKey = new int[L];
        for (int l = 0; l < L; l++) laneOfKey[(int) (t[l] / 16)] = l; // a lane sums 16 copies of its key
        return VectorShuffle.fromArray(S, laneOfKey, 0);
    }

    /**
     * Writes {@code out} (T, H, D) from index 0 for {@code q} (T, H, D) at {@code qOff}; segment
     * {@code s} (tokens {@code offsets[s] .. offsets[s+1]}) reads keys {@code k[s]} and values
     * {@code v[s]}, (capacity, Hkv, D) from {@code kOff[s]} and {@code vOff[s]}, rows
     * {@code 0 .. lengths[s]}. All sizes are validated by the caller: {@code lengths[s]} is at least
     * the segment's length and within the buffers; {@code nHead % nKvHead == 0}.
     */
    public static void forward(float[] out, float[] q, int qOff, float[][] k, int[] kOff, float[][] v, int[] vOff,
                               int[] lengths, int[] offsets, int nHead, int nKvHead, int headDim, float scale) {
        forward(out, q, qOff, k, kOff, v, vOff, lengths, offsets, nHead, nKvHead, headDim, scale, BLOCKS);
    }

    /** {@link #forward} scoring 16 keys at a time ({@link #scoreBlock}, 16-lane vectors only) or key by key ({@link #scoreKeys}). */
    static void forward(float[] out, float[] q, int qOff, float[][] k, int[] kOff, float[][] v, int[] vOff,
                        int[] lengths, int[] offsets, int nHead, int nKvHead, int headDim, float scale, boolean blocks) {
        int segments = offsets.length - 1, group = nHead / nKvHead, d = headDim, row = nKvHead * headDim;
        int maxLen = 0, maxNew = 0;
        for (int s = 0; s < segments; s++) {
            maxLen = Math.max(maxLen, lengths[s]);
            maxNew = Math.max(maxNew, offsets[s + 1] - offsets[s]);
        }
        // tasks: (segment, run of heads); as few runs as leave each thread two tasks
        int runs = Math.min(nHead, Math.ceilDiv(2 * Parallel.threads(), segments)), heads = Math.ceilDiv(nHead, runs);
        int tasks = segments * Math.ceilDiv(nHead, heads), perSegment = Math.ceilDiv(nHead, heads);
        int scoresLen = Math.ceilDiv(maxLen, 16) * 16; // whole blocks of 16 keys
        Parallel.forRange(tasks, Parallel.grain(tasks, 4L * maxNew * maxLen * d * heads), (t0, t1) -> {
            float[] p = new float[heads * scoresLen]; // per head of the run: scores, then probabilities, of one query
            float[] max = new float[heads], inv = new float[heads];
            float[] lanes = blocks ? new float[16 * 16] : null; // scoreBlock's vectors of lane sums
            for (int t = t0; t < t1; t++) {
                int s = t / perSegment, h0 = (t % perSegment) * heads, h1 = Math.min(nHead, h0 + heads);
                int n = offsets[s + 1] - offsets[s], past = lengths[s] - n;
                for (int i = 0; i < n; i++) {
                    int token = offsets[s] + i, keys = past + i + 1;
                    Arrays.fill(max, Float.NEGATIVE_INFINITY);
                    for (int j = 0; j < keys; j += 16) { // a block of cached rows once for all heads of the run
                        for (int h = h0; h < h1; h++) {
                            int qi = qOff + (token * nHead + h) * d, ki = kOff[s] + j * row + (h / group) * d;
                            int po = (h - h0) * scoresLen + j, count = Math.min(16, keys - j);
                            float m = blocks ? scoreBlock(p, po, q, qi, k[s], ki, row, count, d, scale, lanes)
                                    : scoreKeys(p, po, q, qi, k[s], ki, row, count, d, scale);
                            max[h - h0] = Math.max(max[h - h0], m);
                        }
                    }
                    for (int h = h0; h < h1; h++) {
                        inv[h - h0] = 1f / expAndSum(p, (h - h0) * scoresLen, keys, max[h - h0]);
                        Arrays.fill(out, (token * nHead + h) * d, (token * nHead + h + 1) * d, 0f);
                    }
                    for (int j = 0; j < keys; j += 16) {
                        for (int h = h0; h < h1; h++) {
                            valueBlock(out, (token * nHead + h) * d, p, (h - h0) * scoresLen + j, Math.min(16, keys - j),
                                    v[s], vOff[s] + j * row + (h / group) * d, row, d);
                        }
                    }
                    for (int h = h0; h < h1; h++) AttentionTiles.scale(out, (token * nHead + h) * d, d, inv[h - h0]);
                }
            }
        });
    }

    /**
     * {@code p[po + u] = scale·q·k_u} for the {@code count ≤ 16} keys {@code k_u = k[ki + u·row ..+ d]};
     * returns their maximum. A key's 16 lane sums {@code Σ_c q_c·k_u,c} (one fused multiply-add chain
     * over the head's vectors) are added lane pair by lane pair in four folds that each halve the
     * lanes per key and pack two vectors into one ({@link #folds}), so 16 scores come out in one
     * vector for 15 adds instead of 16 serial sums of 16 lanes. A key's score depends on its own
     * lanes only, in a fixed order, whatever the other keys or their count (a missing key of a
     * short block is a zero vector). {@code p} has room for 16 scores from {@code po}.
     */
    private static float scoreBlock(float[] p, int po, float[] q, int qi, float[] k, int ki, int row, int count, int d, float scale,
                                    float[] t) {
        for (int u = 0; u < 16; u++) lanes(q, qi, k, ki + u * row, d, u < count).intoArray(t, u * 16);
        folds(t);
        FloatVector scores = FloatVector.fromArray(S, t, 0).rearrange(KEY_ORDER).mul(scale); // lane u: key u
        scores.intoArray(p, po);
        return (count == 16 ? scores : scores.blend(Float.NEGATIVE_INFINITY, S.indexInRange(0, count).not()))
                .reduceLanes(VectorOperators.MAX);
    }

    /** The four folds of 16 vectors of lane sums {@code t} (16 × 16 floats) into one, in place: {@code t[0 ..16)}, lanes in {@link #KEY_ORDER}. */
    private static void folds(float[] t) {
        for (int i = 0; i < 8; i++) fold(SWAP8, SECOND8, t, 2 * i, i);
        for (int i = 0; i < 4; i++) fold(SWAP4, SECOND4, t, 2 * i, i);
        for (int i = 0; i < 2; i++) fold(SWAP2, SECOND2, t, 2 * i, i);
        fold(SWAP1, SECOND1, t, 0, 0);
    }

    /** The lanes {@code Σ_c q[qi + c·16 + l]·k[ki + c·16 + l]} over the head's vectors (masked past {@code d}), or zero when not {@code present}. */
    private static FloatVector lanes(float[] q, int qi, float[] k, int ki, int d, boolean present) {
        FloatVector acc = FloatVector.zero(S);
        if (!present) return acc;
        int c = 0;
        for (; c + L <= d; c += L) acc = FloatVector.fromArray(S, q, qi + c).fma(FloatVector.fromArray(S, k, ki + c), acc);
        if (c < d) {
            var m = S.indexInRange(c, d);
            acc = FloatVector.fromArray(S, q, qi + c, m).fma(FloatVector.fromArray(S, k, ki + c, m), acc);
        }
        return acc;
    }

    /**
     * One fold: vector {@code out} of {@code t} becomes vectors {@code in} and {@code in + 1}, each
     * lane plus its partner {@code l ^ w} (the shuffle), the second's sums in the lanes of
     * {@code second}, the first's in the others. Vector {@code out ≤ in} is read before written.
     */
    private static void fold(VectorShuffle<Float> swap, VectorMask<Float> second, float[] t, int in, int out) {
        FloatVector x = FloatVector.fromArray(S, t, in * 16), y = FloatVector.fromArray(S, t, (in + 1) * 16);
        x.add(x.rearrange(swap)).blend(y.add(y.rearrange(swap)), second).intoArray(t, out * 16);
    }

    /** {@link #scoreBlock} key by key, each score's lanes summed in order: for vectors of other than 16 lanes. */
    private static float scoreKeys(float[] p, int po, float[] q, int qi, float[] k, int ki, int row, int count, int d, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int u = 0; u < count; u++) max = Math.max(max, p[po + u] = scale * AttentionTiles.dot(q, qi, k, ki + u * row, d));
        return max;
    }

    /**
     * {@code out[o ..+ d] += Σ_u p[po + u]·v_u} over the {@code count} values
     * {@code v_u = v[vi + u·row ..+ d]}: each element a fused multiply-add chain in key order, four
     * vectors of the head at a time held in registers across the block, then one, then a scalar tail.
     */
    private static void valueBlock(float[] out, int o, float[] p, int po, int count, float[] v, int vi, int row, int d) {
        int c = 0;
        for (; c + 4 * L <= d; c += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(S, out, o + c), a1 = FloatVector.fromArray(S, out, o + c + L);
            FloatVector a2 = FloatVector.fromArray(S, out, o + c + 2 * L), a3 = FloatVector.fromArray(S, out, o + c + 3 * L);
            for (int u = 0, at = vi + c; u < count; u++, at += row) {
                FloatVector pu = FloatVector.broadcast(S, p[po + u]);
                a0 = FloatVector.fromArray(S, v, at).fma(pu, a0);
                a1 = FloatVector.fromArray(S, v, at + L).fma(pu, a1);
                a2 = FloatVector.fromArray(S, v, at + 2 * L).fma(pu, a2);
                a3 = FloatVector.fromArray(S, v, at + 3 * L).fma(pu, a3);
            }
            a0.intoArray(out, o + c);
            a1.intoArray(out, o + c + L);
            a2.intoArray(out, o + c + 2 * L);
            a3.intoArray(out, o + c + 3 * L);
        }
        for (; c + L <= d; c += L) {
            FloatVector a0 = FloatVector.fromArray(S, out, o + c);
            for (int u = 0, at = vi + c; u < count; u++, at += row) a0 = FloatVector.fromArray(S, v, at).fma(FloatVector.broadcast(S, p[po + u]), a0);
            a0.intoArray(out, o + c);
        }
        for (; c < d; c++) {
            float a = out[o + c];
            for (int u = 0; u < count; u++) a = Math.fma(v[vi + u * row + c], p[po + u], a);
            out[o + c] = a;
        }
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
}
