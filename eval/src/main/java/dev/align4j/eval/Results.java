package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An evaluation's results as JSON and as a table for the terminal.
 *
 * <p>The JSON: {@code {"model", "adapter", "seed", "results": {TASK: {"output_type", "n", "total",
 * "error", "metrics": [{"metric", "value", "n", "ci_low", "ci_high", "interval"}]}}}}; {@code n} is
 * the rows evaluated, {@code total} the rows the task has (fewer evaluated when it stopped early),
 * and the interval is the 95% one ("wilson" or "bootstrap"; absent for counts). Non-finite values
 * are written as null.
 */
public final class Results {
    private Results() {}

    /** The results as one JSON object. */
    public static ObjectNode json(String model, String adapter, long seed, List<TaskResult> results) {
        ObjectNode root = JsonLines.MAPPER.createObjectNode();
        root.put("model", model);
        if (adapter != null) root.put("adapter", adapter);
        else root.putNull("adapter");
        root.put("seed", seed);
        ObjectNode tasks = root.putObject("results");
        for (TaskResult r : results) {
            ObjectNode t = tasks.putObject(r.task());
            t.put("output_type", r.outputType());
            t.put("n", r.n());
            t.put("total", r.total());
            if (r.error() != null) t.put("error", r.error());
            else t.putNull("error");
            ArrayNode metrics = t.putArray("metrics");
            for (Metric m : r.metrics()) {
                ObjectNode o = metrics.addObject();
                o.put("metric", m.name());
                number(o, "value", m.value());
                o.put("n", m.n());
                if (m.interval() != null) {
                    number(o, "ci_low", m.interval().low());
                    number(o, "ci_high", m.interval().high());
                    o.put("interval", m.interval().method());
                }
            }
        }
        return root;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    /** A Markdown-style table: task, metric, value, 95% interval, n; a task that stopped early says so under it. */
    public static String table(List<TaskResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"task", "metric", "value", "95% interval", "n"});
        List<String> notes = new ArrayList<>();
        for (TaskResult r : results) {
            boolean first = true;
            for (Metric m : r.metrics()) {
                String interval = m.interval() == null ? "" : "[" + fmt(m.interval().low()) + ", " + fmt(m.interval().high()) + "] " + m.interval().method();
                rows.add(new String[] {first ? r.task() : "", m.name(), fmt(m.value()), interval, String.valueOf(m.n())});
                first = false;
            }
            if (r.error() != null) notes.add(r.task() + ": stopped after " + r.n() + " of " + r.total() + " rows: " + r.error());
        }
        int[] width = new int[5];
        for (String[] row : rows) for (int k = 0; k < 5; k++) width[k] = Math.max(width[k], row[k].length());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            out.append('|');
            for (int k = 0; k < 5; k++) out.append(' ').append(pad(rows.get(i)[k], width[k], k == 2 || k == 4)).append(" |");
            out.append('\n');
            if (i == 0) {
                out.append('|');
                for (int k = 0; k < 5; k++) out.append('-').append("-".repeat(width[k])).append("-|");
                out.append('\n');
            }
        }
        for (String note : notes) out.append(note).append('\n');
        return out.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String space = " ".repeat(width - s.length());
        return right ? space + s : s + space;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return String.valueOf((long) v);
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.2f" : "%.4f", v);
    }
}
