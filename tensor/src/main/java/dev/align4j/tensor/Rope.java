package dev.align4j.tensor;

import dev.align4j.tensor.kernels.RopeKernels;

/**
 * Rotary position embedding (Su et al. 2021, RoFormer) in the rotate-half convention of Hugging
 * Face's Llama: {@code out = x·cos + rotate_half(x)·sin} with {@code rotate_half([x1, x2]) = [−x2, x1]}.
 *
 * <p>Positions are given per token, so a packed batch restarts them at every segment. The angles
 * follow Hugging Face's float32 arithmetic ({@code LlamaRotaryEmbedding}): {@code inv_freq} in
 * float32, {@code θ = position·inv_freq} rounded to float32, {@code cos θ}, {@code sin θ} rounded
 * to float32. At large positions this rounds θ coarsely (at position 32 768 one float32 ulp is
 * 0.004 rad); that is what the checkpoints were trained with, so it is matched rather than
 * improved. The cos/sin table is computed once per batch and shared by every layer, q and k
 * ({@link #table}); the kernels are in {@link RopeKernels}.
 *
 * <p>What it is not: a rope-scaling implementation. Llama-3, linear, dynamic or YaRN scaling change
 * only the inverse frequencies (and YaRN an attention scale): compute them elsewhere and pass them
 * to {@link #table(int[], float[])}. Nor the interleaved GPT-J pairing.
 */
public final class Rope {
    private Rope() {}

    /** Hugging Face's default {@code rope_theta}. */
    public static final double DEFAULT_THETA = 10_000.0;

    /**
     * The cos and sin of every token's angles, (T, D/2) each: computed once per batch, used by
     * {@link #apply(Tensor, Table)} for every layer's queries and keys.
     */
    public static final class Table {
        private final float[] cos, sin; // (T, D/2)
        private final int tokens, half;

        private Table(float[] cos, float[] sin, int tokens, int half) {
            this.cos = cos;
            this.sin = sin;
            this.tokens = tokens;
            this.half = half;
        }

        public int tokens() {
            return tokens;
        }

        public int headDim() {
            return 2 * half;
        }

        /** {@code cos θ[t, i]}. */
        public float cos(int token, int i) {
            return cos[token * half + i];
        }

        /** {@code sin θ[t, i]}. */
        public float sin(int token, int i) {
            return sin[token * half + i];
        }
    }

    /**
     * Hugging Face's default inverse frequencies in float32:
     * {@code inv_freq[i] = 1 / theta^(2i / headDim)}, i in [0, headDim/2), with the exponent divided,
     * the power taken and the reciprocal taken in float32 as {@code _compute_default_rope_parameters}
     * does. Each step here is correctly rounded; PyTorch's vectorised float32 {@code pow} (Sleef,
     * 1 ulp) may differ from it by an ulp in a few entries.
     */
    public static float[] inverseFrequencies(int headDim, double theta) {
        checkHeadDim("Rope.inverseFrequencies", headDim);
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("Rope.inverseFrequencies: theta (rope_theta) must be finite and > 0, got " + theta);
        }
        float base = (float) theta;
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1f / (float) Math.pow(base, exponent);
        }
        return inv;
    }

    /** The cos/sin table for {@code positions} (T) and inverse frequencies (D/2). */
    public static Table table(int[] positions, float[] invFreq) {
        if (invFreq.length == 0) throw new IllegalArgumentException("Rope.table: invFreq is empty; it needs headDim/2 values");
        for (int i = 0; i < invFreq.length; i++) {
            if (!Float.isFinite(invFreq[i])) {
                throw new IllegalArgumentException("Rope.table: invFreq[" + i + "] is " + invFreq[i] + "; frequencies must be finite");
            }
        }
        for (int t = 0; t < positions.length; t++) {
            if (positions[t] < 0) {
                throw new IllegalArgumentException("Rope.table: position " + positions[t] + " at token " + t
                        + " is negative; positions count from 0 in each segment");
            }
        }
        int t = positions.length, half = invFreq.length;
        float[] cos = new float[t * half], sin = new float[t * half];
        RopeKernels.angles(cos, sin, positions, invFreq, t, half);
        return new Table(cos, sin, t, half);
    }

    /** Rotates {@code x} (T, H, D) at {@code positions} (T) with the default frequencies of {@code theta}. */
    public static Tensor apply(Tensor x, int[] positions, double theta) {
        Tensor.requireFloat32("Rope.apply", x);
        Shapes.requireRank("Rope.apply", x, 3);
        checkHeadDim("Rope.apply on " + x.describe(), x.dim(2));
        return apply(x, table(positions, inverseFrequencies(x.dim(2), theta)));
    }

    /** Rotates {@code x} (T, H, D) at {@code positions} (T) with the given inverse frequencies (D/2). */
    public static Tensor apply(Tensor x, int[] positions, float[] invFreq) {
        Tensor.requireFloat32("Rope.apply", x);
        return apply(x, table(positions, invFreq));
    }

    /**
     * Rotates {@code x} (T, H, D) by the angles of {@code table} (T tokens, head size D).
     *
     * @return (T, H, D)
     */
    public static Tensor apply(Tensor x, Table table) {
        Tensor.requireFloat32("Rope.apply", x);
        Shapes.requireRank("Rope.apply", x, 3);
        int t = x.dim(0), heads = x.dim(1), headDim = x.dim(2);
        checkHeadDim("Rope.apply on " + x.describe(), headDim);
        if (t != table.tokens || headDim != table.headDim()) {
            throw new IllegalArgumentException("Rope.apply: input " + x.describe() + " (T, H, D) needs angles for " + t
                    + " tokens and head_dim " + headDim + ", got " + table.tokens + " tokens (positions) and head_dim "
                    + table.headDim() + " (2 × invFreq length)");
        }
        Tensor out = Tensor.forOverwrite(t, heads, headDim);
        RopeKernels.ropeForward(out.data, x.data, x.offset, table.cos, table.sin, t, heads, headDim);
        Autograd.record(out, "rope", () -> {
            if (x.requiresGrad()) {
                RopeKernels.ropeBackward(x.gradBuffer(), out.gradOrNull(), table.cos, table.sin, t, heads, headDim);
            }
        }, x);
        return out;
    }

    private static void checkHeadDim(String op, int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException(op + ": head_dim must be even and > 0 to rotate pairs of halves, got " + headDim);
        }
    }
}
