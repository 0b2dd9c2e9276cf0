package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import static dev.align4j.tensor.kernels.ElementwiseKernels.CHEAP;
import static dev.align4j.tensor.kernels.ElementwiseKernels.grain;

/**
 * Kernels driven by a bit mask: select ({@code where}), fill ({@code masked_fill}), dropout's
 * keep-and-scale, their accumulating backward, and the seeded dropout mask itself.
 *
 * <p>A mask is a {@code long[]} bitset: element {@code i} is bit {@code i mod 64} of word
 * {@code i / 64}, bits past the end are zero. A vector of {@code L} lanes starting at a multiple
 * of {@code L} reads its lanes with {@link VectorMask#fromLong} (lane counts are powers of two up
 * to 64, so they divide a word). What it is not: a general boolean tensor type; masks are built
 * and checked by {@code dev.align4j.tensor.Mask}.
 *
 * <p>The dropout mask is counter-based, so chunks can draw it in parallel: element {@code i} is
 * kept when the {@code (i+1)}-th {@code nextDouble()} of {@code new SplittableRandom(seed)}
 * is {@code ≥ p} (SplitMix64, Steele, Lea and Flood 2014: state {@code seed + (i+1)·γ}, the
 * {@code mix64} finaliser, the top 53 bits as a double), so the keep probability is {@code 1 − p}
 * as in PyTorch's {@code Dropout}.
 */
public final class MaskKernels {
    private MaskKernels() {}

    private static final VectorSpecies<Float> S = ElementwiseKernels.S;
    private static final int L = ElementwiseKernels.L;

    static {
        if (64 % L != 0) throw new IllegalStateException("vector length " + L + " does not divide a 64-bit mask word");
    }

    private static VectorMask<Float> lanes(long[] bits, int i) {
        return VectorMask.fromLong(S, bits[i >>> 6] >>> (i & 63));
    }

    private static boolean bit(long[] bits, int i) {
        return (bits[i >>> 6] >>> i & 1L) != 0;
    }

    /** {@code out = bit ? a : b}. */
    public static void select(float[] out, long[] bits, float[] a, int aOff, float[] b, int bOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector bv = FloatVector.fromArray(S, b, bOff + i);
                bv.blend(FloatVector.fromArray(S, a, aOff + i), lanes(bits, i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = bit(bits, i) ? a[aOff + i] : b[bOff + i];
        });
    }

    /** {@code out = bit ? value : x}. */
    public static void fill(float[] out, long[] bits, float[] x, int xOff, float value, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, x, xOff + i).blend(value, lanes(bits, i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = bit(bits, i) ? value : x[xOff + i];
        });
    }

    /** {@code out = bit ? x · scale : 0}. */
    public static void keep(float[] out, long[] bits, float[] x, int xOff, float scale, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            FloatVector zero = FloatVector.zero(S);
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                zero.blend(FloatVector.fromArray(S, x, xOff + i).mul(scale), lanes(bits, i)).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = bit(bits, i) ? x[xOff + i] * scale : 0f;
        });
    }

    /** {@code dst += g · scale} where the bit equals {@code where}. */
    public static void accumulateWhere(float[] dst, long[] bits, boolean where, float[] g, float scale, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                VectorMask<Float> m = where ? lanes(bits, i) : lanes(bits, i).not();
                FloatVector d = FloatVector.fromArray(S, dst, i);
                d.add(FloatVector.fromArray(S, g, i).mul(scale), m).intoArray(dst, i);
            }
            for (; i < e; i++) if (bit(bits, i) == where) dst[i] += g[i] * scale;
        });
    }

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    /** Sets bit {@code i} of {@code bits} ({@code ⌈n/64⌉} words) when element {@code i} survives dropout at rate {@code p}. */
    public static void dropoutMask(long[] bits, long seed, double p, int n) {
        int words = (n + 63) >>> 6;
        Parallel.forRange(words, Math.max(1, grain(n, 8) >>> 6), (w0, w1) -> {
            for (int w = w0; w < w1; w++) {
                int base = w << 6, count = Math.min(64, n - base);
                long word = 0;
                for (int j = 0; j < count; j++) {
                    long z = mix64(seed + (base + j + 1L) * GOLDEN_GAMMA);
                    if ((z >>> 11) * 0x1.0p-53 >= p) word |= 1L << j;
                }
                bits[w] = word;
            }
        });
    }

    /** SplitMix64's finaliser, as {@code java.util.SplittableRandom.mix64}. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
