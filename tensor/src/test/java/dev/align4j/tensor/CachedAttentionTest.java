package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Attention over per-sequence KV buffers against {@link AttentionTest#reference} run on the whole sequences. */
class CachedAttentionTest {

    /**
     * Sequences of total lengths {@code totals}, the last {@code news[s]} tokens of each new: the
     * new queries over buffers (capacity total + 3, padded with garbage past the length) must equal
     * the float64 causal attention of the whole sequence at those rows.
     */
    @ParameterizedTest(name = "totals={0} news={1} H={2} Hkv={3} D={4}")
    @CsvSource(delimiter = ';', value = {
            "1;       1;       1; 1; 1",
            "5 9 1;   1 1 1;   4; 2; 7",
            "33 7;    33 7;    2; 1; 33",
            "40 3 65; 6 1 1;   4; 4; 16",
            "12 20;   0 20;    3; 1; 8",
            "70 18;   2 1;     4; 2; 64",
            "17 31;   1 31;    2; 1; 100"})
    void newTokensOverTheCacheMatchFullCausalAttention(String totalList, String newList, int nHead, int nKvHead, int d) {
        int[] totals = ints(totalList), news = ints(newList);
        int n = totals.length, newT = Arrays.stream(news).sum(), fullT = Arrays.stream(totals).sum();
        double[] q = random(1, fullT * nHead * d), k = random(2, fullT * nKvHead * d), v = random(3, fullT * nKvHead * d);
        int[] fullOffsets = new int[n + 1], newLengths = new int[n];
        for (int s = 0; s < n; s++) fullOffsets[s + 1] = fullOffsets[s] + totals[s];
        float scale = (float) (1 / Math.sqrt(d));
        double[] ref = AttentionTest.reference(q, k, v, fullOffsets, nHead, nKvHead, d, scale);
        Tensor[] keys = new Tensor[n], values = new Tensor[n];
        float[] qNew = new float[newT * nHead * d], expected = new float[newT * nHead * d];
        int row = 0;
        for (int s = 0; s < n; s++) {
            newLengths[s] = news[s];
            keys[s] = Tensor.full(1e4f, totals[s] + 3, nKvHead, d); // rows past the length must never be read
            values[s] = Tensor.full(1e4f, totals[s] + 3, nKvHead, d);
            for (int j = 0; j < totals[s]; j++) {
                for (int c = 0; c < nKvHead * d; c++) {
                    keys[s].storage()[j * nKvHead * d + c] = (float) k[(fullOffsets[s] + j) * nKvHead * d + c];
                    values[s].storage()[j * nKvHead * d + c] = (float) v[(fullOffsets[s] + j) * nKvHead * d + c];
                }
            }
            for (int j = totals[s] - news[s]; j < totals[s]; j++, row++) {
                for (int c = 0; c < nHead * d; c++) {
                    qNew[row * nHead * d + c] = (float) q[(fullOffsets[s] + j) * nHead * d + c];
                    expected[row * nHead * d + c] = (float) ref[(fullOffsets[s] + j) * nHead * d + c];
                }
            }
        }
        Tensor out = CachedAttention.attend(Tensor.of(qNew, newT, nHead, d), keys, values, totals,
                PackedSegments.ofLengths(newLengths));
        assertArrayEquals(expected, out.toArray(), 1e-5f);
    }

    @Test
    void withNothingCachedItIsCausalAttention() {
        int[] lengths = {7, 1, 20};
        int t = 28, h = 4, hkv = 2, d = 16;
        Tensor q = Tensor.randn(4, t, h, d), k = Tensor.randn(5, t, hkv, d), v = Tensor.randn(6, t, hkv, d);
        PackedSegments seg = PackedSegments.ofLengths(lengths);
        Tensor[] keys = new Tensor[3], values = new Tensor[3];
        for (int s = 0; s < 3; s++) {
            keys[s] = ShapeOps.slice(k, 0, seg.start(s), seg.end(s)).copy();
            values[s] = ShapeOps.slice(v, 0, seg.start(s), seg.end(s)).copy();
        }
        assertArrayEquals(Attention.causal(q, k, v, seg).toArray(), CachedAttention.attend(q, keys, values, lengths, seg).toArray(),
                1e-5f);
    }

    @Test
    void refusesToRecordAGraph() {
        Tensor q = Tensor.randn(1, 1, 1, 2).requiresGrad(true), kv = Tensor.randn(2, 1, 1, 2);
        var e = assertThrows(IllegalStateException.class, () -> CachedAttention.attend(q, new Tensor[] {kv}, new Tensor[] {kv},
                new int[] {1}, PackedSegments.single(1)));
        assertEquals(true, e.getMessage().contains("Autograd.noGrad()"), e.getMessage());
        try (var g = Autograd.noGrad()) {
            assertEquals(1, CachedAttention.attend(q, new Tensor[] {kv}, new Tensor[] {kv}, new int[] {1},
                    PackedSegments.single(1)).dim(0));
        }
    }

    @Test
    void badInputsNameTheProblem() {
        Tensor q = Tensor.zeros(2, 4, 8), kv = Tensor.zeros(5, 2, 8);
        Tensor[] one = {kv};
        PackedSegments seg = PackedSegments.single(2);
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q.view(2, 32), one, one, new int[] {3}, seg));
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, one, one, new int[] {3},
                PackedSegments.single(3)));
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, new Tensor[] {kv, kv}, one, new int[] {3}, seg));
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, one, one, new int[] {1}, seg)); // < new tokens
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, one, one, new int[] {6}, seg)); // > capacity
        Tensor threeHeads = Tensor.zeros(5, 3, 8), wrongD = Tensor.zeros(5, 2, 4);
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, new Tensor[] {threeHeads},
                new Tensor[] {threeHeads}, new int[] {3}, seg));
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, new Tensor[] {wrongD},
                new Tensor[] {wrongD}, new int[] {3}, seg));
        assertThrows(IllegalArgumentException.class, () -> CachedAttention.attend(q, one, new Tensor[] {wrongD}, new int[] {3}, seg));
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.trim().split(" +")).mapToInt(Integer::parseInt).toArray();
    }

    private static double[] random(long seed, int n) {
        float[] f = Tensor.randn(seed, n).toArray();
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = f[i];
        return d;
    }
}
