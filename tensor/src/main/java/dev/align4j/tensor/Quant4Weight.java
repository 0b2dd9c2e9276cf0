package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.tensor.kernels.Quant4Gemm;
import dev.align4j.tensor.kernels.Quant4Kernels;

/**
 * The storage of a frozen 4-bit weight ({@link Tensor#quantize4Bit}): NF4 or FP4 codes in blocks of
 * {@value #BLOCK_SIZE} with an absmax per block, the absmax values optionally quantised again to
 * 8 bits (double quantisation). Immutable.
 *
 * <p>Based on bitsandbytes' {@code quantize_4bit} / {@code dequantize_4bit} ({@code functional.py},
 * the reference kernels of {@code backends/default/ops.py}) and the QLoRA paper (Dettmers et al.
 * 2023, §3): the weight is flattened row-major; block {@code b} holds elements
 * {@code [64b, 64b + 64)} (the last block may be shorter: its absmax is over the elements it has);
 * element e is {@code code[c_e] · absmax_b} ({@link Quant4Kernels}). Double quantisation
 * ({@code compress_statistics}, {@code bnb_4bit_use_double_quant}) stores the absmax values as
 * {@code offset = mean(absmax)} plus 8-bit codes of {@code absmax − offset} in blocks of
 * {@value #NESTED_BLOCK_SIZE}, each with a float32 absmax of its own, in bitsandbytes' signed
 * dynamic map ({@code create_dynamic_map}, Dettmers 2015, "8-Bit Approximations for Parallelism in
 * Deep Learning"); a block's scale is then {@code dyn[q_b] · absmax2_{b/256} + offset}. Memory:
 * 0.5 byte per element, plus 4 bytes per 64 (0.53 bytes per element), or 1 byte per 64 and 4 per
 * 16384 with double quantisation (0.516).
 *
 * <p>Deviations, none of which changes the method: the dynamic map is built as bitsandbytes builds
 * it, in float32 along {@code torch.linspace}'s scalar formula, so an entry could differ from
 * PyTorch's vectorised linspace in its last bit; the offset is the mean computed in float64 and
 * rounded once (PyTorch's float32 sum order is not reproduced); a block of zeros stores the code of
 * 0. What it is not: bitsandbytes' serialised form ({@code quant_state} tensors in a safetensors
 * file) — a 4-bit model is built from float or BF16 weights at load time and is not saved.
 */
public final class Quant4Weight implements Quant4Gemm.Source {
    /** Elements per block of 4-bit codes (bitsandbytes' and QLoRA's 64). */
    public static final int BLOCK_SIZE = 64;
    /** Block absmax values per block of the double quantisation (bitsandbytes' fixed 256). */
    public static final int NESTED_BLOCK_SIZE = 256;
    /** Elements quantised per chunk of a BF16 source, widened into a scratch of this size. */
    private static final int CHUNK = 1 << 16;

    /** bitsandbytes' signed 8-bit dynamic map ({@code create_dynamic_map(signed=True)}), ascending. */
    static final float[] DYNAMIC_MAP = dynamicMap();
    private static final Quant4Kernels.Codebook DYNAMIC_BOOK = new Quant4Kernels.Codebook(DYNAMIC_MAP);

    private final QuantType type;
    private final int numel;
    private final byte[] packed;       // (⌈numel/2⌉) two codes a byte, the even element high
    private final float[] absmax;      // (blocks), null when double-quantised
    private final byte[] nestedCodes;  // (blocks) 8-bit codes of absmax − offset, or null
    private final float[] nestedAbsmax; // (⌈blocks/256⌉), or null
    private final float offset;
    private final float[] code;        // type's 16 values
    private final Quant4Kernels.BlockScale scale;

    private Quant4Weight(QuantType type, int numel, byte[] packed, float[] absmax, boolean doubleQuant) {
        this.type = type;
        this.numel = numel;
        this.packed = packed;
        this.code = type.table();
        if (!doubleQuant) {
            this.absmax = absmax;
            this.nestedCodes = null;
            this.nestedAbsmax = null;
            this.offset = 0;
            this.scale = b -> absmax[b];
            return;
        }
        double sum = 0;
        for (float a : absmax) sum += a;
        float mean = (float) (sum / absmax.length);
        float[] centred = new float[absmax.length];
        for (int b = 0; b < absmax.length; b++) centred[b] = absmax[b] - mean;
        byte[] q = new byte[absmax.length];
        float[] absmax2 = new float[Math.ceilDiv(absmax.length, NESTED_BLOCK_SIZE)];
        Quant4Kernels.quantize(q, absmax2, centred, 0, 0, centred.length, NESTED_BLOCK_SIZE, DYNAMIC_BOOK, false);
        this.absmax = null;
        this.nestedCodes = q;
        this.nestedAbsmax = absmax2;
        this.offset = mean;
        this.scale = b -> DYNAMIC_MAP[q[b] & 0xFF] * absmax2[b / NESTED_BLOCK_SIZE] + mean;
    }

    /**
     * Quantises {@code n} values of {@code values} from {@code off} (row-major), as bitsandbytes'
     * {@code quantize_4bit(A, blocksize=64, quant_type, compress_statistics=doubleQuant)}.
     *
     * @throws IllegalArgumentException when a value is NaN or infinite (named by its index), or n is 0
     */
    public static Quant4Weight quantize(float[] values, int off, int n, QuantType type, boolean doubleQuant) {
        if (n <= 0 || off < 0 || off + n > values.length) {
            throw new IllegalArgumentException("Quant4Weight.quantize: " + n + " values from " + off
                    + " do not fit in an array of " + values.length + " (and at least one is needed)");
        }
        Builder b = new Builder(type, n);
        b.add(values, off, n, "values");
        return b.build(doubleQuant);
    }

