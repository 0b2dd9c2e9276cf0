package dev.align4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DecodePanelsTest {

    private static float[] random(long seed, int size) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** C = (accumulate ? C : 0) + A·op(B) through the pool, with whatever panels are open. */
    private static float[] product(boolean transB, int m, int n, int k, float[] a, float[] b, float[] c0, boolean accumulate) {
        float[] c = c0.clone();
        Gemm.sgemm(false, transB, m, n, k, a, 0, k, b, 0, transB ? k : n, c, 0, n, accumulate);
        return c;
    }

    /**
     * Bit-identical to packing B in every call: the same block boundaries and order of blocks, each
     * row panel's tile (12, 8 or 4 rows: m = 32, 20, 7, 5, 13 end on each) summing in the same order.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2} transB={3} accumulate={4}")
    @CsvSource({"5, 70, 600, false, false", "13, 64, 256, true, false", "32, 100, 900, false, true", "32, 333, 768, true, true",
            "12, 1, 3, false, false", "20, 100, 300, true, true", "7, 64, 513, false, true"})
    void packedProductsEqualTheUnpackedOnes(int m, int n, int k, boolean transB, boolean accumulate) {
        float[] a = random(1, m * k), b = random(2, k * n), c0 = random(3, m * n);
        float[] expected = product(transB, m, n, k, a, b, c0, accumulate);
        DecodePanels panels = new DecodePanels(List.of(b), List.of(), Long.MAX_VALUE);
        try (var open = panels.open()) {
            assertArrayEquals(expected, product(transB, m, n, k, a, b, c0, accumulate), "first call: packs");
            assertArrayEquals(expected, product(transB, m, n, k, a, b, c0, accumulate), "second call: reads the packed copy");
        }
        assertEquals(1, panels.packedCount());
    }

    @Test
    void onlyNamedWeightsOfBatchedProductsWhileOpenArePacked() {
        int n = 96, k = 300;
        float[] named = random(4, k * n), other = random(5, k * n), a = random(6, 32 * k), c = new float[32 * n];
        DecodePanels panels = new DecodePanels(List.of(named), List.of(), Long.MAX_VALUE);
        product(false, 32, n, k, a, named, c, false); // not open
        assertEquals(0, panels.packedCount());
        try (var open = panels.open()) {
            product(false, 32, n, k, a, other, c, false); // not named
            product(false, 4, n, k, a, named, c, false);  // few rows: streamed in place
            assertEquals(0, panels.packedCount());
            try (var inner = new DecodePanels(List.of(), List.of(), Long.MAX_VALUE).open()) {
                product(false, 32, n, k, a, named, c, false); // the inner panels hide the outer ones
            }
            assertEquals(0, panels.packedCount());
            product(false, 32, n, k, a, named, c, false);
            product(true, 32, k, n, a, named, new float[32 * k], false); // the same array read transposed: its own copy
            assertEquals(2, panels.packedCount());
        }
    }

    /**
     * Packed copies stop at the budget: with room for one of two matrices (float32 96×300, packed
     * in 3 panels of 32 columns: 115,200 bytes) the first used is kept and the second is packed in
     * every call, both products still equal to the unpacked ones.
     */
    @Test
    void matricesPastTheBudgetArePackedInEveryCall() {
        int n = 96, k = 300, m = 32;
        float[] first = random(7, k * n), second = random(8, k * n), a = random(9, m * k), c = new float[m * n];
        float[] expected1 = product(false, m, n, k, a, first, c, false), expected2 = product(false, m, n, k, a, second, c, false);
        DecodePanels panels = new DecodePanels(List.of(first, second), List.of(), Float.BYTES * (long) n * k + 1);
        try (var open = panels.open()) {
            assertArrayEquals(expected1, product(false, m, n, k, a, first, c, false));
            assertArrayEquals(expected2, product(false, m, n, k, a, second, c, false));
            assertArrayEquals(expected1, product(false, m, n, k, a, first, c, false));
            assertArrayEquals(expected2, product(false, m, n, k, a, second, c, false));
        }
        assertEquals(1, panels.packedCount());
        assertThrows(IllegalArgumentException.class, () -> new DecodePanels(List.of(), List.of(), -1));
    }

    /** BF16 weights as their bits, and the same values widened to float32. */
    private record Bf16(MemorySegment bits, float[] widened) {
        static Bf16 random(long seed, int size) {
            float[] x = DecodePanelsTest.random(seed, size);
            short[] bits = new short[size];
            for (int i = 0; i < size; i++) {
                bits[i] = (short) (Float.floatToRawIntBits(x[i]) >>> 16);
                x[i] = Float.intBitsToFloat(bits[i] << 16);
            }
            return new Bf16(MemorySegment.ofArray(bits), x);
        }
    }

    private static float[] product(boolean transB, int m, int n, int k, float[] a, MemorySegment b, float[] c0, boolean accumulate) {
        float[] c = c0.clone();
        Bf16Gemm.sgemmB(false, transB, m, n, k, a, 0, k, b, 0, transB ? k : n, c, 0, n, accumulate);
        return c;
    }

    /**
     * BF16 weights packed as pairs and widened block by block: bit-identical to the same product
     * packed in every call, and to the float32 product of the widened values (GPT-2's tied head
     * shape included: n not a multiple of the panel width, B read transposed). One row of A reads
     * the packed pairs too, two panels at a time: an odd last panel, a cut one, blocks whose depth
     * is not a multiple of the streams (1000 = 4 × 250, 7, 3), and GPT-2's query-key-value shape.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2} transB={3} accumulate={4}")
    @CsvSource({"5, 70, 600, false, false", "13, 64, 256, true, false", "32, 100, 900, false, true", "32, 333, 768, true, true",
            "12, 1, 3, false, false", "32, 771, 96, true, false", "20, 100, 300, true, true", "7, 64, 513, false, true",
            "1, 70, 600, false, false", "1, 96, 1000, false, true", "1, 771, 96, true, true", "1, 33, 7, true, false", "1, 64, 3, false, true",
            "1, 2304, 768, false, false"})
    void packedBf16ProductsEqualTheUnpackedOnes(int m, int n, int k, boolean transB, boolean accumulate) {
        float[] a = random(1, m * k), c0 = random(3, m * n);
        Bf16 b = Bf16.random(2, k * n);
        float[] expected = product(transB, m, n, k, a, b.bits(), c0, accumulate);
        assertArrayEquals(expected, product(transB, m, n, k, a, b.widened(), c0, accumulate), "BF16 = its float32 widening");
        DecodePanels panels = new DecodePanels(List.of(), List.of(b.bits()), Long.MAX_VALUE);
        try (var open = panels.open()) {
            assertArrayEquals(expected, product(transB, m, n, k, a, b.bits(), c0, accumulate), "first call: packs");
            assertArrayEquals(expected, product(transB, m, n, k, a, b.bits(), c0, accumulate), "second call: reads the packed pairs");
            assertArrayEquals(expected, product(transB, m, n, k, a, b.widened(), c0, accumulate), "a float32 array is not the segment");
        }
        assertEquals(1, panels.packedCount());
    }

    /** A block's rows are dealt round-robin into runs stored one after another: every slot taken once, each run sequential. */
    @ParameterizedTest(name = "kb={0}")
    @CsvSource({"256", "225", "3", "1", "130"})
    void packedBf16BlocksKeepTheirRowsInStreams(int kb) {
        boolean[] taken = new boolean[kb];
        for (int r = 0; r < kb; r++) {
            int s = DecodePanels.slot(r, kb);
            assertEquals(false, taken[s], "slot " + s + " taken twice");
            taken[s] = true;
            if (r >= DecodePanels.STREAMS) assertEquals(DecodePanels.slot(r - DecodePanels.STREAMS, kb) + 1, s, "row " + r + " follows its run");
        }
        if (kb == 256) { // GPT-2's blocks: four runs of 64 rows, a 4 KB page of pairs each
            assertEquals(4, DecodePanels.STREAMS);
            assertEquals(64, DecodePanels.slot(1, kb));
            assertEquals(192 + 63, DecodePanels.slot(255, kb));
        }
    }
}
