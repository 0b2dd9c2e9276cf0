package dev.align4j.eval.report;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The {@code report.html} a recipe run ends with: one page that shows whether each post-training
 * stage helped.
 *
 * <p>A learner who has just run base → SFT → GRPO wants three answers, and the page gives them in
 * this order, each in a {@code <section>} with a stable id:
 * <ol>
 *   <li>{@code summary} — what ran: the caller's facts (model, task, date, time) and the stages in
 *       order with their status, plus the first held-out metric across stages in one line;</li>
 *   <li>{@code metrics} — did it help: the held-out metrics, one row per stage on the same prompts,
 *       the best value per column in bold (see {@link Better} for which direction is best);</li>
 *   <li>{@code curves} — did it train sanely: each stage's {@code metrics.jsonl} as charts, one per
 *       {@link ChartFamily} present (loss falling, reward rising, KL bounded, lengths not exploding);</li>
 *   <li>{@code samples} — what changed: the same held-out prompts answered after each stage, side by
 *       side, so a rising accuracy can be checked against the text behind it.</li>
 * </ol>
 *
 * <p>The file is self-contained and opens offline, from a laptop or a CI artifact years later: the
 * stylesheet is inlined, the charts are inline SVG drawn by {@link SvgChart}, and there is no script,
 * font, image or link to fetch. Every caller string (metric names, prompts, completions) is escaped,
 * since model output routinely contains {@code <}, {@code &} and quotes, and void elements are
 * self-closed, so the page also parses as XML (the tests check it that way). Rendering is a pure
 * function of its arguments (no clock), so the same run gives the same bytes.
 *
 * <p>What it is not: an experiment tracker (no comparison across runs, no live updates — TensorBoard
 * and W&amp;B do that from the same {@code metrics.jsonl}), and not a grader: completions are marked
 * correct only when the caller says so. Based on the report a Hugging Face model card carries (a
 * metrics table, training curves) and on nanochat's {@code report.md}, which ends a speedrun with one
 * table of every stage's scores.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /**
     * Which held-out value is best in a column. Chosen from the metric's name: losses and
     * perplexities are better low; KL, lengths and times are not ranked at all, because a KL of zero
     * means the stage learned nothing and a length is a symptom, not a goal; everything else
     * (accuracy, format rate, reward, win rate, pass@k) is better high.
     */
    public enum Better {
        HIGHER, LOWER, NEITHER;

        public static Better of(String metric) {
            String m = metric.toLowerCase(Locale.ROOT);
            for (String lower : List.of("loss", "perplexity", "ppl", "error")) if (m.contains(lower)) return LOWER;
            for (String neither : List.of("kl", "length", "time", "second", "tokens")) if (m.contains(neither)) return NEITHER;
            return HIGHER;
        }

        String arrow() {
            return switch (this) {
                case HIGHER -> " \u2191";
                case LOWER -> " \u2193";
                case NEITHER -> "";
            };
        }
    }

    /** Renders the report and writes it to {@code file}, replacing any report there only once the new one is complete. */
    public static void write(Path file, String title, List<StageReport> stages, List<String> tableColumns, List<SampleRow> samples,
                             Map<String, String> facts) throws IOException {
        writeAtomically(file, render(title, stages, tableColumns, samples, facts));
    }

    /**
     * The report as one HTML page.
     *
     * @param title the page's heading, e.g. "Qwen3-0.6B on GSM8K: SFT then GRPO"
     * @param stages the stages in the order they ran, the base model first
     * @param tableColumns the held-out metrics to tabulate, in column order
     * @param samples held-out prompts with each stage's completion; may be empty
     * @param facts name → value lines for the summary (model, task, date, total time), in order
     */
    public static String render(String title, List<StageReport> stages, List<String> tableColumns, List<SampleRow> samples,
                                Map<String, String> facts) {
        title = title == null ? "align4j report" : title;
        stages = stages == null ? List.of() : stages;
        tableColumns = tableColumns == null ? List.of() : tableColumns;
        samples = samples == null ? List.of() : samples;
        facts = facts == null ? Map.of() : facts;

        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<meta name=\"generator\" content=\"align4j\"/>\n")
                .append("<title>").append(Html.escape(title)).append("</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
        summary(h, title, stages, tableColumns, facts);
        metrics(h, stages, tableColumns);
        curves(h, stages);
        samples(h, stages, samples);
        h.append("</main>\n<footer><p>Written by align4j. Self-contained: no scripts, no network; the training logs are each stage's metrics.jsonl.</p></footer>\n")
                .append("</body>\n</html>\n");
        return h.toString();
    }

    // ---- summary ---------------------------------------------------------------------------------

    private static void summary(StringBuilder h, String title, List<StageReport> stages, List<String> columns, Map<String, String> facts) {
        h.append("<section id=\"summary\">\n<h1>").append(Html.escape(title)).append("</h1>\n");
        if (!facts.isEmpty()) {
            h.append("<table class=\"facts\">\n");
            for (Map.Entry<String, String> f : facts.entrySet()) {
                h.append("<tr><th scope=\"row\">").append(Html.escape(f.getKey())).append("</th><td>")
                        .append(Html.escape(f.getValue())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        if (!stages.isEmpty()) {
            h.append("<ol class=\"pipeline\">\n");
            for (StageReport s : stages) {
                h.append("<li><strong>").append(Html.escape(s.name())).append("</strong>");
                if (!s.method().isEmpty()) h.append(" <span class=\"method\">").append(Html.escape(s.method())).append("</span>");
                if (!s.status().isEmpty()) status(h.append(' '), s.status());
                h.append("</li>\n");
            }
            h.append("</ol>\n");
        }
        // The one line a reader looks for first: the headline metric, stage by stage.
        if (!columns.isEmpty()) {
            String metric = columns.getFirst();
            List<String> parts = new ArrayList<>();
            for (StageReport s : stages) {
                Double v = s.heldOut().get(metric);
                if (v != null) parts.add(Html.escape(s.name()) + " <b>" + Html.escape(Html.value(v)) + "</b>");
            }
            if (!parts.isEmpty()) {
                h.append("<p class=\"headline\">").append(Html.escape(metric)).append(": ")
                        .append(String.join(" \u2192 ", parts)).append("</p>\n");
            }
        }
        h.append("</section>\n");
    }

    private static void status(StringBuilder h, String status) {
        h.append("<span class=\"status status-").append(slug(status)).append("\">").append(Html.escape(status)).append("</span>");
    }

    // ---- held-out metrics ------------------------------------------------------------------------

    private static void metrics(StringBuilder h, List<StageReport> stages, List<String> columns) {
        h.append("<section id=\"metrics\">\n<h2>Held-out metrics</h2>\n")
                .append("<p class=\"hint\">Each stage's model on the same held-out set, in the order the stages ran. ")
                .append("Bold: the best value per column (\u2191 higher is better, \u2193 lower; unmarked columns such as KL are not ranked).</p>\n");
        if (stages.isEmpty()) {
            h.append("<p>No stages.</p>\n</section>\n");
            return;
        }
        // The best value per column, over the stages that have a finite one; ranked only with two or more.
        double[] best = new double[columns.size()];
        for (int c = 0; c < columns.size(); c++) {
            Better better = Better.of(columns.get(c));
            best[c] = Double.NaN;
            int finite = 0;
            for (StageReport s : stages) {
                Double v = s.heldOut().get(columns.get(c));
                if (v == null || !Double.isFinite(v)) continue;
                finite++;
                if (Double.isNaN(best[c]) || (better == Better.HIGHER ? v > best[c] : v < best[c])) best[c] = v;
            }
            if (finite < 2 || better == Better.NEITHER) best[c] = Double.NaN;
        }
        h.append("<table class=\"metrics\">\n<thead><tr><th>stage</th><th>method</th><th>status</th>");
        for (String c : columns) {
            h.append("<th class=\"num\" data-metric=\"").append(Html.escape(c)).append("\">").append(Html.escape(c))
                    .append(Better.of(c).arrow()).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (StageReport s : stages) {
            h.append("<tr data-stage=\"").append(Html.escape(s.name())).append("\"><th scope=\"row\">").append(Html.escape(s.name()))
                    .append("</th><td>").append(Html.escape(s.method())).append("</td><td>");
            if (!s.status().isEmpty()) status(h, s.status());
            h.append("</td>");
            for (int c = 0; c < columns.size(); c++) {
                Double v = s.heldOut().get(columns.get(c));
                if (v == null) {
                    h.append("<td class=\"num\"></td>");
                    continue;
                }
                boolean isBest = v.doubleValue() == best[c]; // false for NaN, so unranked columns mark nothing
                h.append("<td class=\"num").append(isBest ? " best" : "").append("\" title=\"").append(v)
                        .append("\">").append(Html.escape(Html.value(v))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n</section>\n");
    }

    // ---- training curves -------------------------------------------------------------------------

    private static void curves(StringBuilder h, List<StageReport> stages) {
        h.append("<section id=\"curves\">\n<h2>Training curves</h2>\n")
                .append("<p class=\"hint\">Each stage's logged metrics by step, every logged point drawn. ")
                .append("Look for a falling loss, a rising reward, a KL that stays bounded and completions that do not grow without end.</p>\n");
        Set<String> ids = new HashSet<>();
        List<String> unlogged = new ArrayList<>();
        Set<String> charted = new HashSet<>();
        for (ChartFamily f : ChartFamily.ALL) charted.addAll(f.keys());
        for (StageReport s : stages) {
            if (s.log().isEmpty()) {
                unlogged.add(Html.escape(s.name()) + (s.method().isEmpty() && s.status().isEmpty() ? ""
                        : " (" + Html.escape(String.join(", ", nonEmpty(s.method(), s.status()))) + ")"));
                continue;
            }
            String stageId = unique(ids, "curves-" + slug(s.name()));
            h.append("<div class=\"stage-curves\" id=\"").append(stageId).append("\" data-stage=\"").append(Html.escape(s.name()))
                    .append("\">\n<h3>").append(Html.escape(s.name()));
            if (!s.method().isEmpty()) h.append("<small>").append(Html.escape(s.method())).append("</small>");
            h.append("</h3>\n");
            if (!s.note().isEmpty()) h.append("<p class=\"note\">").append(Html.escape(s.note())).append("</p>\n");
            h.append("<p class=\"hint\">").append(s.log().size()).append(" logged records.</p>\n<div class=\"charts\">\n");
            int drawn = 0;
            for (ChartFamily f : ChartFamily.ALL) {
                List<Curve> curves = new ArrayList<>();
                List<String> colours = new ArrayList<>();
                for (int k = 0; k < f.keys().size(); k++) {
                    Curve c = Curve.of(f.keys().get(k), s.log());
                    if (c.isEmpty()) continue;
                    curves.add(c);
                    colours.add(SvgChart.PALETTE.get(k % SvgChart.PALETTE.size())); // by key, so a metric keeps its colour across stages
                }
                if (curves.isEmpty()) continue;
                drawn++;
                h.append("<figure class=\"chart\" id=\"").append(unique(ids, "chart-" + slug(s.name()) + "-" + slug(f.title())))
                        .append("\" data-stage=\"").append(Html.escape(s.name())).append("\" data-family=\"").append(Html.escape(f.title()))
                        .append("\">\n<figcaption>").append(Html.escape(f.title())).append("</figcaption>\n")
                        .append(SvgChart.svg(curves, colours, "step", f.axis())).append("\n</figure>\n");
            }
            h.append("</div>\n");
            if (drawn == 0) h.append("<p class=\"hint\">None of the logged metrics has a chart.</p>\n");
            Set<String> other = new LinkedHashSet<>();
            for (JsonNode record : s.log()) {
                for (var it = record.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    if (!key.equals("step") && !charted.contains(key)) other.add(key);
                }
            }
            if (!other.isEmpty()) {
                h.append("<p class=\"hint\">Also logged, not charted: ").append(Html.escape(String.join(", ", other))).append(".</p>\n");
            }
            h.append("</div>\n");
        }
        if (!unlogged.isEmpty()) {
            h.append("<p class=\"hint\">No training log: ").append(String.join("; ", unlogged)).append(".</p>\n");
        }
        h.append("</section>\n");
    }

    private static List<String> nonEmpty(String... parts) {
        List<String> out = new ArrayList<>();
        for (String p : parts) if (!p.isEmpty()) out.add(p);
        return out;
    }

    // ---- samples ---------------------------------------------------------------------------------

    private static void samples(StringBuilder h, List<StageReport> stages, List<SampleRow> samples) {
        h.append("<section id=\"samples\">\n<h2>Samples</h2>\n");
        if (samples.isEmpty()) {
            h.append("<p class=\"hint\">No samples were recorded.</p>\n</section>\n");
            return;
        }
        // Stage columns in the order the stages ran, then any completions under names the stage list lacks.
        Set<String> columns = new LinkedHashSet<>();
        Set<String> present = new LinkedHashSet<>();
        for (SampleRow r : samples) present.addAll(r.completionsByStage().keySet());
        for (StageReport s : stages) if (present.contains(s.name())) columns.add(s.name());
        columns.addAll(present);
        boolean marked = samples.stream().anyMatch(r -> !r.correctByStage().isEmpty());
        h.append("<p class=\"hint\">The same held-out prompts, answered by the model after each stage");
        h.append(marked ? "; \u2713 and \u2717 are the grader's verdicts.</p>\n" : ".</p>\n");
        h.append("<table class=\"samples\">\n<colgroup><col class=\"n\"/>");
        h.append("<col/>".repeat(2 + columns.size())).append("</colgroup>\n<thead><tr><th>#</th><th>prompt</th><th>gold</th>");
        for (String c : columns) h.append("<th data-stage=\"").append(Html.escape(c)).append("\">").append(Html.escape(c)).append("</th>");
        h.append("</tr></thead>\n<tbody>\n");
        int n = 0;
        for (SampleRow r : samples) {
            h.append("<tr><td>").append(++n).append("</td>");
            text(h.append("<td>"), r.prompt()).append("</td>");
            text(h.append("<td>"), r.gold()).append("</td>");
            for (String c : columns) {
                String completion = r.completionsByStage().get(c);
                Boolean correct = r.correctByStage().get(c);
                h.append("<td data-stage=\"").append(Html.escape(c)).append('"');
                if (correct != null) h.append(" class=\"").append(correct ? "correct" : "incorrect").append('"');
                h.append('>');
                if (correct != null) {
                    h.append("<span class=\"mark\" title=\"").append(correct ? "correct" : "incorrect").append("\">")
                            .append(correct ? "\u2713" : "\u2717").append("</span> ");
                }
                if (completion != null) text(h, completion);
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n</section>\n");
    }

    private static StringBuilder text(StringBuilder h, String s) {
        return h.append("<div class=\"text\">").append(Html.escape(s)).append("</div>");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** An id fragment: lower-case letters and digits, everything else a single dash. */
    static String slug(String s) {
        String slug = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return slug.isEmpty() ? "x" : slug;
    }

    private static String unique(Set<String> ids, String id) {
        String candidate = id;
        for (int i = 2; !ids.add(candidate); i++) candidate = id + "-" + i;
        return candidate;
    }

    /** Writes {@code html} to a temporary file beside {@code file}, then moves it over {@code file} in one step. */
    static void writeAtomically(Path file, String html) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: its files are owner-only (0600), and a report is made to be shared or served.
        Path temp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            Files.writeString(temp, html, StandardCharsets.UTF_8, CREATE_NEW, WRITE);
            Files.move(temp, target, ATOMIC_MOVE, REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IOException("cannot write the report to " + target + ": " + e.getMessage()
                    + " (check that the folder is writable and on a file system that supports atomic moves)", e);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static final String CSS = loadCss();

    private static String loadCss() {
        try (InputStream in = HtmlReport.class.getResourceAsStream("report.css")) {
            if (in == null) {
                throw new IllegalStateException("report.css is missing from dev/align4j/eval/report/ on the class path; rebuild the eval module");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read report.css: " + e.getMessage(), e);
        }
    }
}
