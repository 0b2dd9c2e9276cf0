package dev.align4j.eval.report;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One metric of one training log as (step, value) points, in the order they were logged.
 *
 * <p>A log record that lacks the key, or holds null, a string or a non-finite number there, gives no
 * point: a run that logs {@code eval_loss} every 50 steps and {@code loss} every step yields two
 * curves of different lengths, which is what the chart should show. A record without a numeric
 * {@code "step"} takes its 1-based position in the log as its step.
 *
 * <p>What it is not: a smoother or a resampler. Points are neither sorted nor thinned, so a resumed
 * run that repeats steps shows the repeat.
 *
 * @param name the metric's name as logged ({@code loss}, {@code objective/kl}, …)
 * @param points {@code {step, value}} pairs, both finite
 */
public record Curve(String name, List<double[]> points) {
    public Curve {
        if (name == null) throw new IllegalArgumentException("a curve needs a name (the metric key it plots)");
        points = List.copyOf(points);
        for (double[] p : points) {
            if (p.length != 2) throw new IllegalArgumentException("curve " + name + ": a point is {step, value}, got " + p.length + " numbers");
        }
    }

    /** The curve of {@code key} in {@code log} (the objects of a {@code metrics.jsonl}); empty when no record has it. */
    public static Curve of(String key, List<JsonNode> log) {
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            JsonNode record = log.get(i);
            double value = number(record.get(key));
            if (!Double.isFinite(value)) continue;
            double step = number(record.get("step"));
            points.add(new double[] {Double.isFinite(step) ? step : i + 1, value});
        }
        return new Curve(key, points);
    }

    /** True when no record had a finite value for this metric. */
    public boolean isEmpty() {
        return points.isEmpty();
    }

    private static double number(JsonNode v) {
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }
}
