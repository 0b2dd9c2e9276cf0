package dev.align4j.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Blockwise absmax quantisation to a codebook, and its inverse: the loops under 4-bit weights
 * (NF4, FP4: blocks of 64, two codes a byte) and under the 8-bit codes of their double-quantised
 * absmax values (blocks of 256, one code a byte).
 *
 * <p>Based on bitsandbytes' reference (CPU) kernels {@code quantize_4bit}, {@code quantize_blockwise}
 * and their dequantize pairs ({@code backends/default/ops.py}): a block's scale is its largest
 * absolute value {@code absmax}; each value is scaled by {@code 1/absmax}, clamped to [−1, 1] and
 * stored as the index of the nearest codebook value ({@code argmin |x − code|} in float32, the
 * lowest index on a tie); a last, shorter block takes the absmax of the values it has; 4-bit codes
 * are packed two to a byte, the even element in the high nibble, and an odd count pads the last
 * low nibble with the code of 0. Dequantising is {@code code[c] · absmax}. One deviation: a block of
 * zeros (absmax 0) stores the code of 0 and dequantises to 0, where the reference divides by zero.
 * What it is not: a place for non-finite checks (the caller rejects them once per tensor) or for
 * the storage layout's bookkeeping ({@code dev.align4j.tensor.Quant4Weight}).
 *
 * <p>Quantising finds each code by counting the codebook's thresholds below the scaled value,
 * a vector of values at a time, then a scalar tail: a 4864 × 896 weight quantises at about 3.5 ns an
 * element on two threads, against 13 with a scalar count (measured on the shared 2-core machine). Dequantising is a scalar loop: it runs once per block of
 * a product ({@link Quant4Gemm}), about 1.1 ns an element on one thread, which measured no slower
 * than the BF16 product within the noise for a 512 × 896 · (4864 × 896)ᵀ layer.
 */
public final class Quant4Kernels {
    private Quant4Kernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    /** A block's dequantisation scale: its absmax, stored or itself dequantised. */
    @FunctionalInterface
    public interface BlockScale {
        float of(int block);
    }

    /**
     * A codebook ready for nearest-value search. argmin over the codebook picks, between two
     * neighbouring values, the lower one up to a threshold and the upper one past it (float32
     * distances are monotone in x), so the search is a count of the thresholds below x. Each threshold
     * is found once, by bisection over the float32 values between the two neighbours, with argmin's
     * own rule ({@code |x − lo|} against {@code |x − hi|} in float32, the lower code on a tie), so the
     * count gives exactly argmin's code.
     */
    public static final class Codebook {
        private final float[] thresholds; // (distinct − 1): x above thresholds[j] is nearer value j + 1 than value j
        private final int[] codeOf;       // (distinct) the lowest code of each distinct value, ascending by value
        private final int zeroCode;

        public Codebook(float[] code) {
            Integer[] order = new Integer[code.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (x, y) -> code[x] != code[y] ? Float.compare(code[x], code[y]) : Integer.compare(x, y));
            float[] values = new float[code.length];
            int[] codes = new int[code.length];
            int distinct = 0;
            for (int i : order) {
                if (distinct > 0 && values[distinct - 1] == code[i]) continue; // equal value (0 and −0): keep the lower code
                values[distinct] = code[i];
                codes[distinct++] = i;
            }
            codeOf = Arrays.copyOf(codes, distinct);
            thresholds = new float[distinct - 1];
            for (int j = 0; j + 1 < distinct; j++) thresholds[j] = threshold(values[j], values[j + 1], codes[j] < codes[j + 1]);
            zeroCode = nearest(0f);
        }

        /** The largest x in [lo, hi) that argmin gives to lo: {@code |x − lo| < |x − hi|}, or equal when lo has the lower code. */
        private static float threshold(float lo, float hi, boolean loWinsTies) {
            int a = ordered(lo), b = ordered(hi); // lo is given to lo, hi is not
            while (b - a > 1) {
                int mid = (int) (((long) a + b) >>> 1);
                float x = fromOrdered(mid), below = Math.abs(x - lo), above = Math.abs(x - hi);
                if (below < above || below == above && loWinsTies) a = mid;
                else b = mid;
            }
            return fromOrdered(a);
        }

        /** Float bits as a signed int that orders like the floats. */
        private static int ordered(float x) {
            int bits = Float.floatToRawIntBits(x == 0 ? 0f : x);
            return bits >= 0 ? bits : Integer.MIN_VALUE - bits;
        }

        private static float fromOrdered(int o) {
            return Float.intBitsToFloat(o >= 0 ? o : Integer.MIN_VALUE - o);
        }

        /** The code of the value nearest {@code x}, as {@code argmin |x − code|} in float32 picks it. */
        public int nearest(float x) {
            return codeOf[rank(x)];
        }

