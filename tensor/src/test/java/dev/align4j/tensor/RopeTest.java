package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RopeTest {

    /** Float64 rotate-half rope of (T, H, D) with angles position·invFreq[i] computed in double. */
    static double[] ropeRef(double[] x, int[] pos, double[] invFreq, int heads, int d) {
        int half = d / 2;
        double[] y = new double[x.length];
        for (int t = 0; t < pos.length; t++)
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * d;
                for (int i = 0; i < half; i++) {
                    double a = pos[t] * invFreq[i], c = Math.cos(a), s = Math.sin(a);
                    double x1 = x[o + i], x2 = x[o + half + i];
                    y[o + i] = x1 * c - x2 * s;
                    y[o + half + i] = x2 * c + x1 * s;
                }
            }
        return y;
    }

    static double[] invFreqRef(int d, double theta) {
        double[] inv = new double[d / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1 / Math.pow(theta, 2.0 * i / d);
        return inv;
    }

    @ParameterizedTest(name = "headDim={0}")
    @ValueSource(ints = {2, 8, 66, 128})
    void matchesFloat64AndFiniteDifferences(int d) {
        int[] pos = {0, 5, 2, 0, 1}; // two packed segments: positions restart
        Tensor x = GradCheck.param(1, pos.length, 3, d);
        GradCheck.check("rope", in -> Rope.apply(in[0], pos, 10_000.0),
                v -> ropeRef(v[0], pos, invFreqRef(d, 10_000.0), 3, d), x);
    }

    /** Linear rope scaling (factor 4) is just other inverse frequencies: inv_freq / 4. */
    @Test
    void givenInverseFrequenciesAreUsed() {
        int d = 66;
        int[] pos = {7, 100, 3};
        float[] inv = Rope.inverseFrequencies(d, 500_000.0);
        double[] invRef = new double[d / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] /= 4;
            invRef[i] = inv[i];
        }
        Tensor x = GradCheck.param(2, pos.length, 2, d);
        GradCheck.check("rope(invFreq)", in -> Rope.apply(in[0], pos, inv), v -> ropeRef(v[0], pos, invRef, 2, d), x);
    }

    /**
     * By hand, head_dim 4, theta 10 000: inv_freq = [1, 1/100]; at position 3 the angles are
     * [3, 0.03], so x = [1, 2, 3, 4] becomes [1·cos3 − 3·sin3, 2·cos.03 − 4·sin.03,
     * 3·cos3 + 1·sin3, 4·cos.03 + 2·sin.03].
     */
    @Test
    void matchesTheRotateHalfFormulaByHand() {
        assertArrayEquals(new float[] {1f, 0.01f}, Rope.inverseFrequencies(4, 10_000.0));
        Tensor y = Rope.apply(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 4), new int[] {3}, 10_000.0);
        double[] expected = {
                Math.cos(3) - 3 * Math.sin(3), 2 * Math.cos(.03) - 4 * Math.sin(.03),
                3 * Math.cos(3) + Math.sin(3), 4 * Math.cos(.03) + 2 * Math.sin(.03)};
        GradCheck.compare("rope by hand", GradCheck.toDouble(y.toArray()), expected, 1e-6, 0);
    }

    /**
     * Hugging Face computes the angles in float32. Golden values from numpy float32, which
     * mirrors that arithmetic (head_dim 128, Llama-3's theta 500 000, position 12 345):
     * <pre>
     * inv = np.float32(1) / (np.float32(500000) ** (np.arange(0, 128, 2).astype(np.float32) / np.float32(128)))
     * fr = inv * np.float32(12345); np.cos(fr), np.sin(fr)   # at i = 0, 1, 10, 63
     * </pre>
     * In float64 the angle at i = 1 would give cos −0.9776819, 1.1e-4 away: the table must not be
     * "more exact" than the checkpoint's training.
     */
    @Test
    void anglesFollowHuggingFaceFloat32Arithmetic() {
        float[] inv = Rope.inverseFrequencies(128, 500_000.0);
        int[] idx = {0, 1, 10, 63};
        float[] goldenInv = {1.0f, 0.8146172165870667f, 0.12868738174438477f, 2.4551407022954663e-06f};
        float[] goldenCos = {0.11143579334020615f, -0.9777937531471252f, 0.5401922464370728f, 0.9995407462120056f};
        float[] goldenSin = {-0.9937716126441956f, -0.20956945419311523f, -0.8415416479110718f, 0.0303040724247694f};
        Rope.Table table = Rope.table(new int[] {0, 12_345}, inv);
        for (int k = 0; k < idx.length; k++) {
            int i = idx[k];
            assertEquals(goldenInv[k], inv[i], Math.ulp(goldenInv[k]), "inv_freq[" + i + "]");
            assertEquals(goldenCos[k], table.cos(1, i), 2e-7f, "cos at i=" + i);
            assertEquals(goldenSin[k], table.sin(1, i), 2e-7f, "sin at i=" + i);
            assertEquals(1f, table.cos(0, i));
            assertEquals(0f, table.sin(0, i));
        }
    }

    /**
     * Hugging Face divides the exponent 2i/D in float32 ({@code arange(0, D, 2).float() / D}); from
     * there the power and the reciprocal, each rounded to float32, stay within 1.25 ulp of exact. Against the fully exact formula the
     * exponent's rounding (scaled by ln θ ≈ 9.2) adds a few ulp more.
     */
    @ParameterizedTest(name = "headDim={0}")
    @ValueSource(ints = {2, 8, 66, 128})
    void inverseFrequenciesRoundTheExponentToFloat32(int d) {
        float[] inv = Rope.inverseFrequencies(d, 10_000.0);
        double[] exact = invFreqRef(d, 10_000.0);
        assertEquals(d / 2, inv.length);
        for (int i = 0; i < inv.length; i++) {
            double withFloatExponent = 1 / Math.pow(10_000.0, (float) (2 * i) / (float) d);
            assertEquals(withFloatExponent, inv[i], 1.25 * Math.ulp(inv[i]), "inv_freq[" + i + "] vs float32 exponent");
            assertEquals(exact[i], inv[i], 4 * Math.ulp(inv[i]), "inv_freq[" + i + "] vs exact");
        }
    }

    @Test
    void positionZeroIsTheIdentity() {
        Tensor x = Tensor.randn(3, 4, 5, 66);
        assertArrayEquals(x.toArray(), Rope.apply(x, new int[4], 10_000.0).toArray());
    }

    /** RoFormer's point: after rope, q·k depends only on the position difference. */
    @Test
    void scoresDependOnlyOnRelativePosition() {
        int d = 64;
        Tensor q = Tensor.randn(4, 1, 1, d), k = Tensor.randn(5, 1, 1, d);
        float[] inv = Rope.inverseFrequencies(d, 10_000.0);
        double base = score(q, k, 3, 10, inv);
        for (int shift : new int[] {-3, 1, 100, 1000}) {
            assertEquals(base, score(q, k, 3 + shift, 10 + shift, inv), 1e-4 * Math.abs(base) + 1e-5, "shift " + shift);
        }
        assertTrue(Math.abs(base - score(q, k, 3, 11, inv)) > 1e-3, "another distance gives another score");
    }

    private static double score(Tensor q, Tensor k, int m, int n, float[] inv) {
        float[] a = Rope.apply(q, new int[] {m}, inv).toArray(), b = Rope.apply(k, new int[] {n}, inv).toArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** One table serves queries and keys with different head counts (grouped-query attention). */
    @Test
    void oneTableServesQueriesAndKeys() {
        int[] pos = {0, 1, 2, 0, 1};
        Rope.Table table = Rope.table(pos, Rope.inverseFrequencies(8, 10_000.0));
        Tensor q = Tensor.randn(6, 5, 4, 8), k = Tensor.randn(7, 5, 2, 8);
        assertArrayEquals(Rope.apply(q, pos, 10_000.0).toArray(), Rope.apply(q, table).toArray());
        assertArrayEquals(Rope.apply(k, pos, 10_000.0).toArray(), Rope.apply(k, table).toArray());
    }

    @Test
    void bitIdenticalAcrossReruns() {
        int t = 300;
        int[] pos = new int[t];
        for (int i = 0; i < t; i++) pos[i] = i % 97;
        Tensor x = Tensor.randn(8, t, 4, 66), seed = Tensor.randn(9, t, 4, 66);
        float[][] first = null;
        for (int rep = 0; rep < 3; rep++) {
            Tensor xi = x.copy().requiresGrad(true);
            Tensor y = Rope.apply(xi, pos, 10_000.0);
            y.backward(seed);
            float[][] now = {y.toArray(), xi.grad().toArray()};
            if (first == null) first = now;
            else for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "output " + i + " rerun " + rep);
        }
    }

    @Test
    void badInputsNameTheProblem() {
        var e = assertThrows(IllegalArgumentException.class, () -> Rope.apply(Tensor.zeros(2, 1, 7), new int[2], 10_000.0));
        assertTrue(e.getMessage().contains("even") && e.getMessage().contains("[2, 1, 7]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.apply(Tensor.zeros(2, 8), new int[2], 10_000.0));
        assertTrue(e.getMessage().contains("Rope.apply") && e.getMessage().contains("[2, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.apply(Tensor.zeros(3, 1, 8), new int[2], 10_000.0));
        assertTrue(e.getMessage().contains("3 tokens") && e.getMessage().contains("got 2 tokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.apply(Tensor.zeros(2, 1, 8), new int[2], new float[3]));
        assertTrue(e.getMessage().contains("head_dim 8") && e.getMessage().contains("head_dim 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.apply(Tensor.zeros(2, 1, 8), new int[] {0, -1}, 10_000.0));
        assertTrue(e.getMessage().contains("-1") && e.getMessage().contains("token 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.inverseFrequencies(8, 0));
        assertTrue(e.getMessage().contains("theta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rope.table(new int[1], new float[] {1f, Float.NaN}));
        assertTrue(e.getMessage().contains("invFreq[1]"), e.getMessage());
    }
}
