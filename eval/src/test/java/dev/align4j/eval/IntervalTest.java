package dev.align4j.eval;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntervalTest {

    @Test
    void wilsonMatchesHandValues() {
        // 8 of 10, z = 1.959964: z²/n = 0.384146, centre = (0.8 + 0.192073) / 1.384146 = 0.716740,
        // half = 1.959964 / 1.384146 · sqrt(0.016 + 0.0096036) = 0.226578 (computed in float64 by hand in Python)
        Interval i = Interval.wilson(8, 10);
        assertEquals(0.490162, i.low(), 1e-5);
        assertEquals(0.943318, i.high(), 1e-5);
        assertEquals("wilson", i.method());
        Interval none = Interval.wilson(0, 20); // stays in [0, 1], unlike the normal approximation's ±0
        assertEquals(0, none.low(), 0);
        assertEquals(0.161125, none.high(), 1e-5);
        Interval all = Interval.wilson(20, 20);
        assertEquals(1 - 0.161125, all.low(), 1e-5);
        assertEquals(1, all.high(), 1e-12);
    }

    @Test
    void bootstrapIsSeededAndBracketsTheMean() {
        double[] x = new double[50];
        for (int i = 0; i < x.length; i++) x[i] = (i * 37 % 11) / 10.0;
        double mean = java.util.Arrays.stream(x).average().orElseThrow();
        Interval a = Interval.bootstrapMean(x, 7), b = Interval.bootstrapMean(x, 7), c = Interval.bootstrapMean(x, 8);
        assertEquals(a, b, "the same seed gives the same interval");
        assertTrue(!a.equals(c), "another seed resamples differently");
        assertTrue(a.low() < mean && mean < a.high(), a + " around " + mean);
        // The standard error of the mean is sd/sqrt(n); a 95% interval is about ±1.96 of it.
        double sd = Math.sqrt(java.util.Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / x.length);
        double half = (a.high() - a.low()) / 2, expected = 1.96 * sd / Math.sqrt(x.length);
        assertEquals(expected, half, 0.25 * expected, a.toString());
        Interval constant = Interval.bootstrapMean(new double[] {3, 3, 3}, 1);
        assertEquals(3, constant.low(), 0);
        assertEquals(3, constant.high(), 0);
    }

    @Test
    void percentileInterpolatesAsNumpy() {
        double[] sorted = {1, 2, 3, 4};
        assertEquals(1.075, Interval.percentile(sorted, 0.025), 1e-12); // numpy.percentile([1,2,3,4], 2.5)
        assertEquals(3.925, Interval.percentile(sorted, 0.975), 1e-12);
    }
}
