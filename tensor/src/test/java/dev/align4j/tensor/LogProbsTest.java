package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogProbsTest {
    static final int[] SIZES = GradCheck.ODD_SIZES;
    static final int IGNORE = LogProbs.IGNORE_INDEX;

    /** Float64 log-sum-exp of row r of (N, V). */
    static double lse(double[] x, int r, int v) {
        double m = Double.NEGATIVE_INFINITY, s = 0;
        for (int j = 0; j < v; j++) m = Math.max(m, x[r * v + j]);
        for (int j = 0; j < v; j++) s += Math.exp(x[r * v + j] - m);
        return m + Math.log(s);
    }

    /** Float64 log p(label) per row, 0 at ignored rows. */
    static double[] tokenLogProbsRef(double[] x, int[] labels, int v) {
        double[] y = new double[labels.length];
        for (int r = 0; r < labels.length; r++) y[r] = labels[r] == IGNORE ? 0 : x[r * v + labels[r]] - lse(x, r, v);
        return y;
    }

    static double[] crossEntropyRef(double[] x, int[] labels, int v) {
        double[] lp = tokenLogProbsRef(x, labels, v);
        double s = 0;
        int count = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] == IGNORE) continue;
            s -= lp[r];
            count++;
        }
        return new double[] {s / count};
    }

    static double[] entropyRef(double[] x, int v) {
        double[] h = new double[x.length / v];
        for (int r = 0; r < h.length; r++) {
            double l = lse(x, r, v);
            for (int j = 0; j < v; j++) {
                double lp = x[r * v + j] - l;
                h[r] -= Math.exp(lp) * lp;
            }
        }
        return h;
    }

    static int[] labelsFor(int v) {
        return new int[] {0, v - 1, v / 2, 2 * v / 3};
    }

    @ParameterizedTest(name = "V={0}")
    @FieldSource("SIZES")
    void tokenLogProbsMatchFloat64AndFiniteDifferences(int v) {
        int[] labels = labelsFor(v);
        Tensor logits = GradCheck.param(1, 4, v);
        GradCheck.check("tokenLogProbs", in -> LogProbs.tokenLogProbs(in[0], labels), x -> tokenLogProbsRef(x[0], labels, v), logits);
    }

    @ParameterizedTest(name = "V={0}")
    @FieldSource("SIZES")
    void ignoredRowsGiveZeroAndNoGradient(int v) {
        int[] labels = {IGNORE, v - 1, IGNORE, 0, v / 2};
        Tensor logits = GradCheck.param(2, 5, v);
        GradCheck.check("tokenLogProbs(ignore)", in -> LogProbs.tokenLogProbs(in[0], labels, IGNORE),
                x -> tokenLogProbsRef(x[0], labels, v), logits);
        float[] g = logits.grad().toArray();
        for (int j = 0; j < v; j++) assertEquals(0f, g[j] + g[2 * v + j], "ignored rows get no gradient");
    }

    @ParameterizedTest(name = "V={0}")
    @FieldSource("SIZES")
    void crossEntropyMatchesFloat64AndFiniteDifferences(int v) {
        int[] labels = {v / 3, IGNORE, v - 1, 0, IGNORE, v / 2};
        Tensor logits = GradCheck.param(3, 6, v);
        GradCheck.check("crossEntropy", in -> LogProbs.crossEntropy(in[0], labels), x -> crossEntropyRef(x[0], labels, v), logits);
    }

    @ParameterizedTest(name = "V={0}")
    @FieldSource("SIZES")
    void entropyMatchesFloat64AndFiniteDifferences(int v) {
        Tensor logits = GradCheck.param(4, 3, v);
        GradCheck.check("entropy", in -> LogProbs.entropy(in[0]), x -> entropyRef(x[0], v), logits);
    }

    /**
     * GPT-2's vocabulary, 4 rows: random logits, a ramp whose maximum is in the last block (the
     * running sum is rescaled at every block), and a row of large equal logits (lse = 1000 + ln V).
     * Forward against float64; backward against the float64 formula dy·(1[j = label] − softmax).
     */
    @Test
    void largeVocabularyMatchesFloat64() {
        int n = 4, v = 50_257;
        float[] x = Tensor.randn(5, n, v).toArray();
        for (int j = 0; j < v; j++) {
            x[j] *= 4;
            x[2 * v + j] = -10f + 20f * j / v;
            x[3 * v + j] = 1000f;
        }
        int[] labels = {17, 50_256, 50_000, 123};
        Tensor logits = Tensor.of(x, n, v).requiresGrad(true);
        Tensor lp = LogProbs.tokenLogProbs(logits, labels);
        double[] xd = GradCheck.toDouble(x);
        GradCheck.compare("large-V forward", GradCheck.toDouble(lp.toArray()), tokenLogProbsRef(xd, labels, v), 2e-5, 0);
        assertEquals(-Math.log(v), lp.get(3), 1e-5);

        float[] dy = {0.5f, -1f, 2f, 1f};
        lp.backward(Tensor.vector(dy));
        double[] expected = new double[n * v];
        for (int r = 0; r < n; r++) {
            double l = lse(xd, r, v);
            for (int j = 0; j < v; j++) expected[r * v + j] = dy[r] * ((j == labels[r] ? 1 : 0) - Math.exp(xd[r * v + j] - l));
        }
        GradCheck.compare("large-V backward", GradCheck.toDouble(logits.grad().toArray()), expected, 1e-6, 0);

        Tensor h = LogProbs.entropy(logits);
        GradCheck.compare("large-V entropy", GradCheck.toDouble(h.toArray()), entropyRef(xd, v), 2e-5, 0);
        assertEquals(Math.log(v), h.get(3), 1e-5);
    }

    /**
     * By hand: logits [0, ln 2, ln 5] have softmax [1/8, 2/8, 5/8]. So log p(label 2) = ln(5/8) =
     * −0.4700036; the entropy is −(1/8·ln(1/8) + 2/8·ln(2/8) + 5/8·ln(5/8)) = 0.9002561; the
     * cross-entropy of labels [2, ignored] is 0.4700036.
     */
    @Test
    void knownValues() {
        float l2 = (float) Math.log(2), l5 = (float) Math.log(5);
        Tensor logits = Tensor.of(new float[] {0, l2, l5, 0, l2, l5}, 2, 3);
        assertEquals(-0.4700036f, LogProbs.tokenLogProbs(logits, new int[] {2, 2}).get(0), 1e-6f);
        assertEquals(0.9002561f, LogProbs.entropy(logits).get(1), 1e-6f);
        assertEquals(0.4700036f, LogProbs.crossEntropy(logits, new int[] {2, IGNORE}).item(), 1e-6f);
    }

    @Test
    void entropyIsShiftInvariantAndBounded() {
        Tensor logits = Tensor.randn(6, 3, 300);
        float[] shifted = logits.toArray();
        for (int i = 0; i < shifted.length; i++) shifted[i] += 500f;
        assertArrayEquals(LogProbs.entropy(logits).toArray(), LogProbs.entropy(Tensor.of(shifted, 3, 300)).toArray(), 1e-4f);
        float[] peaked = new float[300];
        peaked[7] = 200f;
        assertEquals(0f, LogProbs.entropy(Tensor.of(peaked, 1, 300)).item(), 1e-6f);
    }

    /** PyTorch: F.cross_entropy with every label ignored is nan; its gradient is zero (here: none is added). */
    @Test
    void crossEntropyWithEveryRowIgnoredIsNaN() {
        Tensor logits = GradCheck.param(7, 2, 5);
        Tensor loss = LogProbs.crossEntropy(logits, new int[] {IGNORE, IGNORE});
        assertTrue(Float.isNaN(loss.item()));
        loss.backward();
        assertNull(logits.grad(), "nothing is added to the gradient");
    }

    @Test
    void anIgnoreIndexInsideTheVocabularyIsIgnored() {
        Tensor logits = Tensor.randn(8, 3, 6);
        float[] lp = LogProbs.tokenLogProbs(logits, new int[] {0, 4, 0}, 0).toArray();
        assertEquals(0f, lp[0]);
        assertEquals(0f, lp[2]);
        assertEquals(LogProbs.tokenLogProbs(logits, new int[] {1, 4, 1}).get(1), lp[1]);
    }

    @Test
    void bitIdenticalAcrossReruns() {
        int n = 37, v = 5000;
        Tensor x = Tensor.randn(9, n, v), dy = Tensor.randn(10, n);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 5 == 0 ? IGNORE : (i * 131) % v;
        float[][] first = null;
        for (int rep = 0; rep < 5; rep++) {
            Tensor xi = x.copy().requiresGrad(true);
            Tensor lp = LogProbs.tokenLogProbs(xi, labels, IGNORE);
            lp.backward(dy);
            Tensor ce = LogProbs.crossEntropy(xi, labels);
            ce.backward();
            Tensor h = LogProbs.entropy(xi);
            h.backward(dy);
            float[][] now = {lp.toArray(), ce.toArray(), h.toArray(), xi.grad().toArray()};
            if (first == null) first = now;
            else for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "output " + i + " rerun " + rep);
        }
    }

    @Test
    void badLabelsNameThePositionAndV() {
        Tensor logits = Tensor.zeros(3, 10);
        var e = assertThrows(IllegalArgumentException.class, () -> LogProbs.tokenLogProbs(logits, new int[] {0, 10, 1}));
        assertTrue(e.getMessage().contains("label 10") && e.getMessage().contains("position 1") && e.getMessage().contains("V=10"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogProbs.tokenLogProbs(logits, new int[] {0, 1, IGNORE}));
        assertTrue(e.getMessage().contains("position 2") && e.getMessage().contains("ignore index"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogProbs.crossEntropy(logits, new int[] {0, -1, 1}));
        assertTrue(e.getMessage().contains("crossEntropy") && e.getMessage().contains("label -1")
                && e.getMessage().contains("position 1") && e.getMessage().contains("V=10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogProbs.tokenLogProbs(logits, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("2 labels") && e.getMessage().contains("[3, 10]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LogProbs.entropy(Tensor.zeros(2, 3, 10)));
        assertTrue(e.getMessage().contains("entropy") && e.getMessage().contains("[2, 3, 10]"), e.getMessage());
    }
}
