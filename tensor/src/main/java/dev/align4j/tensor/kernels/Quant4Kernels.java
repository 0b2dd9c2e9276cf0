package dev.align4j.tensor.kernels;

import java.util.Arrays;

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
 * <p>Scalar loops: quantising runs once per weight; dequantising a row runs once per block of a
 * product ({@link Quant4Gemm}), against {@code 2·m} flops per element in the product itself.
 */
public final class Quant4Kernels {
    private Quant4Kernels() {}

    /** A block's dequantisation scale: its absmax, stored or itself dequantised. */
    @FunctionalInterface
    public interface BlockScale {
        float of(int block);
    }

    /**
     * A codebook ready for nearest-value search: its distinct values ascending, each with the lowest
     * code that stands for it (FP4 has both 0 and −0; argmin takes the first).
     */
    public static final class Codebook {
        private final float[] sorted;
        private final int[] codeOf;
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
            sorted = Arrays.copyOf(values, distinct);
            codeOf = Arrays.copyOf(codes, distinct);
            zeroCode = nearest(0f);
        }

        /** The code of the value nearest {@code x}, as {@code argmin |x − code|} in float32 picks it. */
        public int nearest(float x) {
            int last = sorted.length - 1;
            if (!(x > sorted[0])) return codeOf[0];
            if (x >= sorted[last]) return codeOf[last];
            int lo = 0, hi = last; // sorted[lo] < x < sorted[hi] or equal at lo
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] <= x) lo = mid;
                else hi = mid;
            }
            float below = Math.abs(x - sorted[lo]), above = Math.abs(x - sorted[hi]);
            if (below != above) return below < above ? codeOf[lo] : codeOf[hi];
            return Math.min(codeOf[lo], codeOf[hi]);
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
            for (int b = b0; b < b1; b++) {
                int from = b * blockSize, to = Math.min(n, from + blockSize);
                float max = 0;
                for (int i = from; i < to; i++) max = Math.max(max, Math.abs(src[srcOff + i]));
                absmax[first0 + b] = max;
                float inv = max == 0 ? 0 : 1 / max;
                for (int i = from; i < to; i++) {
                    int c = book.nearest(Math.clamp(src[srcOff + i] * inv, -1f, 1f));
                    long e = first + i;
                    if (!fourBit) codes[Math.toIntExact(e)] = (byte) c;
                    else if ((e & 1) == 0) codes[Math.toIntExact(e >> 1)] = (byte) (c << 4 | book.zeroCode()); // low nibble: padding until set
                    else codes[Math.toIntExact(e >> 1)] = (byte) (codes[Math.toIntExact(e >> 1)] & 0xF0 | c);
                }
            }
        });
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
