package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Bf16Kernels;

import java.lang.foreign.MemorySegment;

/**
 * Frozen BF16 test inputs: seeded normal samples cut to bfloat16 (the top 16 bits of each float32
 * sample; any BF16 value serves, so no rounding is needed), on the heap.
 */
public final class Bf16Fixtures {
    private Bf16Fixtures() {}

    /** A frozen BF16 tensor of normal samples reproducible from {@code seed}. */
    public static Tensor randn(long seed, int... shape) {
        return Tensor.frozenBf16(bits(Tensor.randn(seed, shape).toArray()), shape);
    }

    /** Little-endian BF16 bits of {@code values}, truncated. */
    public static MemorySegment bits(float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new short[values.length]);
        for (int i = 0; i < values.length; i++) {
            seg.set(Bf16Kernels.BF16_LE, 2L * i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
        }
        return seg;
    }
}
