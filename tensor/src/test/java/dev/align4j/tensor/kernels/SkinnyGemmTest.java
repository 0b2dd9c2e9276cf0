package dev.align4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.align4j.tensor.Bf16Fixtures;
import dev.align4j.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Batch invariance of the products ({@link Gemm#sgemm}, {@link Bf16Gemm#sgemmB}): a row of C is
 * bit-identical whether it is computed alone (m = 1, the few-rows kernel of {@link SkinnyGemm}),
 * among a few rows (m = 3, 17: the skinny path with the 12-row kernel), in a larger product of a
 * small A (m = 64, 300 at most depths: the same path, A packed whole) or in a product of an A past
 * {@link SkinnyGemm#MAX_PACKED_A} floats ({@link Gemm}'s blocked path), whatever the other rows of A hold — float32 and BF16 B, both
 * layouts of A and B, k over several blocks and odd sizes, overwriting and accumulating. The
 * engine's promise that a seeded completion is the same alone and inside a batch rests on it.
 * Also: the column path for a B stored (n, k) at offsets and with padding, the skinny path on the
 * pool and on one thread, and a BF16 B too short for its shape.
 * Its agreement with a float64 reference is in {@link GemmTest}, with BF16 in {@link Bf16GemmTest}.
 */
class SkinnyGemmTest {
    /** Rows of the batches a row is put in: the skinny path, then the first m that takes the blocked path at depth k. */
    private static int[] batchRows(int k) {
        int blocked = SkinnyGemm.MAX_PACKED_A / k + 1;
        assertTrue(!SkinnyGemm.takes(blocked, k) && SkinnyGemm.takes(300, Math.min(k, 600)));
        return new int[] {3, 17, 64, 300, blocked};
    }

    /** B, stored (k, n) or (n, k) with a padded row, as float32 and as BF16 with the same values. */
    private record B(boolean trans, int n, int k, int ld, float[] widened, MemorySegment bf16) {
        static B random(long seed, boolean trans, int n, int k) {
            int ld = (trans ? k : n) + 3;
            Tensor t = Bf16Fixtures.randn(seed, (trans ? n : k) * ld);
            return new B(trans, n, k, ld, t.toArray(), t.bf16Storage());
        }

        /** C (m, n) = (C0 when accumulating) + op(A)·op(B), with A (m, k), or (k, m) when transA, dense. */
        float[] times(boolean bf16, boolean transA, int m, float[] a, float[] c0, boolean accumulate) {
            float[] c = c0.clone();
            int lda = transA ? m : k;
            if (bf16) Bf16Gemm.sgemmB(transA, trans, m, n, k, a, 0, lda, this.bf16, 0, ld, c, 0, n, accumulate);
            else Gemm.sgemm(transA, trans, m, n, k, a, 0, lda, widened, 0, ld, c, 0, n, accumulate);
            return c;
        }
    }

    @ParameterizedTest(name = "n={0} k={1} transA={2} transB={3} bf16={4}")
    @CsvSource({
            "33,7,false,false,false", "33,7,true,true,true", "97,255,false,true,false", "97,257,true,false,true",
            "300,600,false,false,true", "300,600,false,true,true", "300,600,true,false,false", "300,600,true,true,false",
            "64,1100,false,true,false", "64,1100,false,false,true", "1,513,false,false,false", "5,513,true,true,true"})
    void aRowAloneEqualsTheSameRowInsideAnyBatch(int n, int k, boolean transA, boolean transB, boolean bf16) {
        B b = B.random(1, transB, n, k);
        SplittableRandom rng = new SplittableRandom(2);
        float[][] rows = new float[3][], c0 = new float[3][]; // rows of A, and of C to accumulate into
        float[][][] alone = new float[2][3][];                // [accumulate][row] → C row computed with m = 1
        for (int r = 0; r < 3; r++) {
            rows[r] = random(rng, k);
            c0[r] = random(rng, n);
            for (int acc = 0; acc < 2; acc++) alone[acc][r] = b.times(bf16, transA, 1, rows[r], c0[r], acc == 1);
        }
        for (int m : batchRows(k)) {
            int[] at = {0, m / 2, m - 1}; // where the three rows sit among random others
            float[] a = random(rng, m * k), c = random(rng, m * n);
            for (int r = 0; r < 3; r++) {
                for (int p = 0; p < k; p++) a[transA ? p * m + at[r] : at[r] * k + p] = rows[r][p];
                System.arraycopy(c0[r], 0, c, at[r] * n, n);
            }
            for (int acc = 0; acc < 2; acc++) {
                float[] batch = b.times(bf16, transA, m, a, c, acc == 1);
                for (int r = 0; r < 3; r++) {
                    float[] row = new float[n];
                    System.arraycopy(batch, at[r] * n, row, 0, n);
                    assertArrayEquals(alone[acc][r], row, "row " + at[r] + " of m = " + m + (acc == 1 ? ", accumulating" : ""));
                }
            }
        }
    }

    /**
     * The column path ({@code m ≤ 4}, B stored (n, k), read in place): its rows of C equal those of
     * the 12-row kernel (m = 12) and of the packed big product (m = 64), bit for bit, with B, A and C
     * at offsets and with padded rows; k cut into blocks with tails past the last whole 16 (32 for
     * BF16) values, n not a multiple of 16 (a last call with fewer lanes) and large enough for
     * several rows per lane (see {@code SkinnyGemm.STRIPS}).
     */
    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} bf16={4}")
    @CsvSource({
            "1,1000,600,false,false", "1,1000,600,false,true", "2,3001,257,true,false", "2,3001,257,false,true",
            "3,77,1100,false,false", "3,77,1100,true,true", "4,200,768,false,false", "4,200,768,false,true",
            "1,5,768,false,false", "4,5,40,true,true", "3,16,32,false,false", "1,2304,768,false,true"})
    void aTransposedBWithFewRowsGivesTheRowsOfAnyLargerProduct(int m, int n, int k, boolean transA, boolean bf16) {
        SplittableRandom rng = new SplittableRandom(5);
        int ldb = k + 5, bOff = 7, cOff = 3, ldc = n + 2;
        float[] values = random(rng, bOff + n * ldb);
        MemorySegment bits = Bf16Fixtures.bits(values);
        float[][] rows = new float[m][], c0 = new float[m][];
        for (int i = 0; i < m; i++) {
            rows[i] = random(rng, k);
            c0[i] = random(rng, n);
        }
        for (boolean accumulate : new boolean[] {false, true}) {
            float[][] few = null;
            for (int big : new int[] {m, 12, 64}) {
                int aOff = 2, lda = transA ? big + 1 : k + 1;
                float[] a = random(rng, aOff + (transA ? k : big) * lda), c = random(rng, cOff + big * ldc);
                int[] at = new int[m]; // where the rows sit among random others
                for (int i = 0; i < m; i++) {
                    at[i] = big == m ? i : 1 + 3 * i;
                    for (int p = 0; p < k; p++) a[aOff + (transA ? p * lda + at[i] : at[i] * lda + p)] = rows[i][p];
                    System.arraycopy(c0[i], 0, c, cOff + at[i] * ldc, n);
                }
                if (bf16) Bf16Gemm.sgemmB(transA, true, big, n, k, a, aOff, lda, bits, bOff, ldb, c, cOff, ldc, accumulate);
                else Gemm.sgemm(transA, true, big, n, k, a, aOff, lda, values, bOff, ldb, c, cOff, ldc, accumulate);
                float[][] got = new float[m][n];
                for (int i = 0; i < m; i++) System.arraycopy(c, cOff + at[i] * ldc, got[i], 0, n);
                if (few == null) few = got;
                else for (int i = 0; i < m; i++) assertArrayEquals(got[i], few[i], "row " + i + " against m = " + big + (accumulate ? ", accumulating" : ""));
            }
        }
    }

    @ParameterizedTest(name = "m={0} transA={1} transB={2}")
    @CsvSource({"1,false,true", "3,true,false", "4,false,false", "5,true,true", "17,false,true", "32,true,false",
            "256,true,false", "300,false,true"})
    void theSkinnyPathGivesTheSameBitsOnThePoolAndOnOneThread(int m, boolean transA, boolean transB) {
        int n = 1000, k = 600;
        B b = B.random(3, transB, n, k);
        SplittableRandom rng = new SplittableRandom(4);
        float[] a = random(rng, m * k), pooled = random(rng, m * n), alone = pooled.clone();
        int lda = transA ? m : k;
        Gemm.sgemm(transA, transB, m, n, k, a, 0, lda, b.widened, 0, b.ld, pooled, 0, n, true, true);
        Gemm.sgemm(transA, transB, m, n, k, a, 0, lda, b.widened, 0, b.ld, alone, 0, n, true, false);
        assertArrayEquals(alone, pooled);
    }

    @Test
    void aBf16OperandTooShortForItsShapeIsRejectedByName() {
        MemorySegment b = Bf16Fixtures.bits(new float[40]);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Bf16Gemm.sgemmB(false, true, 1, 8, 6, new float[6], 0, 6, b, 0, 6, new float[8], 0, 8, false));
        assertTrue(e.getMessage().contains("sgemmB") && e.getMessage().contains("BF16 B is 8×6")
                && e.getMessage().contains("needs 48"), e.getMessage());
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rng.nextDouble() * 2 - 1);
        return x;
    }
}
