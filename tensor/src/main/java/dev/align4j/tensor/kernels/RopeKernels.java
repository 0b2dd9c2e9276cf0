package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding kernels in the rotate-half layout of Hugging Face's Llama
 * ({@code apply_rotary_pos_emb}): the cos/sin table, and the rotation of (T, H, D) rows.
 *
 * <p>Each head vector {@code x = [x1, x2]} (two halves of D/2) is rotated pairwise, pair
 * {@code (x1[i], x2[i])} by angle {@code θ[t, i]} (Su et al. 2021, RoFormer, eq. 34):
 * <pre>
 *   out1 = x1·cos − x2·sin        out2 = x2·cos + x1·sin
 * </pre>
 * with the products and the sum rounded in that order, as PyTorch evaluates
 * {@code q·cos + rotate_half(q)·sin} in float32. The backward is the inverse rotation (by −θ, the
 * transpose), done by the same loop with {@code sin} negated, which is exact. What it is not:
 * the interleaved (GPT-J / Meta checkpoint) pairing {@code (x[2i], x[2i+1])}; checkpoints in the
 * Hugging Face layout already have their q/k weights permuted to rotate-half.
 */
public final class RopeKernels {
    private RopeKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * The angle table in Hugging Face's float32 arithmetic: {@code θ = (float) position · invFreq}
     * rounded to float32, then {@code cos θ} and {@code sin θ} rounded to float32. {@code StrictMath}
     * (fdlibm) makes the table the same on every JVM and machine.
     *
     * @param cos       (T, half) out
     * @param sin       (T, half) out
     * @param positions (T)
     * @param invFreq   (half)
     */
    public static void angles(float[] cos, float[] sin, int[] positions, float[] invFreq, int t, int half) {
        Parallel.forRange(t, Parallel.grain(t, 40L * half), (t0, t1) -> {
            for (int tok = t0; tok < t1; tok++) {
                float p = positions[tok];
                for (int i = 0; i < half; i++) {
                    float a = p * invFreq[i];
                    cos[tok * half + i] = (float) StrictMath.cos(a);
                    sin[tok * half + i] = (float) StrictMath.sin(a);
                }
            }
        });
    }

    /**
     * {@code out = rotate(x)}.
     *
     * @param out (T, H, D) at offset 0
     * @param x   (T, H, D) at {@code xOff}
     * @param cos (T, D/2)
     * @param sin (T, D/2)
     */
    public static void ropeForward(float[] out, float[] x, int xOff, float[] cos, float[] sin, int t, int heads, int headDim) {
        rotate(out, x, xOff, cos, sin, false, t, heads, headDim);
    }

    /**
     * {@code dx += rotate⁻¹(dy)}, the transpose of the forward rotation.
     *
     * @param dx  (T, H, D) at offset 0
     * @param dy  (T, H, D) at offset 0
     * @param cos (T, D/2)
     * @param sin (T, D/2)
     */
    public static void ropeBackward(float[] dx, float[] dy, float[] cos, float[] sin, int t, int heads, int headDim) {
        rotate(dx, dy, 0, cos, sin, true, t, heads, headDim);
    }

    /** Forward ({@code inverse = false}: out = R·x) or backward ({@code inverse = true}: out += Rᵀ·x). */
    private static void rotate(float[] out, float[] x, int xOff, float[] cos, float[] sin, boolean inverse,
                               int t, int heads, int headDim) {
        int half = headDim / 2, bound = S.loopBound(half);
        Parallel.forRange(t, Parallel.grain(t, 3L * heads * headDim), (t0, t1) -> {
            for (int tok = t0; tok < t1; tok++) {
                int a = tok * half;
                for (int h = 0; h < heads; h++) {
                    int o1 = (tok * heads + h) * headDim, o2 = o1 + half, x1 = xOff + o1, x2 = x1 + half;
                    int i = 0;
                    for (; i < bound; i += S.length()) {
                        FloatVector c = FloatVector.fromArray(S, cos, a + i), s = FloatVector.fromArray(S, sin, a + i);
                        if (inverse) s = s.neg();
                        FloatVector v1 = FloatVector.fromArray(S, x, x1 + i), v2 = FloatVector.fromArray(S, x, x2 + i);
                        FloatVector r1 = v1.mul(c).sub(v2.mul(s)), r2 = v2.mul(c).add(v1.mul(s));
                        if (inverse) {
                            r1 = FloatVector.fromArray(S, out, o1 + i).add(r1);
                            r2 = FloatVector.fromArray(S, out, o2 + i).add(r2);
                        }
                        r1.intoArray(out, o1 + i);
                        r2.intoArray(out, o2 + i);
                    }
                    for (; i < half; i++) {
                        float c = cos[a + i], s = inverse ? -sin[a + i] : sin[a + i];
                        float v1 = x[x1 + i], v2 = x[x2 + i];
                        float r1 = v1 * c - v2 * s, r2 = v2 * c + v1 * s;
                        out[o1 + i] = inverse ? out[o1 + i] + r1 : r1;
                        out[o2 + i] = inverse ? out[o2 + i] + r2 : r2;
                    }
                }
            }
        });
    }
}