    /** A float32 or BF16 tensor quantised (a BF16 one is widened a chunk at a time, never whole). */
    static Quant4Weight quantize(Tensor source, QuantType type, boolean doubleQuant) {
        int n = source.numel();
        Builder b = new Builder(type, n);
        if (!source.isBf16()) {
            b.add(source.storage(), source.offset(), n, source.describe());
        } else {
            float[] chunk = new float[Math.min(n, CHUNK)];
            for (int s = 0; s < n; s += CHUNK) {
                int len = Math.min(CHUNK, n - s);
                dev.align4j.tensor.kernels.Bf16Kernels.widen(chunk, 0, source.bf16Storage(), s, len, 1, len);
                b.add(chunk, 0, len, source.describe());
            }
        }
        return b.build(doubleQuant);
    }

    /** Quantises a weight in consecutive runs of whole blocks (the last run may end mid-block). */
    private static final class Builder {
        final QuantType type;
        final int numel;
        final byte[] packed;
        final float[] absmax;
        final Quant4Kernels.Codebook book;
        long done;

        Builder(QuantType type, int numel) {
            if (numel <= 0) throw new IllegalArgumentException("Quant4Weight.quantize: an empty tensor has nothing to quantise");
            this.type = type;
            this.numel = numel;
            this.packed = new byte[Math.ceilDiv(numel, 2)];
            this.absmax = new float[Math.ceilDiv(numel, BLOCK_SIZE)];
            this.book = new Quant4Kernels.Codebook(type.table());
        }

        void add(float[] values, int off, int n, String what) {
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(values[off + i])) {
                    throw new IllegalArgumentException("quantize (" + type.bnbName() + "): " + what + " has " + values[off + i]
                            + " at element " + (done + i) + "; a 4-bit weight needs finite values");
                }
            }
            Quant4Kernels.quantize(packed, absmax, values, off, done, n, BLOCK_SIZE, book, true);
            done += n;
        }

        Quant4Weight build(boolean doubleQuant) {
            return new Quant4Weight(type, numel, packed, absmax, doubleQuant);
        }
    }

    public QuantType type() {
        return type;
    }

    public int numel() {
        return numel;
    }

    /** Whether the absmax values are double-quantised. */
    public boolean doubleQuant() {
        return nestedCodes != null;
    }

    /** Number of blocks of {@value #BLOCK_SIZE} (the last may be shorter). */
    public int blocks() {
        return Math.ceilDiv(numel, BLOCK_SIZE);
    }

    /** The scale of block {@code b}: its absmax, dequantised from 8 bits under double quantisation. */
    public float absmax(int b) {
        return scale.of(b);
    }

    /** The 4-bit code of element {@code i}. */
    public int code(int i) {
        int bits = packed[i >> 1];
        return (i & 1) == 0 ? bits >> 4 & 0xF : bits & 0xF;
    }

    /** Element {@code i}, dequantised. */
    public float get(int i) {
        return code[code(i)] * scale.of(i / BLOCK_SIZE);
    }

    /** The offset of double quantisation (the mean of the block absmax values); 0 without it. */
    public float offset() {
        return offset;
    }

    /** Bytes this storage holds: codes, scales and (double quantisation) the second-level scales. */
    public long bytes() {
        return packed.length + (absmax != null ? 4L * absmax.length : nestedCodes.length + 4L * nestedAbsmax.length + 4);
    }

    /** Elements {@code [start, start + n)} dequantised into {@code dst} from {@code dstOff}, on the calling thread. */
    @Override
    public void decode(float[] dst, int dstOff, long start, int n) {
        if (start < 0 || n < 0 || start + n > numel) {
            throw new IllegalArgumentException("Quant4Weight.decode: elements [" + start + ", " + (start + n)
                    + ") are outside the " + numel + " of this weight");
        }
        Quant4Kernels.dequantize4(dst, dstOff, packed, code, scale, BLOCK_SIZE, start, n);
    }

    /** Every element dequantised into {@code dst} from {@code dstOff}; runs of blocks spread over the pool. */
    void decodeAll(float[] dst, int dstOff) {
        int runs = Math.ceilDiv(numel, CHUNK);
        Parallel.forRange(runs, 1, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long s = (long) r * CHUNK;
                decode(dst, dstOff + (int) s, s, (int) Math.min(CHUNK, numel - s));
            }
        });
    }

    /**
     * bitsandbytes' {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}: for
     * exponents i = 0..6, the midpoints of {@code linspace(0.1, 1, 2^i + 1)} times {@code 10^(i−6)},
     * both signs; then 0 and 1; ascending. Computed in float32 as PyTorch computes it.
     */
    private static float[] dynamicMap() {
        float[] data = new float[256];
        int k = 0;
        for (int i = 0; i < 7; i++) {
            int steps = (1 << i) + 1;
            float[] bounds = linspace(0.1f, 1f, steps);
            float scale = (float) Math.pow(10, i - 6);
            for (int j = 0; j + 1 < steps; j++) {
                float mean = (bounds[j] + bounds[j + 1]) / 2f;
                data[k++] = scale * mean;
                data[k++] = -scale * mean;
            }
        }
        data[k++] = 0f;
        data[k] = 1f;
        java.util.Arrays.sort(data);
        return data;
    }

    /** {@code torch.linspace(start, end, steps)} in float32: the first half from start, the second back from end. */
    private static float[] linspace(float start, float end, int steps) {
        float step = (end - start) / (steps - 1);
        float[] out = new float[steps];
        for (int i = 0; i < steps; i++) out[i] = i < steps / 2 ? start + step * i : end - step * (steps - i - 1);
        return out;
    }
}
