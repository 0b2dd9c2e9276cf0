package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * What one task gave: its metrics over {@code n} rows, the per-row records (for
 * {@code --log-samples}), and, when it stopped early (a judge endpoint that stayed unreachable),
 * the error — its metrics then cover the rows done before it.
 *
 * @param task       the task's name
 * @param outputType its output type
 * @param n          rows evaluated
 * @param total      rows the task has
 * @param metrics    the metrics, in a fixed order
 * @param samples    one record per row
 * @param error      why the task stopped early, or null
 */
public record TaskResult(String task, String outputType, int n, int total, List<Metric> metrics, List<ObjectNode> samples, String error) {

    /** The metric named {@code name}. */
    public Metric metric(String name) {
        return metrics.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("task " + task + " has no metric " + name + "; it has "
                        + metrics.stream().map(Metric::name).toList()));
    }
}