        /** How many thresholds lie below x: the index of its nearest value among the distinct values. */
        private int rank(float x) {
            int j = 0;
            for (float t : thresholds) j += x > t ? 1 : 0;
            return j;
        }

        /**
         * {@code codes[i] = nearest(clamp(src[off + i] · inv, −1, 1))} for i in [0, n): the vector loop
         * counts thresholds lane-wise (the same float32 product, clamp and comparisons as the scalar tail).
         */
        void nearest(int[] codes, float[] src, int off, int n, float inv) {
            int lanes = F.length(), bound = F.loopBound(n), i = 0;
            FloatVector one = FloatVector.broadcast(F, 1f), zero = FloatVector.zero(F);
            for (; i < bound; i += lanes) {
                FloatVector x = FloatVector.fromArray(F, src, off + i).mul(inv).max(-1f).min(1f), count = zero;
                for (float t : thresholds) count = count.add(one, x.compare(VectorOperators.GT, t));
                ((IntVector) count.convertShape(VectorOperators.F2I, I, 0)).intoArray(codes, i);
                for (int l = i; l < i + lanes; l++) codes[l] = codeOf[codes[l]];
            }
            for (; i < n; i++) codes[i] = nearest(Math.clamp(src[off + i] * inv, -1f, 1f));
        }

        /** The code of 0. */
        public int zeroCode() {
            return zeroCode;
        }
    }

    /**
     * Quantises {@code n} values {@code src[srcOff ..]}, elements {@code first ..} of a weight
     * ({@code first} a multiple of {@code blockSize}), in blocks of {@code blockSize}: the absmax of
     * block {@code b} into {@code absmax[b]}, the codes into {@code codes} — two a byte when
     * {@code fourBit} (element e in byte e/2, high nibble when e is even), else one a byte. Blocks
     * are spread over the pool.
     */
    public static void quantize(byte[] codes, float[] absmax, float[] src, int srcOff, long first, int n, int blockSize,
                                Codebook book, boolean fourBit) {
        int blocks = Math.ceilDiv(n, blockSize), first0 = Math.toIntExact(first / blockSize);
        Parallel.forRange(blocks, Parallel.grain(blocks, 16L * blockSize), (b0, b1) -> {
            int[] c = new int[blockSize]; // (blockSize) one block's codes
            for (int b = b0; b < b1; b++) {
                int from = b * blockSize, len = Math.min(n, from + blockSize) - from;
                float max = absmax(src, srcOff + from, len);
                absmax[first0 + b] = max;
                book.nearest(c, src, srcOff + from, len, max == 0 ? 0 : 1 / max);
                long e0 = first + from;
                if (!fourBit) {
                    for (int i = 0; i < len; i++) codes[Math.toIntExact(e0 + i)] = (byte) c[i];
                    continue;
                }
                int p = Math.toIntExact(e0 >> 1), i = 0; // e0 is even: blocks are
                for (; i + 1 < len; i += 2) codes[p++] = (byte) (c[i] << 4 | c[i + 1]);
                if (i < len) codes[p] = (byte) (c[i] << 4 | book.zeroCode()); // an odd count: the last low nibble pads
            }
        });
    }

    /** The largest |x| of {@code n} values from {@code off}. */
    private static float absmax(float[] src, int off, int n) {
        int lanes = F.length(), bound = F.loopBound(n), i = 0;
        FloatVector m = FloatVector.zero(F);
        for (; i < bound; i += lanes) m = m.max(FloatVector.fromArray(F, src, off + i).abs());
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, Math.abs(src[off + i]));
        return max;
    }

    /**
     * {@code dst[dstOff + i] = code[c(start + i)] · scale(block of start + i)} for i in [0, n): elements
     * {@code start ..} of a 4-bit weight of blocks of {@code blockSize} (even), on the calling thread.
     */
    public static void dequantize4(float[] dst, int dstOff, byte[] packed, float[] code, BlockScale scale, int blockSize,
                                   long start, int n) {
        long e = start, end = start + n;
        int d = dstOff;
        while (e < end) {
            int block = (int) (e / blockSize);
            long blockEnd = Math.min(end, (block + 1L) * blockSize);
            float s = scale.of(block);
            if ((e & 1) == 1) dst[d++] = code[packed[(int) (e++ >> 1)] & 0xF] * s;
            for (; e + 1 < blockEnd; e += 2) {
                int bits = packed[(int) (e >> 1)];
                dst[d++] = code[bits >> 4 & 0xF] * s;
                dst[d++] = code[bits & 0xF] * s;
            }
            if (e < blockEnd) dst[d++] = code[packed[(int) (e++ >> 1)] >> 4 & 0xF] * s;
        }
    }
}
