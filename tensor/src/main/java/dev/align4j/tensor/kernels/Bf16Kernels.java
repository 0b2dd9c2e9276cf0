package dev.align4j.tensor.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * BF16 → float32 widening: a block of a row-major BF16 matrix into a dense float array (the
 * scratch of {@link Bf16Gemm}), and the embedding gather from a BF16 table.
 *
 * <p>Based on the format: bfloat16 is the top 16 bits of an IEEE float32 (Google's "bfloat16"
 * format; PyTorch's {@code c10::BFloat16}), so widening is exact: the bits shifted left by 16. The
 * vector loop loads as many shorts as the preferred float species has lanes, converts them to ints
 * ({@code S2I}; the sign extension is shifted out), shifts and reinterprets the ints as floats; the
 * scalar tail does the same one element at a time. What it is not: narrowing (rounding float32 to
 * BF16 is the checkpoint writer's job, in the io layer), nor a place for index checks: callers
 * check shapes and ids once per op; the segment itself bounds-checks every access.
 *
 * <p>BF16 data is little-endian, as safetensors stores it; offsets and strides count elements.
 */
public final class Bf16Kernels {
    private Bf16Kernels() {}

    /** One BF16 element, little-endian, at any 2-byte boundary a file gives. */
    public static final ValueLayout.OfShort BF16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    /** Element {@code i} of a BF16 segment, widened. */
    public static float widen(MemorySegment src, long i) {
        return Float.intBitsToFloat(src.get(BF16_LE, 2 * i) << 16);
    }

    /**
     * {@code dst[r, c] = src[srcOff + r·ld + c]} widened, for a (rows, cols) block, {@code dst}
     * dense (row stride {@code cols}) from {@code dstOff}. Rows are split over the pool.
     */
    public static void widen(float[] dst, int dstOff, MemorySegment src, long srcOff, long ld, int rows, int cols) {
        Parallel.forRange(rows, Parallel.grain(rows, cols), (r0, r1) -> {
            for (int r = r0; r < r1; r++) widenRun(dst, dstOff + r * cols, src, srcOff + r * ld, cols);
        });
    }

    /**
     * {@code out[k] = table[ids[k]]} widened: an embedding lookup from a (V, C) BF16 table.
     *
     * @param out   (N, C) at offset 0
     * @param table (V, C)
     * @param ids   (N), each in [0, V) (checked by the caller)
     */
    public static void gather(float[] out, MemorySegment table, int[] ids, int n, int c) {
        Parallel.forRange(n, Parallel.grain(n, c), (k0, k1) -> {
            for (int k = k0; k < k1; k++) widenRun(out, k * c, table, (long) ids[k] * c, c);
        });
    }

    /** {@code dst[dstOff + i] = src[srcOff + i]} widened, for i in [0, n). */
    static void widenRun(float[] dst, int dstOff, MemorySegment src, long srcOff, int n) {
        long base = 2 * srcOff;
        int lanes = F.length(), bound = F.loopBound(n), i = 0;
        for (; i < bound; i += lanes) {
            ShortVector bits = ShortVector.fromMemorySegment(S, src, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
            ((IntVector) bits.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] = Float.intBitsToFloat(src.get(BF16_LE, base + 2L * i) << 16);
    }
}
