package dev.align4j.tensor.kernels;

import dev.align4j.tensor.QuantType;
import dev.align4j.tensor.Quant4Weight;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The blocked products with a 4-bit operand against {@link Gemm#sgemm} on the whole dequantised
 * matrix, bit for bit: blocks of every side (one column or row, uneven, aligned, a single block), k
 * over several of Gemm's depth blocks, submatrices with offsets and leading dimensions longer than a
 * row (so decoded runs start and end inside the 4-bit blocks of 64), overwriting and accumulating.
 */
class Quant4GemmTest {

    private static final int[] BLOCK_SIDES = {1, 5, 64, Quant4Gemm.BLOCK_SIDE};

    /** A 4-bit matrix of {@code size} elements, and the same dequantised. */
    private record Operand(Quant4Weight q, float[] decoded) {}

    private static Operand operand(long seed, int size, boolean doubleQuant) {
        Quant4Weight q = Quant4Weight.quantize(Tensor.randn(seed, size).toArray(), 0, size, QuantType.NF4, doubleQuant);
        float[] d = new float[size];
        q.decode(d, 0, 0, size);
        return new Operand(q, d);
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4} accumulate={5}")
    @CsvSource({"1,1,1,false,false,false", "7,33,65,false,false,true", "7,33,65,false,true,false",
            "7,33,65,true,false,true", "7,33,65,true,true,false", "33,127,7,false,true,true", "65,1,33,true,false,false",
            "130,70,600,false,true,true", "40,140,600,true,false,false", "9,1100,40,false,true,false"})
    void a4BitBEqualsSgemmOnTheDequantisedMatrixBitForBit(int m, int n, int k, boolean ta, boolean tb, boolean acc) {
        int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 3, ldc = n + 1, aOff = 1, bOff = 5, cOff = 2;
        float[] a = Tensor.randn(1, aOff + (ta ? k : m) * lda).toArray();
        Operand b = operand(2, bOff + (tb ? n : k) * ldb, acc);
        float[] c0 = Tensor.randn(3, cOff + m * ldc).toArray();
        float[] expected = c0.clone();
        Gemm.sgemm(ta, tb, m, n, k, a, aOff, lda, b.decoded, bOff, ldb, expected, cOff, ldc, acc);
        for (int block : BLOCK_SIDES) {
            float[] c = c0.clone();
            Quant4Gemm.sgemmB(ta, tb, m, n, k, a, aOff, lda, b.q, bOff, ldb, c, cOff, ldc, acc, block);
            assertArrayEquals(expected, c, "blocks of about " + block);
        }
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4} accumulate={5}")
    @CsvSource({"1,1,1,false,false,false", "33,7,65,false,false,true", "33,7,65,false,true,false",
            "33,7,65,true,false,true", "33,7,65,true,true,false", "127,33,7,true,true,true", "1,65,33,false,true,false",
            "70,130,600,true,true,true", "140,40,600,false,false,false", "1100,9,40,true,false,true"})
    void a4BitAEqualsSgemmOnTheDequantisedMatrixBitForBit(int m, int n, int k, boolean ta, boolean tb, boolean acc) {
        int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 3, ldc = n + 1, aOff = 1, bOff = 5, cOff = 2;
        Operand a = operand(4, aOff + (ta ? k : m) * lda, !acc);
        float[] b = Tensor.randn(5, bOff + (tb ? n : k) * ldb).toArray();
        float[] c0 = Tensor.randn(6, cOff + m * ldc).toArray();
        float[] expected = c0.clone();
        Gemm.sgemm(ta, tb, m, n, k, a.decoded, aOff, lda, b, bOff, ldb, expected, cOff, ldc, acc);
        for (int block : BLOCK_SIDES) {
            float[] c = c0.clone();
            Quant4Gemm.sgemmA(ta, tb, m, n, k, a.q, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc, block);
            assertArrayEquals(expected, c, "blocks of about " + block);
        }
    }
}
