package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddingTest {
    static final int[] SIZES = GradCheck.ODD_SIZES;

    static double[] lookupRef(double[] table, int[] ids, int c) {
        double[] y = new double[ids.length * c];
        for (int k = 0; k < ids.length; k++) System.arraycopy(table, ids[k] * c, y, k * c, c);
        return y;
    }

    @ParameterizedTest(name = "C={0}")
    @FieldSource("SIZES")
    void lookupMatchesFloat64AndFiniteDifferences(int c) {
        int[] ids = {3, 0, 10, 3, 3, 7}; // id 3 three times: its gradient row is a sum
        Tensor table = GradCheck.param(1, 11, c);
        GradCheck.check("embedding", in -> Embedding.lookup(in[0], ids), v -> lookupRef(v[0], ids, c), table);
    }

    /** Many repeated ids over several column chunks: the gradient is exactly a sequential loop in token order. */
    @Test
    void backwardAddsRepeatedIdsInTokenOrder() {
        int v = 50, c = 130, n = 2000;
        int[] ids = new int[n];
        for (int k = 0; k < n; k++) ids[k] = (k * 7 + k / 13) % v;
        Tensor table = GradCheck.param(2, v, c), dout = Tensor.randn(3, n, c);
        Embedding.lookup(table, ids).backward(dout);

        float[] expected = new float[v * c], g = dout.toArray();
        for (int k = 0; k < n; k++) for (int j = 0; j < c; j++) expected[ids[k] * c + j] += g[k * c + j];
        assertArrayEquals(expected, table.grad().toArray());
    }

    @Test
    void gradientsOfTwoLookupsAccumulate() {
        Tensor table = GradCheck.param(4, 5, 3);
        Embedding.lookup(table, new int[] {1}).backward(Tensor.ones(1, 3));
        Embedding.lookup(table, new int[] {1, 4}).backward(Tensor.full(2f, 2, 3));
        assertArrayEquals(new float[] {0, 0, 0, 3, 3, 3, 0, 0, 0, 0, 0, 0, 2, 2, 2}, table.grad().toArray());
    }

    @Test
    void idsChangedAfterTheForwardDoNotMoveTheGradient() {
        Tensor table = GradCheck.param(5, 4, 2);
        int[] ids = {2};
        Tensor y = Embedding.lookup(table, ids);
        ids[0] = 0;
        y.backward(Tensor.ones(1, 2));
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 0, 0}, table.grad().toArray());
    }

    @Test
    void readsATableViewAtItsOffset() {
        Tensor stack = Tensor.randn(6, 2, 9, 33);
        Tensor table = stack.row(1);
        assertArrayEquals(table.copy().row(8).toArray(), Embedding.lookup(table, new int[] {8}).toArray());
    }

    @Test
    void outOfRangeIdsNameTheIdPositionAndV() {
        Tensor table = Tensor.zeros(10, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> Embedding.lookup(table, new int[] {1, 2, 10}));
        assertTrue(e.getMessage().contains("id 10") && e.getMessage().contains("position 2") && e.getMessage().contains("V=10"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Embedding.lookup(table, new int[] {-1}));
        assertTrue(e.getMessage().contains("id -1") && e.getMessage().contains("position 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Embedding.lookup(Tensor.zeros(10), new int[] {1}));
        assertTrue(e.getMessage().contains("(V, C)") && e.getMessage().contains("[10]"), e.getMessage());
    }
}
