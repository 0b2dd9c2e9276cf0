package dev.align4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 4-bit quantisation against independent references: the NF4 table derived from its definition
 * (normal quantiles, as bitsandbytes' {@code create_normal_map}), the FP4 table from its bits (as
 * bitsandbytes' {@code test_4bit_quant} decodes them), the codes against a brute-force
 * {@code argmin |x − code|} (the reference kernel's rule), the block absmax values exactly, double
 * quantisation against a brute-force {@code quantize_blockwise} of the absmax values, and the
 * errors of bad input.
 */
class Quant4WeightTest {

    /** Normal samples with a few outliers, so blocks have different scales. */
    static float[] weights(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 4 : 0.05) * (1 + i / 640));
        return w;
    }

    /** The standard normal CDF by Simpson's rule on the density (far below float32's resolution). */
    private static double phi(double x) {
        int n = 20_000;
        double h = x / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double t = i * h, f = Math.exp(-t * t / 2);
            s += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * f;
        }
        return 0.5 + s * h / 3 / Math.sqrt(2 * Math.PI);
    }

    /** The inverse of {@link #phi} by bisection: scipy's {@code norm.ppf}. */
    private static double ppf(double p) {
        double lo = -10, hi = 10;
        for (int i = 0; i < 80; i++) {
            double mid = (lo + hi) / 2;
            if (phi(mid) < p) lo = mid;
            else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /** {@code torch.linspace(start, end, steps)} in float32. */
    private static float[] linspace(float start, float end, int steps) {
        float step = (end - start) / (steps - 1);
        float[] out = new float[steps];
        for (int i = 0; i < steps; i++) out[i] = i < steps / 2 ? start + step * i : end - step * (steps - i - 1);
        return out;
    }

    @Test
    void nf4IsTheNormalQuantileTableOfTheQloraPaper() {
        // create_normal_map(offset=0.9677083, use_extra_value=True): 8 positive quantiles, 7 negative, a zero, / max
        float offset = 0.9677083f;
        float[] pos = linspace(offset, 0.5f, 9), neg = linspace(offset, 0.5f, 8);
        float[] v = new float[16];
        int k = 0;
        for (int i = 0; i < 8; i++) v[k++] = (float) ppf(pos[i]);
        for (int i = 0; i < 7; i++) v[k++] = (float) -ppf(neg[i]);
        v[k] = 0;
        Arrays.sort(v);
        float max = v[15];
        for (int i = 0; i < 16; i++) v[i] /= max;
        float[] nf4 = QuantType.NF4.code();
        for (int i = 0; i < 16; i++) {
            assertEquals(v[i], nf4[i], Math.ulp(nf4[i]), "NF4 value " + i);
        }
        assertEquals(-1f, nf4[0]);
        assertEquals(0f, nf4[7]);
        assertEquals(1f, nf4[15]);
    }

    @Test
    void fp4IsTheE2m1TableDecodedFromItsBits() {
        float[] expected = new float[16];
        for (int idx = 0; idx < 16; idx++) { // sign, two exponent bits, one mantissa bit; bias 3
            int sign = idx >> 3, exp = idx >> 1 & 3, p = idx & 1;
            double v = exp == 0 ? (p == 0 ? 0 : 0.0625) : Math.pow(2, -exp + 4) * (p == 1 ? 1.5 : 1.0);
            expected[idx] = (float) (sign == 1 ? -v : v) / 12f;
        }
        assertArrayEquals(expected, QuantType.FP4.code());
        assertEquals(QuantType.FP4, QuantType.fromBnbName("FP4"));
        var e = assertThrows(IllegalArgumentException.class, () -> QuantType.fromBnbName("int4"));
        assertTrue(e.getMessage().contains("bnb_4bit_quant_type") && e.getMessage().contains("int4"), e.getMessage());
    }

    /** bitsandbytes' reference rule: {@code argmin |clamp(x · (1/absmax), −1, 1) − code|}, the first index on a tie. */
    private static int argmin(float x, float absmax, float[] code) {
        float scaled = absmax == 0 ? 0 : Math.clamp(x * (1 / absmax), -1f, 1f);
        int best = 0;
        for (int j = 1; j < code.length; j++) if (Math.abs(scaled - code[j]) < Math.abs(scaled - code[best])) best = j;
        return best;
    }

    @ParameterizedTest(name = "{0}, {1} elements")
    @CsvSource({"NF4,1", "NF4,63", "NF4,64", "NF4,3001", "FP4,65", "FP4,3001", "NF4,131073"})
    void codesAreTheNearestTableValuesAndTheAbsmaxIsExact(QuantType type, int n) {
        float[] w = weights(n, n);
        w[n / 2] = 0f; // an exact zero, and (below) values on the table itself
        if (n >= 64) for (int i = 0; i < 16; i++) w[i] = type.value(i) * 0.37f;
        Quant4Weight q = Quant4Weight.quantize(w, 0, n, type, false);
        assertEquals(Math.ceilDiv(n, 64), q.blocks());
        float[] code = type.code();
        float[] decoded = new float[n];
        q.decode(decoded, 0, 0, n);
        for (int b = 0; b < q.blocks(); b++) {
            float max = 0;
            for (int i = b * 64; i < Math.min(n, b * 64 + 64); i++) max = Math.max(max, Math.abs(w[i]));
            assertEquals(max, q.absmax(b), "absmax of block " + b);
        }
        for (int i = 0; i < n; i++) {
            int c = argmin(w[i], q.absmax(i / 64), code);
            assertEquals(c, q.code(i), "code of element " + i + " = " + w[i]);
            assertEquals(code[c] * q.absmax(i / 64), decoded[i], "element " + i);
            assertEquals(decoded[i], q.get(i));
        }
        if (n >= 64) { // a block holding the table times 0.37 (and its absmax 0.37·|±1|) gives the table back
            for (int i = 0; i < 16; i++) { // FP4's −0 (code 8) is stored as 0 (code 0): argmin takes the first
                int first = 0;
                while (code[first] != code[i]) first++;
                assertEquals(first, q.code(i), "table value " + i);
            }
        }
    }

    @Test
    void theCodebookSearchIsArgminEverywhereIncludingAtItsThresholds() {
        for (float[] code : new float[][] {QuantType.NF4.code(), QuantType.FP4.code(), Quant4Weight.DYNAMIC_MAP}) {
            var book = new dev.align4j.tensor.kernels.Quant4Kernels.Codebook(code);
            float[] sorted = code.clone();
            Arrays.sort(sorted);
            java.util.List<Float> xs = new java.util.ArrayList<>();
            for (int i = -20_000; i <= 20_000; i++) xs.add(i / 20_000f);
            for (int j = 0; j + 1 < sorted.length; j++) { // around each midpoint, ulp by ulp
                float mid = (sorted[j] + sorted[j + 1]) / 2;
                float x = mid;
                for (int u = 0; u < 4; u++) x = Math.nextDown(x);
                for (int u = 0; u < 9; u++, x = Math.nextUp(x)) xs.add(x);
            }
            for (float x : xs) assertEquals(argmin(x, 1f, code), book.nearest(x), "nearest code to " + x);
        }
    }

    @Test
    void decodingAnyRunEqualsTheWholeDecode() {
        int n = 1000;
        Quant4Weight q = Quant4Weight.quantize(weights(3, n), 0, n, QuantType.NF4, true);
        float[] all = new float[n];
        q.decode(all, 0, 0, n);
        int[][] runs = {{0, 1}, {1, 1}, {1, 64}, {63, 2}, {63, 130}, {64, 64}, {999, 1}, {5, 995}, {0, 0}};
        for (int[] run : runs) {
            float[] part = new float[run[1] + 3];
            q.decode(part, 3, run[0], run[1]);
            assertArrayEquals(Arrays.copyOfRange(all, run[0], run[0] + run[1]), Arrays.copyOfRange(part, 3, part.length),
                    "run from " + run[0] + " of " + run[1]);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> q.decode(new float[10], 0, 995, 10));
        assertTrue(e.getMessage().contains("[995, 1005)"), e.getMessage());
    }

    @Test
    void theDynamicMapIsBitsandbytesSigned8BitMap() {
        float[] map = Quant4Weight.DYNAMIC_MAP;
        assertEquals(256, map.length);
        for (int i = 1; i < 256; i++) assertTrue(map[i - 1] < map[i], "ascending at " + i);
        assertEquals(1f, map[255]);
        assertEquals(0f, map[127]);
        assertEquals(5.5e-7f, map[128], 1e-12f); // exponent 0: the midpoint of [0.1, 1] times 1e-6
        for (int i = 0; i < 127; i++) assertEquals(-map[254 - i], map[i], "symmetric below 1: " + i);
        assertEquals(-0.99296874f, map[0], 1e-6f); // the last midpoint of linspace(0.1, 1, 65)
    }

    @ParameterizedTest(name = "{0} blocks")
    @CsvSource({"1", "255", "256", "700"})
    void doubleQuantisationStoresTheAbsmaxAsBitsandbytesQuantizeBlockwise(int blocks) {
        int n = blocks * 64 - 5;
        SplittableRandom r = new SplittableRandom(blocks);
        float[] w = new float[n]; // a trained layer's weights: normal, no outliers
        for (int i = 0; i < n; i++) w[i] = (float) (0.02 * r.nextGaussian());
        Quant4Weight plain = Quant4Weight.quantize(w, 0, n, QuantType.NF4, false);
        Quant4Weight nested = Quant4Weight.quantize(w, 0, n, QuantType.NF4, true);
        assertTrue(nested.doubleQuant());
        double sum = 0;
        for (int b = 0; b < blocks; b++) sum += plain.absmax(b);
        float offset = (float) (sum / blocks);
        assertEquals(offset, nested.offset());
        double worst = 0;
        for (int g = 0; g < Math.ceilDiv(blocks, 256); g++) {
            float absmax2 = 0;
            for (int b = g * 256; b < Math.min(blocks, g * 256 + 256); b++) absmax2 = Math.max(absmax2, Math.abs(plain.absmax(b) - offset));
            for (int b = g * 256; b < Math.min(blocks, g * 256 + 256); b++) {
                int c = argmin(plain.absmax(b) - offset, absmax2, Quant4Weight.DYNAMIC_MAP);
                assertEquals(Quant4Weight.DYNAMIC_MAP[c] * absmax2 + offset, nested.absmax(b), "absmax of block " + b);
                worst = Math.max(worst, Math.abs(nested.absmax(b) - plain.absmax(b)) / plain.absmax(b));
            }
        }
        assertTrue(worst < 0.01, "relative error of the double-quantised absmax: " + worst);
        for (int i = 0; i < n; i++) assertEquals(plain.code(i), nested.code(i), "codes do not depend on the absmax storage");
        if (blocks >= 256) assertTrue(nested.bytes() < plain.bytes(), nested.bytes() + " vs " + plain.bytes());
    }

    @Test
    void aBlockOfZerosQuantisesToZeros() {
        float[] w = new float[130];
        w[129] = 2f;
        for (QuantType type : QuantType.values()) {
            for (boolean doubleQuant : new boolean[] {false, true}) {
                Quant4Weight q = Quant4Weight.quantize(w, 0, w.length, type, doubleQuant);
                if (!doubleQuant) assertEquals(0f, q.absmax(0), type.name()); // double quantised, it is 0 ± the 8-bit error
                for (int i = 0; i < 129; i++) assertTrue(q.get(i) == 0, type + " element " + i + ": " + q.get(i));
                assertEquals(2f, q.get(129), 2f * 0.02f, type.name());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void nonFiniteValuesAreRejectedByIndex(QuantType type) {
        float[] w = weights(1, 100);
        w[77] = Float.NaN;
        var e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(w, 10, 10).named("q_proj.weight").quantize4Bit(type, false));
        assertTrue(e.getMessage().contains("q_proj.weight[10, 10]") && e.getMessage().contains("element 77")
                && e.getMessage().contains("NaN"), e.getMessage());
        w[77] = Float.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> Quant4Weight.quantize(w, 0, 100, type, true));
        assertTrue(e.getMessage().contains("element 77"), e.getMessage());
    }

    @Test
    void emptyOrOutOfRangeInputIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0, 4).quantize4Bit(QuantType.NF4, false));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Quant4Weight.quantize(new float[10], 5, 6, QuantType.NF4, false));
        assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
    }
}
