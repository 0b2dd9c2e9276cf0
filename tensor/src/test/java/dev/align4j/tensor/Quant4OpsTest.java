package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ops that take a frozen 4-bit weight against the same ops on its dequantised float32 values:
 * outputs and input gradients bit for bit, the input gradient against finite differences of a
 * float64 reference ({@link GradCheck}, the 4-bit weight held fixed), and the tensor-level errors
 * of a 4-bit tensor.
 */
class Quant4OpsTest {

    /** A frozen 4-bit tensor of normal samples, NF4 with double quantisation unless said. */
    static Tensor q4(long seed, int... shape) {
        return Tensor.randn(seed, shape).quantize4Bit(QuantType.NF4, true);
    }

    private static float[][] forwardBackward(Tensor x, java.util.function.Function<Tensor, Tensor> op) {
        x.zeroGrad();
        Tensor y = op.apply(x);
        y.backward(Tensor.randn(99, y.shape()));
        return new float[][] {y.toArray(), x.grad().toArray()};
    }

    private static void assertSameAsDequantised(Tensor x, Tensor w, java.util.function.BiFunction<Tensor, Tensor, Tensor> op) {
        float[][] expected = forwardBackward(x, in -> op.apply(in, w.toFloat32()));
        float[][] actual = forwardBackward(x, in -> op.apply(in, w));
        assertArrayEquals(expected[0], actual[0], "output");
        assertArrayEquals(expected[1], actual[1], "gradient of x");
        assertNull(w.gradOrNull(), "a 4-bit weight gets no gradient");
    }

    @ParameterizedTest(name = "n={0} in={1} out={2}")
    @CsvSource({"1,1,1", "7,33,65", "65,7,33", "33,127,7", "127,65,1"})
    void linearWithA4BitWeightEqualsLinearWithTheDequantisedWeight(int n, int in, int out) {
        Tensor x = GradCheck.param(1, n, in), w = q4(2, out, in), b = GradCheck.param(3, out);
        assertSameAsDequantised(x, w, (t, weight) -> Linalg.linear(t, weight, b));
        GradCheck.check("linear 4-bit", t -> Linalg.linear(t[0], t[1], t[2]), v -> {
            double[] y = LinalgTest.reference(v[0], v[1], 1, n, out, in, false, true);
            for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y[i * out + j] += v[2][j];
            return y;
        }, x, w, b);
    }

    @ParameterizedTest(name = "n={0} in={1} out={2}")
    @CsvSource({"1,1,1", "7,33,65", "65,7,33", "33,127,7", "127,1,65"})
    void conv1dWithA4BitWeightEqualsConv1dWithTheDequantisedWeight(int n, int in, int out) {
        Tensor x = GradCheck.param(4, n, in), b = GradCheck.param(6, out);
        Tensor w = Tensor.randn(5, in, out).quantize4Bit(QuantType.FP4, false);
        assertSameAsDequantised(x, w, (t, weight) -> Linalg.conv1d(t, weight, b));
        GradCheck.check("conv1d 4-bit", t -> Linalg.conv1d(t[0], t[1], t[2]), v -> {
            double[] y = LinalgTest.reference(v[0], v[1], 1, n, out, in, false, false);
            for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y[i * out + j] += v[2][j];
            return y;
        }, x, w, b);
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({"1,1,1,false,false", "7,33,65,false,false", "7,33,65,false,true", "7,33,65,true,false",
            "7,33,65,true,true", "127,7,33,true,true", "33,65,127,false,true"})
    void matmulWithA4BitBEqualsMatmulWithTheDequantisedB(int m, int n, int k, boolean ta, boolean tb) {
        Tensor a = GradCheck.param(7, ta ? new int[] {k, m} : new int[] {m, k});
        Tensor b = q4(8, tb ? new int[] {n, k} : new int[] {k, n});
        assertSameAsDequantised(a, b, (x, w) -> Linalg.matmul(x, w, ta, tb));
        GradCheck.check("matmul 4-bit", t -> Linalg.matmul(t[0], t[1], ta, tb),
                x -> LinalgTest.reference(x[0], x[1], 1, m, n, k, ta, tb), a, b);
    }

    @Test
    void aQuantisedTensorKeepsShapeNameAndDequantisedValues() {
        Tensor w = Tensor.randn(9, 3, 50).named("up_proj.weight");
        Tensor q = w.quantize4Bit(QuantType.NF4, false);
        assertTrue(q.is4Bit());
        assertFalse(q.isBf16());
        assertEquals("up_proj.weight[3, 50]", q.describe());
        float[] values = q.toArray();
        for (int i = 0; i < 150; i++) assertEquals(q.quant4Storage().get(i), values[i]);
        assertEquals(values[51], q.get(1, 1));
        assertArrayEquals(values, q.view(150).toArray());
        assertArrayEquals(values, q.detach().toArray());
        assertSame(q.quant4Storage(), q.copy().quant4Storage(), "the immutable storage is shared");
        assertTrue(q.toString().contains("dtype=nf4"), q.toString());
        Tensor fromBf16 = Bf16Fixtures.randn(10, 4, 70).quantize4Bit(QuantType.NF4, true);
        assertArrayEquals(Bf16Fixtures.randn(10, 4, 70).toFloat32().quantize4Bit(QuantType.NF4, true).toArray(),
                fromBf16.toArray(), "a BF16 source quantises as its widened values");
    }

    @Test
    void a4BitTensorRefusesWhatItCannotDo() {
        Tensor q = q4(11, 4, 8).named("w");
        var e = assertThrows(IllegalArgumentException.class, q::storage);
        assertTrue(e.getMessage().contains("w[4, 8]") && e.getMessage().contains("4-bit nf4") && e.getMessage().contains("quant4Storage"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.requiresGrad(true));
        assertTrue(e.getMessage().contains("cannot be trained") && e.getMessage().contains("adapter"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.set(1f, 0, 0));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.row(1));
        assertTrue(e.getMessage().contains("row(1)") && e.getMessage().contains("toFloat32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.quantize4Bit(QuantType.FP4, false));
        assertTrue(e.getMessage().contains("already"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2).quant4Storage());
        assertTrue(e.getMessage().contains("not a 4-bit"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.frozen4Bit(q.quant4Storage(), 5, 7));
        assertTrue(e.getMessage().contains("32 elements") && e.getMessage().contains("[5, 7]"), e.getMessage());
    }

    @Test
    void aBatched4BitOperandAndAShapeMismatchAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Linalg.matmul(Tensor.zeros(2, 3, 4), Tensor.frozen4Bit(q4(12, 40).quant4Storage(), 2, 4, 5).named("w")));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("w[2, 4, 5]") && e.getMessage().contains("rank 2"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Linalg.linear(Tensor.zeros(2, 3), q4(13, 4, 5).named("q_proj"), null));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("q_proj[4, 5]"), e.getMessage());
    }

    @Test
    void anEmbeddingTableCannotBe4Bit() {
        var e = assertThrows(IllegalArgumentException.class, () -> Embedding.lookup(q4(14, 5, 3).named("wte"), new int[] {1}));
        assertTrue(e.getMessage().contains("Embedding.lookup") && e.getMessage().contains("wte[5, 3]"), e.getMessage());
    }
}
