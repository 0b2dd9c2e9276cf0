package dev.align4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Gemm#sgemm} against a float64 reference written here, with a float32 error bound, for all
 * transposes, odd and multi-block sizes, offsets and padded rows; and its determinism: the pool,
 * one thread, chunked packing and a split of C all give the same bits.
 */
class GemmTest {
    private static final int[] ODD = {1, 7, 33, 65, 127};
    private static final float SENTINEL = 42.5f; // in the padding of C, must survive

    /** A problem: operands stored with offsets and padded rows, and C with padding around its block. */
    private record Problem(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                           float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {

        static Problem random(long seed, boolean ta, boolean tb, int m, int n, int k, int pad) {
            SplittableRandom r = new SplittableRandom(seed);
            int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
            int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad, off = 3 * pad;
            float[] a = fill(r, off + aRows * lda), b = fill(r, off + bRows * ldb), c = fill(r, off + m * ldc + pad);
            for (int i = 0; i < c.length; i++) {
                if (i < off || (i - off) % ldc >= n || i >= off + m * ldc) c[i] = SENTINEL;
            }
            return new Problem(ta, tb, m, n, k, a, off, lda, b, off, ldb, c, off, ldc);
        }

        float opA(int i, int p) {
            return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        float opB(int p, int j) {
            return tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        /** Runs sgemm on a copy of C and returns it. */
        float[] run(boolean accumulate, boolean parallel) {
            float[] out = c.clone();
            Gemm.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, out, cOff, ldc, accumulate, parallel);
            return out;
        }

        /** Checks {@code out} against the float64 product within the float32 bound, and the padding of C. */
        void check(float[] out, boolean accumulate) {
            // |fl(Σ) - Σ| ≤ γ·(Σ|a·b| + |C|) with γ ≈ (k + 2)·u, u = 2⁻²⁴, for any summation order
            // (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1); twice that as slack
            double gamma = 2 * (k + 2) * 0x1p-24;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double c0 = accumulate ? c[cOff + i * ldc + j] : 0, exact = c0, magnitude = Math.abs(c0);
                    for (int p = 0; p < k; p++) {
                        double x = (double) opA(i, p) * opB(p, j);
                        exact += x;
                        magnitude += Math.abs(x);
                    }
                    float got = out[cOff + i * ldc + j];
                    if (!(Math.abs(got - exact) <= gamma * magnitude + Float.MIN_NORMAL)) {
                        fail(this + ": C[" + i + ", " + j + "] = " + got + ", float64 reference " + exact
                                + ", bound " + gamma * magnitude);
                    }
                }
            }
            for (int x = 0; x < out.length; x++) {
                boolean inside = x >= cOff && x < cOff + m * ldc && (x - cOff) % ldc < n;
                if (!inside) assertEquals(c[x], out[x], "sgemm wrote outside C at " + x + " for " + this);
            }
        }

        @Override
        public String toString() {
            return "sgemm(transA=" + ta + ", transB=" + tb + ", m=" + m + ", n=" + n + ", k=" + k + ")";
        }
    }

    private static float[] fill(SplittableRandom r, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void matchesFloat64AtAllOddSizes(boolean ta, boolean tb) {
        long seed = 0;
        for (int m : ODD) {
            for (int n : ODD) {
                for (int k : ODD) {
                    Problem pb = Problem.random(seed++, ta, tb, m, n, k, (int) (seed % 3) * 5);
                    pb.check(pb.run(false, true), false);
                    pb.check(pb.run(true, true), true);
                }
            }
        }
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({
            "300,517,260,false,false", "300,517,260,false,true", "300,517,260,true,false", "300,517,260,true,true",
            "131,290,1100,false,false", "131,290,1100,true,true", "8,1000,300,false,true", "1000,9,300,true,false",
            "1,517,1100,false,true", "1,300,600,true,false", "3,517,600,false,false", "4,290,1100,true,true",
            "5,517,260,false,true", "17,300,600,true,false", "32,290,600,false,false", "33,290,600,false,true"})
    void matchesFloat64AcrossSeveralBlocks(int m, int n, int k, boolean ta, boolean tb) {
        Problem pb = Problem.random(7, ta, tb, m, n, k, 11);
        pb.check(pb.run(false, true), false);
        pb.check(pb.run(true, true), true);
    }

    @Test
    void emptyInnerSizeZeroesOrKeepsC() {
        for (boolean ta : new boolean[] {false, true}) {
            Problem pb = Problem.random(3, ta, !ta, 7, 33, 0, 4);
            float[] zeroed = pb.run(false, true);
            pb.check(zeroed, false);
            assertArrayEquals(pb.c, pb.run(true, true));
        }
        Problem empty = Problem.random(4, false, false, 0, 5, 6, 2);
        assertArrayEquals(empty.c, empty.run(false, true));
    }

    /**
     * The same product through the pool, on one thread (another task grid), and in three parts
     * (rows [0, m1), then the rest as two column parts): identical bits.
     */
    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void bitIdenticalWhateverTheThreadsGridOrParts(boolean ta, boolean tb) {
        int m = 203, n = 301, k = 700; // several tasks, blocks of k, and edge tiles
        Problem pb = Problem.random(5, ta, tb, m, n, k, 3);
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] pooled = pb.run(accumulate, true);
            assertArrayEquals(pooled, pb.run(accumulate, false), "pool vs one thread");

            float[] halves = pb.c.clone();
            int m1 = 77, n1 = 150;
            // rows [0, m1) then [m1, m): A's rows are columns of its storage when transposed
            Gemm.sgemm(ta, tb, m1, n, k, pb.a, pb.aOff, pb.lda, pb.b, pb.bOff, pb.ldb, halves, pb.cOff, pb.ldc, accumulate);
            Gemm.sgemm(ta, tb, m - m1, n1, k, pb.a, pb.aOff + (ta ? m1 : m1 * pb.lda), pb.lda,
                    pb.b, pb.bOff, pb.ldb, halves, pb.cOff + m1 * pb.ldc, pb.ldc, accumulate);
            Gemm.sgemm(ta, tb, m - m1, n - n1, k, pb.a, pb.aOff + (ta ? m1 : m1 * pb.lda), pb.lda,
                    pb.b, pb.bOff + (tb ? n1 * pb.ldb : n1), pb.ldb, halves, pb.cOff + m1 * pb.ldc + n1, pb.ldc, accumulate);
            assertArrayEquals(pooled, halves, "C computed in parts");
        }
    }

    @Test
    void badShapesNameTheOperandAndSizes() {
        float[] x = new float[12];
        var shortB = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 4, 4, x, 0, 4, x, 1, 4, new float[12], 0, 4, false));
        assertTrue(shortB.getMessage().contains("sgemm") && shortB.getMessage().contains("B is 4×4")
                && shortB.getMessage().contains("needs 17"), shortB.getMessage());
        var thinLda = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(true, false, 3, 4, 2, x, 0, 2, x, 0, 4, new float[12], 0, 4, false));
        assertTrue(thinLda.getMessage().contains("A (stored transposed) is 2×3")
                && thinLda.getMessage().contains("leading dimension 2"), thinLda.getMessage());
        var negative = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, -1, 4, 2, x, 0, 2, x, 0, 4, x, 0, 4, false));
        assertTrue(negative.getMessage().contains("m=-1"), negative.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 2, x, -1, 2, x, 0, 2, x, 0, 2, false));
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 2, x, 0, 2, x, 0, 2, null, 0, 2, false));
    }
}
