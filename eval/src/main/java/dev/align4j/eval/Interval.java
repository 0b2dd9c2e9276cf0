package dev.align4j.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A 95% confidence interval of a metric, and the two ways the harness computes one.
 *
 * <p>A proportion (accuracy, exact match) gets the Wilson score interval (E. B. Wilson, "Probable
 * inference, the law of succession, and statistical inference", JASA 1927), which stays inside
 * [0, 1] and is sound for small n and for proportions near 0 or 1, where the normal approximation
 * lm-evaluation-harness prints as a standard error is not. Any other statistic (a mean score, a
 * perplexity, a win rate with ties) gets a percentile bootstrap over the items (B. Efron, "Bootstrap
 * methods", 1979): the statistic of {@link #RESAMPLES} resamples drawn with replacement by a seeded
 * generator, and their 2.5th and 97.5th percentiles — so two runs print the same interval.
 *
 * @param low    the lower bound
 * @param high   the upper bound
 * @param method "wilson" or "bootstrap"
 */
public record Interval(double low, double high, String method) {
    /** The normal quantile of 97.5%. */
    static final double Z = 1.959963984540054;
    /** Bootstrap resamples. */
    public static final int RESAMPLES = 1000;

    /** The Wilson score interval of {@code successes} out of {@code n} (successes may count ties as halves). */
    public static Interval wilson(double successes, int n) {
        if (n <= 0) return new Interval(Double.NaN, Double.NaN, "wilson");
        double p = successes / n, z2 = Z * Z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new Interval(Math.max(0, centre - half), Math.min(1, centre + half), "wilson");
    }

    /**
     * The percentile bootstrap interval of a statistic over {@code n} items.
     *
     * @param n         the number of items
     * @param statistic the statistic of a resample, given as the indices of the items drawn (with repeats)
     * @param seed      the generator's seed
     */
    public static Interval bootstrap(int n, ToDoubleFunction<int[]> statistic, long seed) {
        if (n <= 0) return new Interval(Double.NaN, Double.NaN, "bootstrap");
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[RESAMPLES];
        int[] draw = new int[n];
        for (int b = 0; b < RESAMPLES; b++) {
            for (int i = 0; i < n; i++) draw[i] = random.nextInt(n);
            values[b] = statistic.applyAsDouble(draw);
        }
        Arrays.sort(values);
        return new Interval(percentile(values, 0.025), percentile(values, 0.975), "bootstrap");
    }

    /** The bootstrap interval of the mean of {@code values}. */
    public static Interval bootstrapMean(double[] values, long seed) {
        return bootstrap(values.length, draw -> {
            double sum = 0;
            for (int i : draw) sum += values[i];
            return sum / draw.length;
        }, seed);
    }

    /** Linear interpolation between the closest ranks (numpy's default percentile). */
    static double percentile(double[] sorted, double q) {
        double at = q * (sorted.length - 1);
        int lo = (int) Math.floor(at), hi = (int) Math.ceil(at);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }
}
