package dev.align4j.eval;

/**
 * One number a task reports: its name (lm-evaluation-harness's where it has one: {@code acc},
 * {@code acc_norm}, {@code exact_match}, {@code word_perplexity}, …), its value, the items it is
 * over, and its 95% interval (null for counts, which have none).
 */
public record Metric(String name, double value, int n, Interval interval) {

    /** A count or other figure without an interval. */
    public static Metric count(String name, double value, int n) {
        return new Metric(name, value, n, null);
    }

    /** A proportion of {@code n} items with its Wilson interval. */
    public static Metric proportion(String name, double successes, int n) {
        return new Metric(name, n == 0 ? Double.NaN : successes / n, n, Interval.wilson(successes, n));
    }

    /** The mean of {@code values} with its bootstrap interval. */
    public static Metric mean(String name, double[] values, long seed) {
        double sum = 0;
        for (double v : values) sum += v;
        return new Metric(name, values.length == 0 ? Double.NaN : sum / values.length, values.length, Interval.bootstrapMean(values, seed));
    }
}
