package dev.align4j.tensor;

import dev.align4j.tensor.kernels.AttentionKernels;
import java.util.Arrays;

/**
 * Causal self-attention over a packed batch, fused, with its backward.
 *
 * <p>What it is: {@code softmax(scale·Q·Kᵀ + mask)·V} for every head, where the tokens of the batch
 * are flat and {@link PackedSegments} says which sequence each belongs to: token {@code i} attends
 * to token {@code j} iff {@code j ≤ i} and both are in the same segment (FlashAttention's
 * variable-length interface, {@code flash_attn_varlen_func(..., causal=True)}), or {@code j} is in
 * the shared prefix that {@code i}'s segment extends ({@link PackedSegments}: every token of a
 * prompt's completions sees the prompt, processed once, and not the other completions). Grouped-query
 * attention: with {@code H} query heads and {@code Hkv} kv heads, query head {@code h} uses kv head
 * {@code h / (H / Hkv)} ({@code Hkv = H} is multi-head attention, {@code Hkv = 1} multi-query).
 * Shapes: {@code q} (T, H, D), {@code k} and {@code v} (T, Hkv, D), output (T, H, D) — the
 * projections' (T, H·D) outputs seen through {@link Tensor#view}, so heads need no transpose.
 *
 * <p>Memory: the kernel ({@link AttentionKernels}, after FlashAttention-2) keeps only the row
 * logsumexp, (T, H) floats, for the backward, which recomputes the probabilities tile by tile;
 * no {@code [T, T]} matrix is ever built, and no work is spent across segments.
 *
 * <p>What it is not: rotary embeddings (applied to q and k before this), a KV-cache decode step,
 * dropout, or an arbitrary mask.
 */
public final class Attention {
    private Attention() {}

    /** {@link #causal(Tensor, Tensor, Tensor, PackedSegments, float)} with {@code scale = 1/√D}. */
    public static Tensor causal(Tensor q, Tensor k, Tensor v, PackedSegments segments) {
        Tensor.requireFloat32("Attention.causal", q, k, v);
        return causal(q, k, v, segments, (float) (1.0 / Math.sqrt(q.rank() == 3 ? q.dim(2) : 1)));
    }

    /**
     * Causal attention of {@code q} (T, H, D) over {@code k}, {@code v} (T, Hkv, D) within each
     * segment and its prefix; returns (T, H, D). {@code H} must be a multiple of {@code Hkv}; the segments must
     * cover exactly the T tokens.
     */
    public static Tensor causal(Tensor q, Tensor k, Tensor v, PackedSegments segments, float scale) {
        Tensor.requireFloat32("Attention.causal", q, k, v);
        check(q, k, v, segments, scale);
        int t = q.dim(0), nHead = q.dim(1), headDim = q.dim(2), nKvHead = k.dim(1);
        int[] offsets = segments.offsets(), prefixes = segments.prefixes();
        Tensor out = Tensor.zeros(t, nHead, headDim); // (T, H, D)
        float[] lse = new float[t * nHead];             // (T, H) logsumexp of each score row
        AttentionKernels.causalForward(out.data, lse, q.data, q.offset, k.data, k.offset, v.data, v.offset,
                offsets, prefixes, nHead, nKvHead, headDim, scale);
        Autograd.record(out, "attention", () -> AttentionKernels.causalBackward(
                q.requiresGrad() ? q.gradBuffer() : null, k.requiresGrad() ? k.gradBuffer() : null,
                v.requiresGrad() ? v.gradBuffer() : null, out.gradOrNull(), out.data, lse,
                q.data, q.offset, k.data, k.offset, v.data, v.offset, offsets, prefixes, nHead, nKvHead, headDim, scale),
                q, k, v);
        return out;
    }

    private static void check(Tensor q, Tensor k, Tensor v, PackedSegments segments, float scale) {
        String shapes = "q " + Arrays.toString(q.shape()) + ", k " + Arrays.toString(k.shape()) + ", v "
                + Arrays.toString(v.shape()) + ", " + segments;
        if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3) {
            throw new IllegalArgumentException("attention: q must be (T, H, D) and k, v (T, Hkv, D); got " + shapes
                    + "; view the (T, H·D) projections as (T, H, D)");
        }
        if (!Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException("attention: k and v must have the same shape (T, Hkv, D); got " + shapes);
        }
        int t = q.dim(0), nHead = q.dim(1), headDim = q.dim(2), nKvHead = k.dim(1);
        if (k.dim(0) != t || k.dim(2) != headDim) {
            throw new IllegalArgumentException("attention: k and v must have q's token count T and head size D; got " + shapes);
        }
        if (headDim == 0 || nHead == 0 || nKvHead == 0 || nHead % nKvHead != 0) {
            throw new IllegalArgumentException("attention: the " + nHead + " query heads must be a positive multiple of the "
                    + nKvHead + " kv heads, with head size D > 0; got " + shapes);
        }
        if (segments.tokens() != t) {
            throw new IllegalArgumentException("attention: the segments cover " + segments.tokens() + " tokens but q has T = "
                    + t + "; got " + shapes);
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("attention: scale must be finite, got " + scale + " for " + shapes);
        }
    }
}
