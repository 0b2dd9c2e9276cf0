package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ops that take a frozen BF16 weight against the same ops on the widened float32 weight: the
 * outputs and the input gradients bit for bit, and the input gradient against finite differences
 * of a float64 reference ({@link GradCheck}, the BF16 weight held fixed as it cannot train).
 */
class Bf16OpsTest {

    /** Output, and the gradient of {@code x} for an upstream gradient of seeded normal samples. */
    private static float[][] forwardBackward(Tensor x, java.util.function.Function<Tensor, Tensor> op) {
        x.zeroGrad();
        Tensor y = op.apply(x);
        y.backward(Tensor.randn(99, y.shape()));
        return new float[][] {y.toArray(), x.grad().toArray()};
    }

    private static void assertSameAsWidened(Tensor x, Tensor bf16, java.util.function.BiFunction<Tensor, Tensor, Tensor> op) {
        float[][] expected = forwardBackward(x, in -> op.apply(in, bf16.toFloat32()));
        float[][] actual = forwardBackward(x, in -> op.apply(in, bf16));
        assertArrayEquals(expected[0], actual[0], "output");
        assertArrayEquals(expected[1], actual[1], "gradient of x");
        assertNull(bf16.gradOrNull(), "a BF16 weight gets no gradient");
    }

    @ParameterizedTest(name = "n={0} in={1} out={2}")
    @CsvSource({"1,1,1", "7,33,65", "65,7,33", "33,127,7", "127,65,1"})
    void linearWithABf16WeightEqualsLinearWithTheWidenedWeight(int n, int in, int out) {
        Tensor x = GradCheck.param(1, n, in), w = Bf16Fixtures.randn(2, out, in), b = GradCheck.param(3, out);
        assertSameAsWidened(x, w, (t, weight) -> Linalg.linear(t, weight, b));
        GradCheck.check("linear bf16", t -> Linalg.linear(t[0], t[1], t[2]), v -> {
            double[] y = LinalgTest.reference(v[0], v[1], 1, n, out, in, false, true);
            for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y[i * out + j] += v[2][j];
            return y;
        }, x, w, b);
    }

    @ParameterizedTest(name = "n={0} in={1} out={2}")
    @CsvSource({"1,1,1", "7,33,65", "65,7,33", "33,127,7", "127,1,65"})
    void conv1dWithABf16WeightEqualsConv1dWithTheWidenedWeight(int n, int in, int out) {
        Tensor x = GradCheck.param(4, n, in), w = Bf16Fixtures.randn(5, in, out), b = GradCheck.param(6, out);
        assertSameAsWidened(x, w, (t, weight) -> Linalg.conv1d(t, weight, b));
        GradCheck.check("conv1d bf16", t -> Linalg.conv1d(t[0], t[1], t[2]), v -> {
            double[] y = LinalgTest.reference(v[0], v[1], 1, n, out, in, false, false);
            for (int i = 0; i < n; i++) for (int j = 0; j < out; j++) y[i * out + j] += v[2][j];
            return y;
        }, x, w, b);
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({"1,1,1,false,false", "7,33,65,false,false", "7,33,65,false,true", "7,33,65,true,false",
            "7,33,65,true,true", "127,7,33,true,true", "33,65,127,false,true"})
    void matmulWithABf16BEqualsMatmulWithTheWidenedB(int m, int n, int k, boolean ta, boolean tb) {
        Tensor a = GradCheck.param(7, ta ? new int[] {k, m} : new int[] {m, k});
        Tensor b = Bf16Fixtures.randn(8, tb ? new int[] {n, k} : new int[] {k, n});
        assertSameAsWidened(a, b, (x, w) -> Linalg.matmul(x, w, ta, tb));
        GradCheck.check("matmul bf16", t -> Linalg.matmul(t[0], t[1], ta, tb),
                x -> LinalgTest.reference(x[0], x[1], 1, m, n, k, ta, tb), a, b);
    }

    @Test
    void gpt2TiedHeadShapeUsesTheEmbeddingTableAsBTransposed() {
        Tensor hidden = GradCheck.param(9, 5, 16), wte = Bf16Fixtures.randn(10, 300, 16); // (T, C), (V, C)
        assertSameAsWidened(hidden, wte, (h, w) -> Linalg.matmul(h, w, false, true));
    }

    @ParameterizedTest(name = "C={0}")
    @CsvSource({"1", "7", "33", "65", "127"})
    void embeddingLookupFromABf16TableEqualsTheWidenedTable(int c) {
        Tensor table = Bf16Fixtures.randn(11, 9, c);
        int[] ids = {4, 0, 8, 4, 1, 7, 7};
        assertArrayEquals(Embedding.lookup(table.toFloat32(), ids).toArray(), Embedding.lookup(table, ids).toArray());
    }

    @Test
    void embeddingFromABf16TableRecordsNothing() {
        Tensor out = Embedding.lookup(Bf16Fixtures.randn(12, 5, 3), new int[] {1, 2});
        assertFalse(out.requiresGrad());
    }

    @Test
    void embeddingRejectsAnIdOutsideABf16Table() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.lookup(Bf16Fixtures.randn(13, 5, 3).named("wte"), new int[] {1, 5}));
        assertTrue(e.getMessage().contains("id 5") && e.getMessage().contains("wte[5, 3]"), e.getMessage());
    }

    @Test
    void aBatchedBf16OperandIsRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Linalg.matmul(Tensor.zeros(2, 3, 4), Bf16Fixtures.randn(14, 2, 4, 5).named("w")));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("w[2, 4, 5]")
                && e.getMessage().contains("rank 2"), e.getMessage());
    }

    @Test
    void shapeErrorsWithABf16WeightNameTheShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Linalg.linear(Tensor.zeros(2, 3), Bf16Fixtures.randn(15, 4, 5).named("q_proj"), null));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("q_proj[4, 5]"), e.getMessage());
    }
}
