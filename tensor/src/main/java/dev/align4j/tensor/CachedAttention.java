package dev.align4j.tensor;

import dev.align4j.tensor.kernels.CachedAttentionKernels;
import java.util.Arrays;

/**
 * Attention of new tokens over per-sequence key/value buffers (a KV cache): the prefill and decode
 * steps of generation.
 *
 * <p>What it is: {@code q} (T, H, D) holds the new tokens of several sequences packed end to end,
 * cut by {@code segments}; sequence {@code s} has key and value buffers {@code keys[s]},
 * {@code values[s]} of shape (capacity, Hkv, D) whose first {@code lengths[s]} rows are valid, the
 * last {@code segmentLength(s)} of them being the new tokens' own keys and values (the caller
 * appends them first). New token {@code i} of a sequence attends to every cached row and the new
 * rows up to its own: {@code softmax(scale·q·Kᵀ)·V} over rows {@code 0 .. past + i}. Grouped-query
 * attention as in {@link Attention}. With nothing cached ({@code lengths[s]} equal to the segment's
 * length) this is {@link Attention#causal}. Kernel: {@link CachedAttentionKernels}.
 *
 * <p>What it is not: differentiable. Generation runs under {@link Autograd#noGrad()}; a call that
 * would have to record a backward is rejected rather than silently cutting the graph. Nor is it for
 * segments with shared prefixes (a training layout, rejected: a cache shares a prompt by copying its
 * rows), or a cache: the buffers, their growth and their sharing belong to the models layer.
 */
public final class CachedAttention {
    private CachedAttention() {}

    /** {@link #attend(Tensor, Tensor[], Tensor[], int[], PackedSegments, float)} with {@code scale = 1/√D}. */
    public static Tensor attend(Tensor q, Tensor[] keys, Tensor[] values, int[] lengths, PackedSegments segments) {
        return attend(q, keys, values, lengths, segments, (float) (1.0 / Math.sqrt(q.rank() == 3 ? q.dim(2) : 1)));
    }

    /**
     * Attention of {@code q} (T, H, D) over {@code keys[s]}, {@code values[s]} (capacity, Hkv, D),
     * rows {@code 0 .. lengths[s]}, per segment {@code s}; returns (T, H, D).
     */
    public static Tensor attend(Tensor q, Tensor[] keys, Tensor[] values, int[] lengths, PackedSegments segments,
                                float scale) {
        Tensor.requireFloat32("CachedAttention.attend", q);
        Tensor.requireFloat32("CachedAttention.attend", keys);
        Tensor.requireFloat32("CachedAttention.attend", values);
        if (Autograd.needsGrad(q)) {
            throw new IllegalStateException("CachedAttention: q " + q.describe() + " requires grad, but attention over a KV "
                    + "cache has no backward; run generation inside Autograd.noGrad()");
        }
        int nKvHead = check(q, keys, values, lengths, segments, scale);
        int n = segments.segments(), t = q.dim(0), nHead = q.dim(1), headDim = q.dim(2);
        float[][] k = new float[n][], v = new float[n][];
        int[] kOff = new int[n], vOff = new int[n];
        for (int s = 0; s < n; s++) {
            k[s] = keys[s].data;
            kOff[s] = keys[s].offset;
            v[s] = values[s].data;
            vOff[s] = values[s].offset;
        }
        Tensor out = Tensor.forOverwrite(t, nHead, headDim); // (T, H, D), the kernel writes every head
        CachedAttentionKernels.forward(out.data, q.data, q.offset, k, kOff, v, vOff, lengths.clone(), segments.offsets(),
                nHead, nKvHead, headDim, scale);
        return out;
    }

    /** Validates every shape once; returns Hkv. */
    private static int check(Tensor q, Tensor[] keys, Tensor[] values, int[] lengths, PackedSegments segments, float scale) {
        String op = "CachedAttention: ";
        if (q.rank() != 3) throw new IllegalArgumentException(op + "q must be (T, H, D), got " + q.describe());
        int n = segments.segments();
        if (segments.hasPrefixes()) {
            throw new IllegalArgumentException(op + segments + " has shared prefixes, a training layout; a KV cache shares a"
                    + " prompt by forking its slot (KvCache.fork), so pass one plain segment per sequence");
        }
        if (segments.tokens() != q.dim(0)) {
            throw new IllegalArgumentException(op + "the segments cover " + segments.tokens() + " tokens but q "
                    + q.describe() + " has T = " + q.dim(0));
        }
        if (keys.length != n || values.length != n || lengths.length != n) {
            throw new IllegalArgumentException(op + segments + " has " + n + " sequences but got " + keys.length + " key buffers, "
                    + values.length + " value buffers and " + lengths.length + " lengths");
        }
        if (!Float.isFinite(scale)) throw new IllegalArgumentException(op + "scale must be finite, got " + scale);
        int nHead = q.dim(1), headDim = q.dim(2), nKvHead = -1;
        for (int s = 0; s < n; s++) {
            Tensor k = keys[s], v = values[s];
            if (k.rank() != 3 || !Arrays.equals(k.shape(), v.shape()) || k.dim(2) != headDim) {
                throw new IllegalArgumentException(op + "sequence " + s + ": keys " + k.describe() + " and values " + v.describe()
                        + " must both be (capacity, Hkv, D) with q's D = " + headDim);
            }
            if (nKvHead == -1) nKvHead = k.dim(1);
            if (k.dim(1) != nKvHead || nKvHead == 0 || nHead % nKvHead != 0) {
                throw new IllegalArgumentException(op + "sequence " + s + ": the " + nHead + " query heads of q " + q.describe()
                        + " must be a positive multiple of the kv heads of every buffer, got " + k.describe());
            }
            int newTokens = segments.end(s) - segments.start(s);
            if (lengths[s] < newTokens || lengths[s] > k.dim(0)) {
                throw new IllegalArgumentException(op + "sequence " + s + ": length " + lengths[s] + " must cover its "
                        + newTokens + " new tokens and fit its buffer " + k.describe());
            }
        }
        if (headDim == 0 || nHead == 0) throw new IllegalArgumentException(op + "q " + q.describe() + " has no heads or D = 0");
        return Math.max(nKvHead, 1);
    }
}
