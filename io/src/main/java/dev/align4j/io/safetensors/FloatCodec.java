package dev.align4j.io.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Bulk conversion between little-endian F32 / BF16 / F16 bytes and float32 arrays.
 *
 * <p>What it is: the widening loops of the reader and the narrowing loops of the writer. F32 is one
 * bulk copy; the 16-bit types are copied in chunks into a {@code short[]} and converted in a plain
 * loop the JIT vectorises, so there is no per-element bounds check on the segment. What it is not:
 * a general dtype library (the other dtypes are not converted at all).
 *
 * <p>Based on: BF16 is the top half of a float32, so widening is a 16-bit shift; narrowing rounds to
 * nearest, ties to even, with NaN mapped to the quiet NaN 0x7FC0, exactly as PyTorch's
 * {@code c10::BFloat16} {@code round_to_nearest_even} (what {@code tensor.to(torch.bfloat16)} does).
 * F16 uses {@link Float#float16ToFloat} and {@link Float#floatToFloat16} (IEEE 754 binary16,
 * subnormals, infinities and NaN included; narrowing rounds to nearest even).
 */
final class FloatCodec {
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Elements converted per chunk of the 16-bit loops (a 8 KB scratch array). */
    static final int CHUNK = 4096;

    private FloatCodec() {}

    /** Widens {@code n} elements of {@code dtype} at {@code src[srcOffset..]} into {@code dst[dstOffset..]}. */
    static void decode(DType dtype, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        if (dtype == DType.F32) {
            MemorySegment.copy(src, F32_LE, srcOffset, dst, dstOffset, n);
            return;
        }
        short[] buf = new short[Math.min(n, CHUNK)];
        for (int done = 0; done < n; done += buf.length) {
            int m = Math.min(buf.length, n - done);
            MemorySegment.copy(src, I16_LE, srcOffset + 2L * done, buf, 0, m);
            int d = dstOffset + done;
            switch (dtype) {
                case BF16 -> {
                    for (int i = 0; i < m; i++) dst[d + i] = Float.intBitsToFloat(buf[i] << 16);
                }
                case F16 -> {
                    for (int i = 0; i < m; i++) dst[d + i] = Float.float16ToFloat(buf[i]);
                }
                default -> throw new IllegalArgumentException("no float conversion for " + dtype);
            }
        }
    }

    /** Narrows {@code n} floats at {@code src[srcOffset..]} into {@code dtype} at {@code dst[dstOffset..]}. */
    static void encode(DType dtype, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        if (dtype == DType.F32) {
            MemorySegment.copy(src, srcOffset, dst, F32_LE, dstOffset, n);
            return;
        }
        short[] buf = new short[Math.min(n, CHUNK)];
        for (int done = 0; done < n; done += buf.length) {
            int m = Math.min(buf.length, n - done);
            int s = srcOffset + done;
            switch (dtype) {
                case BF16 -> {
                    for (int i = 0; i < m; i++) buf[i] = toBf16(src[s + i]);
                }
                case F16 -> {
                    for (int i = 0; i < m; i++) buf[i] = Float.floatToFloat16(src[s + i]);
                }
                default -> throw new IllegalArgumentException("no float conversion for " + dtype);
            }
            MemorySegment.copy(buf, 0, dst, I16_LE, dstOffset + 2L * done, m);
        }
    }

    /**
     * Converts {@code n} elements of {@code from} at byte {@code srcOffset} of {@code src} into {@code to} at
     * byte {@code dstOffset} of {@code dst}: a byte copy for the same type, else widened to float32 and
     * narrowed a chunk at a time (so BF16 from F32 or F16 rounds to nearest even, as {@code tensor.to(torch.bfloat16)}).
     */
    static void convert(DType from, MemorySegment src, long srcOffset, DType to, MemorySegment dst, long dstOffset, long n) {
        if (from == to) {
            MemorySegment.copy(src, srcOffset, dst, dstOffset, n * (from.bits() / 8));
            return;
        }
        float[] buf = new float[(int) Math.min(n, CHUNK)];
        for (long done = 0; done < n; done += buf.length) {
            int m = (int) Math.min(buf.length, n - done);
            decode(from, src, srcOffset + done * (from.bits() / 8), buf, 0, m);
            encode(to, buf, 0, m, dst, dstOffset + done * (to.bits() / 8));
        }
    }

    /** float32 → bfloat16 bits, round to nearest even; NaN → 0x7FC0 (as c10::BFloat16). */
    static short toBf16(float f) {
        if (Float.isNaN(f)) return 0x7FC0;
        int bits = Float.floatToRawIntBits(f);
        int roundingBias = ((bits >>> 16) & 1) + 0x7FFF;
        return (short) ((bits + roundingBias) >>> 16);
    }
}
