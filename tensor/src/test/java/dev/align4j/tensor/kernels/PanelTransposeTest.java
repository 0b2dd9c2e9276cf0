package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.align4j.tensor.Bf16Fixtures;
import dev.align4j.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PanelTranspose} against the panel written element by element: float32 rows, and BF16
 * rows from a heap and from a native segment, at depths with and without a tail past the last
 * whole block of 16 (float) or 32 (BF16) columns, from an offset, with a row stride longer than a
 * row. Runs where the preferred species has 16 float lanes (it is not used elsewhere).
 */
class PanelTransposeTest {

    @ParameterizedTest(name = "kk={0}")
    @ValueSource(ints = {1, 15, 16, 17, 31, 32, 33, 64, 100, 256})
    void panelsEqualTheElementwiseTranspose(int kk) {
        assumeTrue(PanelTranspose.SUPPORTED, "needs 16 float lanes (AVX-512); GemmPacking gathers otherwise");
        int ld = kk + 7, off = 5, d = 3;
        float[] b = Tensor.randn(1, off + NR * ld).toArray();
        float[] expected = new float[d + kk * NR];
        for (int p = 0; p < kk; p++) {
            for (int j = 0; j < NR; j++) expected[d + p * NR + j] = b[off + j * ld + p];
        }
        float[] got = new float[expected.length];
        PanelTranspose.pack(b, off, ld, kk, got, d);
        assertArrayEquals(expected, got, "float32");

        MemorySegment heap = Bf16Fixtures.bits(b); // the same values cut to BF16
        float[] widened = new float[expected.length];
        for (int p = 0; p < kk; p++) {
            for (int j = 0; j < NR; j++) widened[d + p * NR + j] = Bf16Kernels.widen(heap, off + (long) j * ld + p);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeCopy = arena.allocate(heap.byteSize(), 2).copyFrom(heap);
            for (MemorySegment seg : new MemorySegment[] {heap, nativeCopy}) {
                float[] gotBf16 = new float[expected.length];
                PanelTranspose.pack(seg, off, ld, kk, gotBf16, d);
                assertArrayEquals(widened, gotBf16, seg.isNative() ? "BF16, native segment" : "BF16, heap segment");
            }
        }
    }
}
