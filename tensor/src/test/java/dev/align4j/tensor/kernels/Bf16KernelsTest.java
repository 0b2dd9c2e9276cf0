package dev.align4j.tensor.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Bf16KernelsTest {

    /** The scalar definition: the 16 bits become the top half of a float32. */
    private static float reference(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    private static short[] randomBits(long seed, int n) {
        SplittableRandom rng = new SplittableRandom(seed);
        short[] s = new short[n];
        for (int i = 0; i < n; i++) s[i] = (short) rng.nextInt(1 << 16); // every pattern: NaNs, infinities, subnormals, −0
        return s;
    }

    private static MemorySegment segment(short[] bits) {
        MemorySegment seg = Arena.ofAuto().allocate(2L * bits.length + 1).asSlice(1); // odd address: unaligned, as files may be
        for (int i = 0; i < bits.length; i++) seg.set(Bf16Kernels.BF16_LE, 2L * i, bits[i]);
        return seg;
    }

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {1, 7, 33, 65, 127})
    void widenedBlockMatchesTheScalarDefinitionAtEveryBitPattern(int cols) {
        int rows = 5, ld = cols + 3, srcOff = 2, dstOff = 4;
        short[] bits = randomBits(cols, srcOff + rows * ld);
        float[] dst = new float[dstOff + rows * cols + 1];
        Bf16Kernels.widen(dst, dstOff, segment(bits), srcOff, ld, rows, cols);
        float[] expected = new float[dst.length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) expected[dstOff + r * cols + c] = reference(bits[srcOff + r * ld + c]);
        assertArrayEquals(rawBits(expected), rawBits(dst)); // NaN payloads included
    }

    private static int[] rawBits(float[] v) {
        int[] bits = new int[v.length];
        for (int i = 0; i < v.length; i++) bits[i] = Float.floatToRawIntBits(v[i]);
        return bits;
    }

    @Test
    void widenKeepsSpecialValuesExactly() {
        float[] values = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE * 65536, 1f, -2.5f,
                Float.intBitsToFloat(0x7FC00000), 3.3895314e38f};
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = (short) (Float.floatToRawIntBits(values[i]) >>> 16);
        float[] out = new float[values.length];
        Bf16Kernels.widen(out, 0, segment(bits), 0, values.length, 1, values.length);
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(out[i]), "value " + i);
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(Bf16Kernels.widen(segment(bits), i)));
        }
    }

    @ParameterizedTest(name = "C={0}")
    @ValueSource(ints = {1, 7, 33, 65, 127})
    void gatherWidensTheRowsOfTheIds(int c) {
        int v = 9;
        short[] bits = randomBits(100 + c, v * c);
        int[] ids = {3, 0, 8, 3, 5};
        float[] out = new float[ids.length * c];
        Bf16Kernels.gather(out, segment(bits), ids, ids.length, c);
        float[] expected = new float[out.length];
        for (int k = 0; k < ids.length; k++)
            for (int j = 0; j < c; j++) expected[k * c + j] = reference(bits[ids[k] * c + j]);
        assertArrayEquals(rawBits(expected), rawBits(out));
    }
}
