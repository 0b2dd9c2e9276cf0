package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.S;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs a B micro-panel from B stored transposed, (n, k): {@code NR} rows of the storage become
 * the {@code NR} columns of the panel, {@code dst[p·NR + j] = B[j, p]}, by 16 × 16 transposes in
 * registers — a float32 source, or a BF16 one widened as it is loaded.
 *
 * <p>A transpose loads 16 row pieces of 16 floats and runs the four stages of the butterfly: stage
 * {@code s} (8, 4, 2, 1) pairs vectors {@code i} and {@code i + s} and takes, with one two-source
 * permute each ({@code selectFrom}, {@code vpermi2ps}), their low and high halves of every
 * {@code 2s}-lane group; after the four stages vector {@code q} holds column {@code q}. This is
 * the classic 64-shuffle in-register transpose (Intel's optimization manual, "matrix transposition"
 * with AVX-512). A BF16 source is transposed as 32-bit pairs of neighbouring values, so one
 * transpose moves 32 columns. Measured on one core, 32 rows of 256 columns from L1/L2, row strides
 * of 256 to 784: float32 5.7-7.5 G values/s against 5.3-6.0 G for the 16-lane gathers of
 * {@link GemmPacking}; BF16 7-8 G against 3.7-4.1 G for widening the rows and gathering. The
 * methods are straight-line and of about the same size on purpose: a version that staged the
 * block through memory between stages was 2.6× slower, and one that also widened in the
 * transposing method never left C1 (it ran out of registers there) and ran 100× slower.
 * {@link SkinnyColumns} runs the same butterfly (its lanes, and the BF16 transpose) on B read in
 * place, multiplying the columns as they come out instead of packing them.
 *
 * <p>What it is not: species-agnostic. It needs 16 float lanes (AVX-512, {@link #SUPPORTED}); with
 * other vector sizes {@link GemmPacking} keeps its gathers. Nor does it check bounds: the caller
 * checks the operand once.
 */
final class PanelTranspose {
    private PanelTranspose() {}

    /** Lanes of the vectors, and the side of a transposed block. */
    static final int L = 16;
    /** Whether the preferred species has the 16 lanes this class is written for. */
    static final boolean SUPPORTED = S.length() == L;

    /** Shorts of a whole vector: loaded as shorts, which the Vector API also reads fast from a short[]-backed segment, then seen as 32-bit pairs. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, S.vectorShape());
    /** Per stage (pairs of rows 8, 4, 2, 1 apart), the lanes {@code selectFrom} takes for the low and the high output. */
    static final FloatVector LO0 = lanes(8, 0), HI0 = lanes(8, 8), LO1 = lanes(4, 0), HI1 = lanes(4, 4);
    static final FloatVector LO2 = lanes(2, 0), HI2 = lanes(2, 2), LO3 = lanes(1, 0), HI3 = lanes(1, 1);
    /** Per thread: a transposed block of BF16 pairs, before widening. */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[L * L]);

    /**
     * The lanes of one output of the stage pairing rows {@code s} apart: output lane {@code l} takes
     * lane {@code half + …} of the first row when {@code l} is in the low half of its
     * {@code 2s}-lane group, else of the second row (index 16 + …).
     */
    private static FloatVector lanes(int s, int half) {
        float[] lanes = new float[L];
        for (int l = 0; l < L; l++) {
            int w = l % (2 * s), src = l / (2 * s) * 2 * s + w % s + half;
            lanes[l] = w < s ? src : L + src;
        }
        return SUPPORTED ? FloatVector.fromArray(S, lanes, 0) : null;
    }

    /**
     * {@code dst[d + p·NR + j] = b[off + j·ld + p]} for {@code j < NR}, {@code p < kk}: a panel
     * from {@code NR} rows of a float matrix with row stride {@code ld}. Needs {@link #SUPPORTED}.
     */
    static void pack(float[] b, int off, int ld, int kk, float[] dst, int d) {
        int p = 0;
        for (; p + L <= kk; p += L) {
            transpose(b, off + p, ld, dst, d + p * NR);
            transpose(b, off + L * ld + p, ld, dst, d + p * NR + L);
        }
        for (; p < kk; p++) {
            for (int j = 0; j < NR; j++) dst[d + p * NR + j] = b[off + j * ld + p];
        }
    }

    /**
     * {@link #pack} from a little-endian BF16 segment (offsets and stride in elements). Each 32-bit
     * lane holds two neighbouring BF16 values of a row, so one 16 × 16 transpose of such pairs moves
     * 32 columns; the low value of a pair widens by a shift, the high one by a mask.
     */
    static void pack(MemorySegment b, long off, long ld, int kk, float[] dst, int d) {
        float[] block = BLOCK.get(); // (16, 16): row q holds column q of pairs
        int p = 0;
        for (; p + 2 * L <= kk; p += 2 * L) {
            for (int half = 0; half < NR; half += L) {
                transpose(b, 2 * (off + half * ld + p), 2 * ld, block);
                for (int q = 0; q < L; q++) { // the low value of a pair is column 2q, the high one 2q + 1
                    IntVector pair = FloatVector.fromArray(S, block, q * L).reinterpretAsInts();
                    pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, d + (p + 2 * q) * NR + half);
                    pair.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().intoArray(dst, d + (p + 2 * q + 1) * NR + half);
                }
            }
        }
        for (; p < kk; p++) {
            for (int j = 0; j < NR; j++) dst[d + p * NR + j] = Bf16Kernels.widen(b, off + j * ld + p);
        }
    }

    /**
     * Writes the transpose of the 16 × 16 block of {@code b} from element {@code src} (row stride
     * {@code ld}) as panel rows {@code NR} floats apart from {@code dst[d]}. Straight-line, with its
     * own loads and stores: a vector passed to a method the JIT does not inline is boxed, and the
     * staged version of this (a loop per stage through a scratch block) measured 2.6× slower.
     */
    private static void transpose(float[] b, int src, int ld, float[] dst, int d) {
        FloatVector r0 = FloatVector.fromArray(S, b, src);
        FloatVector r1 = FloatVector.fromArray(S, b, src + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, b, src + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S, b, src + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, b, src + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S, b, src + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, b, src + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S, b, src + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(S, b, src + 8 * ld);
        FloatVector r9 = FloatVector.fromArray(S, b, src + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(S, b, src + 10 * ld);
        FloatVector r11 = FloatVector.fromArray(S, b, src + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(S, b, src + 12 * ld);
        FloatVector r13 = FloatVector.fromArray(S, b, src + 13 * ld);
        FloatVector r14 = FloatVector.fromArray(S, b, src + 14 * ld);
        FloatVector r15 = FloatVector.fromArray(S, b, src + 15 * ld);
        FloatVector t00 = LO0.selectFrom(r0, r8), t08 = HI0.selectFrom(r0, r8);
        FloatVector t01 = LO0.selectFrom(r1, r9), t09 = HI0.selectFrom(r1, r9);
        FloatVector t02 = LO0.selectFrom(r2, r10), t0a = HI0.selectFrom(r2, r10);
        FloatVector t03 = LO0.selectFrom(r3, r11), t0b = HI0.selectFrom(r3, r11);
        FloatVector t04 = LO0.selectFrom(r4, r12), t0c = HI0.selectFrom(r4, r12);
        FloatVector t05 = LO0.selectFrom(r5, r13), t0d = HI0.selectFrom(r5, r13);
        FloatVector t06 = LO0.selectFrom(r6, r14), t0e = HI0.selectFrom(r6, r14);
        FloatVector t07 = LO0.selectFrom(r7, r15), t0f = HI0.selectFrom(r7, r15);
        FloatVector t10 = LO1.selectFrom(t00, t04), t14 = HI1.selectFrom(t00, t04);
        FloatVector t11 = LO1.selectFrom(t01, t05), t15 = HI1.selectFrom(t01, t05);
        FloatVector t12 = LO1.selectFrom(t02, t06), t16 = HI1.selectFrom(t02, t06);
        FloatVector t13 = LO1.selectFrom(t03, t07), t17 = HI1.selectFrom(t03, t07);
        FloatVector t18 = LO1.selectFrom(t08, t0c), t1c = HI1.selectFrom(t08, t0c);
        FloatVector t19 = LO1.selectFrom(t09, t0d), t1d = HI1.selectFrom(t09, t0d);
        FloatVector t1a = LO1.selectFrom(t0a, t0e), t1e = HI1.selectFrom(t0a, t0e);
        FloatVector t1b = LO1.selectFrom(t0b, t0f), t1f = HI1.selectFrom(t0b, t0f);
        FloatVector t20 = LO2.selectFrom(t10, t12), t22 = HI2.selectFrom(t10, t12);
        FloatVector t21 = LO2.selectFrom(t11, t13), t23 = HI2.selectFrom(t11, t13);
        FloatVector t24 = LO2.selectFrom(t14, t16), t26 = HI2.selectFrom(t14, t16);
        FloatVector t25 = LO2.selectFrom(t15, t17), t27 = HI2.selectFrom(t15, t17);
        FloatVector t28 = LO2.selectFrom(t18, t1a), t2a = HI2.selectFrom(t18, t1a);
        FloatVector t29 = LO2.selectFrom(t19, t1b), t2b = HI2.selectFrom(t19, t1b);
        FloatVector t2c = LO2.selectFrom(t1c, t1e), t2e = HI2.selectFrom(t1c, t1e);
        FloatVector t2d = LO2.selectFrom(t1d, t1f), t2f = HI2.selectFrom(t1d, t1f);
        FloatVector t30 = LO3.selectFrom(t20, t21), t31 = HI3.selectFrom(t20, t21);
        FloatVector t32 = LO3.selectFrom(t22, t23), t33 = HI3.selectFrom(t22, t23);
        FloatVector t34 = LO3.selectFrom(t24, t25), t35 = HI3.selectFrom(t24, t25);
        FloatVector t36 = LO3.selectFrom(t26, t27), t37 = HI3.selectFrom(t26, t27);
        FloatVector t38 = LO3.selectFrom(t28, t29), t39 = HI3.selectFrom(t28, t29);
        FloatVector t3a = LO3.selectFrom(t2a, t2b), t3b = HI3.selectFrom(t2a, t2b);
        FloatVector t3c = LO3.selectFrom(t2c, t2d), t3d = HI3.selectFrom(t2c, t2d);
        FloatVector t3e = LO3.selectFrom(t2e, t2f), t3f = HI3.selectFrom(t2e, t2f);
        t30.intoArray(dst, d + 0 * NR);
        t31.intoArray(dst, d + 1 * NR);
        t32.intoArray(dst, d + 2 * NR);
        t33.intoArray(dst, d + 3 * NR);
        t34.intoArray(dst, d + 4 * NR);
        t35.intoArray(dst, d + 5 * NR);
        t36.intoArray(dst, d + 6 * NR);
        t37.intoArray(dst, d + 7 * NR);
        t38.intoArray(dst, d + 8 * NR);
        t39.intoArray(dst, d + 9 * NR);
        t3a.intoArray(dst, d + 10 * NR);
        t3b.intoArray(dst, d + 11 * NR);
        t3c.intoArray(dst, d + 12 * NR);
        t3d.intoArray(dst, d + 13 * NR);
        t3e.intoArray(dst, d + 14 * NR);
        t3f.intoArray(dst, d + 15 * NR);
    }

    /**
     * {@link #transpose(float[], int, int, float[], int)} of the 16 × 16 block of 32-bit lanes of
     * {@code b} from byte {@code src} (row stride {@code ld} bytes), each lane a pair of BF16
     * values, into {@code block} (16, 16). Kept to the size of the float one: with the widening in
     * it too, C1 ran out of registers and the method never reached C2 (measured 100× slower).
     */
    static void transpose(MemorySegment b, long src, long ld, float[] block) {
        FloatVector r0 = ShortVector.fromMemorySegment(H, b, src, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r1 = ShortVector.fromMemorySegment(H, b, src + 1 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r2 = ShortVector.fromMemorySegment(H, b, src + 2 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r3 = ShortVector.fromMemorySegment(H, b, src + 3 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r4 = ShortVector.fromMemorySegment(H, b, src + 4 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r5 = ShortVector.fromMemorySegment(H, b, src + 5 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r6 = ShortVector.fromMemorySegment(H, b, src + 6 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r7 = ShortVector.fromMemorySegment(H, b, src + 7 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r8 = ShortVector.fromMemorySegment(H, b, src + 8 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r9 = ShortVector.fromMemorySegment(H, b, src + 9 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r10 = ShortVector.fromMemorySegment(H, b, src + 10 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r11 = ShortVector.fromMemorySegment(H, b, src + 11 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r12 = ShortVector.fromMemorySegment(H, b, src + 12 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r13 = ShortVector.fromMemorySegment(H, b, src + 13 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r14 = ShortVector.fromMemorySegment(H, b, src + 14 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector r15 = ShortVector.fromMemorySegment(H, b, src + 15 * ld, ByteOrder.LITTLE_ENDIAN).reinterpretAsFloats();
        FloatVector t00 = LO0.selectFrom(r0, r8), t08 = HI0.selectFrom(r0, r8);
        FloatVector t01 = LO0.selectFrom(r1, r9), t09 = HI0.selectFrom(r1, r9);
        FloatVector t02 = LO0.selectFrom(r2, r10), t0a = HI0.selectFrom(r2, r10);
        FloatVector t03 = LO0.selectFrom(r3, r11), t0b = HI0.selectFrom(r3, r11);
        FloatVector t04 = LO0.selectFrom(r4, r12), t0c = HI0.selectFrom(r4, r12);
        FloatVector t05 = LO0.selectFrom(r5, r13), t0d = HI0.selectFrom(r5, r13);
        FloatVector t06 = LO0.selectFrom(r6, r14), t0e = HI0.selectFrom(r6, r14);
        FloatVector t07 = LO0.selectFrom(r7, r15), t0f = HI0.selectFrom(r7, r15);
        FloatVector t10 = LO1.selectFrom(t00, t04), t14 = HI1.selectFrom(t00, t04);
        FloatVector t11 = LO1.selectFrom(t01, t05), t15 = HI1.selectFrom(t01, t05);
        FloatVector t12 = LO1.selectFrom(t02, t06), t16 = HI1.selectFrom(t02, t06);
        FloatVector t13 = LO1.selectFrom(t03, t07), t17 = HI1.selectFrom(t03, t07);
        FloatVector t18 = LO1.selectFrom(t08, t0c), t1c = HI1.selectFrom(t08, t0c);
        FloatVector t19 = LO1.selectFrom(t09, t0d), t1d = HI1.selectFrom(t09, t0d);
        FloatVector t1a = LO1.selectFrom(t0a, t0e), t1e = HI1.selectFrom(t0a, t0e);
        FloatVector t1b = LO1.selectFrom(t0b, t0f), t1f = HI1.selectFrom(t0b, t0f);
        FloatVector t20 = LO2.selectFrom(t10, t12), t22 = HI2.selectFrom(t10, t12);
        FloatVector t21 = LO2.selectFrom(t11, t13), t23 = HI2.selectFrom(t11, t13);
        FloatVector t24 = LO2.selectFrom(t14, t16), t26 = HI2.selectFrom(t14, t16);
        FloatVector t25 = LO2.selectFrom(t15, t17), t27 = HI2.selectFrom(t15, t17);
        FloatVector t28 = LO2.selectFrom(t18, t1a), t2a = HI2.selectFrom(t18, t1a);
        FloatVector t29 = LO2.selectFrom(t19, t1b), t2b = HI2.selectFrom(t19, t1b);
        FloatVector t2c = LO2.selectFrom(t1c, t1e), t2e = HI2.selectFrom(t1c, t1e);
        FloatVector t2d = LO2.selectFrom(t1d, t1f), t2f = HI2.selectFrom(t1d, t1f);
        FloatVector t30 = LO3.selectFrom(t20, t21), t31 = HI3.selectFrom(t20, t21);
        FloatVector t32 = LO3.selectFrom(t22, t23), t33 = HI3.selectFrom(t22, t23);
        FloatVector t34 = LO3.selectFrom(t24, t25), t35 = HI3.selectFrom(t24, t25);
        FloatVector t36 = LO3.selectFrom(t26, t27), t37 = HI3.selectFrom(t26, t27);
        FloatVector t38 = LO3.selectFrom(t28, t29), t39 = HI3.selectFrom(t28, t29);
        FloatVector t3a = LO3.selectFrom(t2a, t2b), t3b = HI3.selectFrom(t2a, t2b);
        FloatVector t3c = LO3.selectFrom(t2c, t2d), t3d = HI3.selectFrom(t2c, t2d);
        FloatVector t3e = LO3.selectFrom(t2e, t2f), t3f = HI3.selectFrom(t2e, t2f);
        t30.intoArray(block, 0 * L);
        t31.intoArray(block, 1 * L);
        t32.intoArray(block, 2 * L);
        t33.intoArray(block, 3 * L);
        t34.intoArray(block, 4 * L);
        t35.intoArray(block, 5 * L);
        t36.intoArray(block, 6 * L);
        t37.intoArray(block, 7 * L);
        t38.intoArray(block, 8 * L);
        t39.intoArray(block, 9 * L);
        t3a.intoArray(block, 10 * L);
        t3b.intoArray(block, 11 * L);
        t3c.intoArray(block, 12 * L);
        t3d.intoArray(block, 13 * L);
        t3e.intoArray(block, 14 * L);
        t3f.intoArray(block, 15 * L);
    }
}
