package dev.align4j.io.safetensors;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conversion loops against hand-computed bit patterns and against slow scalar references.
 *
 * <p>BF16 rounding, by hand: a float32 is split into its top 16 bits (the BF16 candidate) and the
 * low 16 bits (the remainder). Remainder below 0x8000 rounds down, above rounds up, exactly 0x8000 is
 * a tie that goes to the even candidate. So 0x3F808000 (1 + 2^-8) ties between 0x3F80 and 0x3F81 and
 * stays at the even 0x3F80, while 0x3F818000 ties between 0x3F81 and 0x3F82 and goes up to 0x3F82.
 */
class FloatCodecTest {

    @Test
    void bf16RoundsToNearestEvenAsTorch() {
        int[][] cases = {
            {0x3F800000, 0x3F80}, // 1.0 exact
            {0x40490FDB, 0x4049}, // pi: remainder 0x0FDB rounds down to 3.140625
            {0x3F808000, 0x3F80}, // tie, even candidate below
            {0x3F818000, 0x3F82}, // tie, odd candidate below: up to even
            {0x3F808001, 0x3F81}, // just above the tie
            {0x3F807FFF, 0x3F80}, // just below the tie
            {0xBF808000, 0xBF80}, // negative tie
            {0xBF818000, 0xBF82},
            {0x7F7FFFFF, 0x7F80}, // Float.MAX_VALUE rounds up to +inf
            {0x7F7F7FFF, 0x7F7F}, // largest that stays finite
            {0x7F800000, 0x7F80}, // +inf
            {0xFF800000, 0xFF80}, // -inf
            {0x00000001, 0x0000}, // smallest subnormal rounds to +0
            {0x00008000, 0x0000}, // subnormal tie, even below
            {0x00018000, 0x0002}, // subnormal tie, odd below: up
            {0x00008001, 0x0001},
            {0x80000000, 0x8000}, // -0.0 keeps its sign
            {0x7FC00000, 0x7FC0}, // quiet NaN
            {0x7F800001, 0x7FC0}, // signalling NaN whose payload would round to inf: still NaN
            {0xFFC00000, 0x7FC0}, // negative NaN: canonical NaN, as c10::BFloat16
        };
        for (int[] c : cases) {
            assertEquals(c[1], FloatCodec.toBf16(Float.intBitsToFloat(c[0])) & 0xFFFF,
                    () -> String.format("bf16 of 0x%08X", c[0]));
        }
    }

    @Test
    void bf16MatchesAnIndependentNearestEvenReference() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int k = 0; k < 200_000; k++) {
            int bits = k < 65_536 ? (k << 16) | 0x8000 : rng.nextInt(); // every tie, then random patterns
            float f = Float.intBitsToFloat(bits);
            assertEquals(referenceBf16(f), FloatCodec.toBf16(f) & 0xFFFF, () -> String.format("0x%08X", bits));
        }
    }

    /** Nearest of the two bracketing BF16 values by exact double arithmetic; ties to the even one. */
    private static int referenceBf16(float f) {
        if (Float.isNaN(f)) return 0x7FC0;
        int bits = Float.floatToRawIntBits(f);
        int lo = bits >>> 16;
        if ((bits & 0xFFFF) == 0) return lo;
        int hi = lo + 1; // next BF16 away from zero (0x7F80 / 0xFF80 past the largest finite)
        double dLo = Math.abs(f - (double) Float.intBitsToFloat(lo << 16));
        double dHi = Math.abs((double) Float.intBitsToFloat(hi << 16) - f);
        if (Double.isInfinite(dHi)) dHi = Math.abs(Math.scalb(1.0, 128) - Math.abs((double) f)); // rounds to inf
        if (dLo != dHi) return (dLo < dHi ? lo : hi) & 0xFFFF;
        return ((lo & 1) == 0 ? lo : hi) & 0xFFFF;
    }

    @Test
    void bulkDecodeMatchesScalarReferenceAcrossChunks() {
        int n = 2 * FloatCodec.CHUNK + 7;
        SplittableRandom rng = new SplittableRandom(11);
        ByteBuffer bytes = ByteBuffer.allocate(4 * n + 3).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < bytes.capacity(); i++) bytes.put(i, (byte) rng.nextInt());
        MemorySegment seg = MemorySegment.ofArray(bytes.array());
        for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            float[] out = new float[n + 2];
            FloatCodec.decode(t, seg, 3, out, 1, n); // odd source offset: unaligned reads
            for (int i = 0; i < n; i++) {
                float expected = switch (t) {
                    case F32 -> bytes.getFloat(3 + 4 * i);
                    case BF16 -> Float.intBitsToFloat((bytes.getShort(3 + 2 * i) & 0xFFFF) << 16);
                    default -> referenceF16(bytes.getShort(3 + 2 * i) & 0xFFFF);
                };
                int idx = i;
                if (t == DType.F16 && Float.isNaN(expected)) { // the F16C instruction may quiet a signalling NaN
                    assertTrue(Float.isNaN(out[1 + i]), () -> t + " at " + idx);
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[1 + i]), () -> t + " at " + idx);
                }
            }
            assertEquals(0f, out[0]);
            assertEquals(0f, out[n + 1]);
        }
    }

    @Test
    void bulkEncodeMatchesScalarReferenceAcrossChunks() {
        int n = 2 * FloatCodec.CHUNK + 7;
        SplittableRandom rng = new SplittableRandom(13);
        float[] src = new float[n + 1];
        for (int i = 0; i < src.length; i++) src[i] = Float.intBitsToFloat(rng.nextInt());
        for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            ByteBuffer bytes = ByteBuffer.allocate(4 * n + 5).order(ByteOrder.LITTLE_ENDIAN);
            FloatCodec.encode(t, src, 1, n, MemorySegment.ofArray(bytes.array()), 5);
            for (int i = 0; i < n; i++) {
                int idx = i;
                float f = src[1 + i];
                switch (t) {
                    case F32 -> assertEquals(Float.floatToRawIntBits(f), bytes.getInt(5 + 4 * i), () -> "F32 at " + idx);
                    case BF16 -> assertEquals(referenceBf16(f), bytes.getShort(5 + 2 * i) & 0xFFFF, () -> "BF16 at " + idx);
                    default -> assertEquals(Float.floatToFloat16(f), bytes.getShort(5 + 2 * i), () -> "F16 at " + idx);
                }
            }
        }
    }

    /** IEEE binary16 → float32 written out from the definition: sign, 5-bit exponent (bias 15), 10-bit fraction. */
    private static float referenceF16(int h) {
        int sign = (h >>> 15) & 1;
        int exp = (h >>> 10) & 0x1F;
        int frac = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat((sign << 31) | 0x7F800000 | (frac << 13)); // inf / NaN, payload kept
        double magnitude = exp == 0 ? Math.scalb((double) frac, -24) : Math.scalb(1024.0 + frac, exp - 25);
        return (float) (sign == 1 ? -magnitude : magnitude);
    }
}
