package dev.align4j.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.align4j.eval.report.ReportFixtures.all;
import static dev.align4j.eval.report.ReportFixtures.figure;
import static dev.align4j.eval.report.ReportFixtures.one;
import static dev.align4j.eval.report.ReportFixtures.polyline;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HtmlReportTest {

    @Test
    void hasEverySectionInOrder() {
        String html = ReportFixtures.render();
        int summary = html.indexOf("<section id=\"summary\">"), metrics = html.indexOf("<section id=\"metrics\">");
        int curves = html.indexOf("<section id=\"curves\">"), samples = html.indexOf("<section id=\"samples\">");
        assertTrue(summary > 0 && summary < metrics && metrics < curves && curves < samples, "summary, metrics, curves, samples in order");
        String head = one("(<section id=\"summary\">.*?</section>)", html);
        for (String fact : List.of("Qwen/Qwen3-0.6B", "gsm8k", "2025-06-01", "2 h 14 min")) assertTrue(head.contains(fact), fact);
        assertEquals(List.of("base", "sft", "grpo"), all("<li><strong>([^<]*)</strong>", head), "the stages in order");
        assertTrue(head.contains("accuracy: base <b>0.1200</b> \u2192 sft <b>0.4100</b> \u2192 grpo <b>0.5800</b>"), "the headline metric");
    }

    @Test
    void metricsTableHasARowPerStageBlanksWhereMissingAndTheBestMarked() {
        String table = one("(<section id=\"metrics\">.*?</section>)", ReportFixtures.render());
        assertEquals(List.of("accuracy", "format_rate", "kl_to_sft", "eval_loss"), all("<th class=\"num\" data-metric=\"([^\"]*)\"", table));
        assertEquals(List.of("base", "sft", "grpo"), all("<tr data-stage=\"([^\"]*)\"", table));
        assertEquals(List.of("0.1200", "0.3000", "", ""), cells(row(table, "base")));
        assertEquals(List.of("0.4100", "0.9500", "0", ""), cells(row(table, "sft")));
        assertEquals(List.of("0.5800", "0.9300", "0.0810", ""), cells(row(table, "grpo")));
        // Higher accuracy and format rate are best; KL is not ranked (SFT's 0 would "win" for learning nothing).
        assertEquals(List.of("0.5800"), all("<td class=\"num best\"[^>]*>([^<]*)</td>", row(table, "grpo")));
        assertEquals(List.of("0.9500"), all("<td class=\"num best\"[^>]*>([^<]*)</td>", row(table, "sft")));
        assertEquals(List.of(), all("<td class=\"num best\"[^>]*>([^<]*)</td>", row(table, "base")));
        assertTrue(table.contains("accuracy \u2191") && table.contains("eval_loss \u2193") && table.contains(">kl_to_sft</th>"), "directions in the header");
    }

    @Test
    void bestIsTheLowestForLossesAndTiesAreAllMarked() {
        List<StageReport> stages = List.of(
                new StageReport("a", "", "", List.of(), Map.of("eval_loss", 1.5, "accuracy", 0.5), "done"),
                new StageReport("b", "", "", List.of(), Map.of("eval_loss", 0.9, "accuracy", 0.5), "done"),
                new StageReport("c", "", "", List.of(), Map.of("eval_loss", 1.1), "skipped"));
        String table = one("(<section id=\"metrics\">.*?</section>)", HtmlReport.render("t", stages, List.of("eval_loss", "accuracy"), List.of(), Map.of()));
        assertEquals(List.of("0.5000"), all("<td class=\"num best\"[^>]*>([^<]*)</td>", row(table, "a")));
        assertEquals(List.of("0.9000", "0.5000"), all("<td class=\"num best\"[^>]*>([^<]*)</td>", row(table, "b")));
        assertEquals(List.of(), all("<td class=\"num best\"[^>]*>([^<]*)</td>", row(table, "c")));
        assertEquals(HtmlReport.Better.LOWER, HtmlReport.Better.of("eval_loss"));
        assertEquals(HtmlReport.Better.NEITHER, HtmlReport.Better.of("kl_to_sft"));
        assertEquals(HtmlReport.Better.HIGHER, HtmlReport.Better.of("reward_model_accuracy"));
    }

    @Test
    void chartsFollowTheFamiliesPresentInEachStage() {
        String html = ReportFixtures.render();
        assertEquals(List.of("chart-sft-loss", "chart-sft-accuracy", "chart-sft-gradient-norm", "chart-sft-learning-rate",
                        "chart-grpo-loss", "chart-grpo-reward", "chart-grpo-kl-to-the-reference", "chart-grpo-completion-length"),
                all("<figure class=\"chart\" id=\"([^\"]*)\"", html), "one chart per family present, none for the base model");
        assertTrue(html.contains("No training log: base (pretrained, done)."), "the base model is named as having no log");
        assertTrue(one("(<div class=\"stage-curves\" id=\"curves-sft\".*?</div>\n</div>)", html).contains("Also logged, not charted: epoch."));
        String loss = figure(html, "chart-grpo-loss");
        assertEquals(List.of("loss", "eval_loss"), all("<text x=\"[^\"]*\" y=\"[^\"]*\" dy=\"0.32em\" fill=\"#333\">([^<]*)</text>", loss), "legend");
        assertTrue(loss.contains(">step</text>") && loss.contains(">loss</text>"), "axis titles");
        assertTrue(polyline(loss, "loss").size() > 0 && !loss.contains("<polyline data-series=\"eval_loss\""), "one eval point is a dot");
        assertEquals(1, all("(<circle data-series=\"eval_loss\")", loss).size());
    }

    @Test
    void eachPolylineHasOnePointPerRecordWithTheKey() {
        String html = ReportFixtures.render();
        int checked = 0;
        for (StageReport s : ReportFixtures.stages()) {
            for (ChartFamily f : ChartFamily.ALL) {
                String id = "chart-" + s.name() + "-" + HtmlReport.slug(f.title());
                boolean drawn = html.contains("id=\"" + id + "\"");
                long any = f.keys().stream().mapToLong(k -> records(s.log(), k)).sum();
                assertEquals(any > 0, drawn, id);
                if (!drawn) continue;
                String svg = figure(html, id);
                for (String key : f.keys()) {
                    long n = records(s.log(), key);
                    if (n > 1) assertEquals(n, polyline(svg, key).size(), id + " " + key);
                    else assertFalse(svg.contains("<polyline data-series=\"" + key + "\""), id + " " + key + " has no line");
                    if (n == 1) assertEquals(1, all("(<circle data-series=\"" + Pattern.quote(key) + "\")", svg).size(), id + " " + key + " dot");
                    checked += n > 0 ? 1 : 0;
                }
            }
        }
        assertEquals(9, checked, "series checked"); // sft: loss, mean_token_accuracy, grad_norm, learning_rate; grpo: loss, eval_loss, reward, kl, length
    }

    @Test
    void pointsAreDrawnInDataOrderAtTheirSteps() {
        String svg = figure(ReportFixtures.render(), "chart-grpo-reward");
        List<double[]> p = polyline(svg, "reward"); // steps 1, 3, 5 of a 1..5 axis; rewards 0.20, 0.45, 0.61
        assertEquals(3, p.size());
        double w = SvgChart.PLOT_RIGHT - SvgChart.PLOT_LEFT, h = SvgChart.PLOT_BOTTOM - SvgChart.PLOT_TOP;
        assertEquals(SvgChart.PLOT_LEFT, p.get(0)[0], 0.05);
        assertEquals(SvgChart.PLOT_LEFT + w / 2, p.get(1)[0], 0.05);
        assertEquals(SvgChart.PLOT_RIGHT, p.get(2)[0], 0.05);
        assertEquals(SvgChart.PLOT_BOTTOM - h * (0.45 - 0.20) / (0.61 - 0.20), p.get(1)[1], 0.05);
    }

    @Test
    void isSelfContainedAndWellFormed() throws Exception {
        String html = ReportFixtures.render();
        assertFalse(html.contains("http://") || html.contains("https://"), "no URLs");
        assertFalse(Pattern.compile("(src|href)\\s*=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "nothing to fetch");
        assertFalse(html.toLowerCase().contains("<script") || html.toLowerCase().contains("<link") || html.contains("@import") || html.contains("url("),
                "no scripts, stylesheets or CSS fetches");
        for (String tag : List.of("svg", "table", "section", "figure", "tr", "td", "polyline")) {
            int open = all("(<" + tag + "[\\s>])", html).size(), close = all("(</" + tag + ">)", html).size();
            int selfClosed = all("(<" + tag + "\\s[^>]*/>)", html).size();
            assertEquals(open, close + selfClosed, tag + " opened " + open + ", closed " + close);
        }
        assertEquals(8, all("(<svg )", html).size());
        // The page is also well-formed XML (void elements self-closed, everything escaped), and so is each chart.
        ReportFixtures.parseXml(html);
        Matcher svg = Pattern.compile("<svg .*?</svg>", Pattern.DOTALL).matcher(html);
        while (svg.find()) assertEquals("svg", ReportFixtures.parseXml(svg.group()).getDocumentElement().getTagName());
        assertTrue(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>"));
        assertTrue(html.contains("<style>") && html.contains("ol.pipeline"), "the stylesheet is inlined");
    }

    @Test
    void escapesEverythingTheCallerGives() throws Exception {
        String evil = "<script>alert(1)</script> & \"x\"";
        String escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;";
        List<StageReport> stages = List.of(
                new StageReport("base", "pretrained", evil, List.of(), Map.of("acc<1>", 0.5), "done"),
                new StageReport("rl&<x>", "GRPO", evil, ReportFixtures.log("{\"step\": 1, \"loss\": 1}", "{\"step\": 2, \"loss\": 0.5, \"a<b>\": 1}"),
                        Map.of("acc<1>", 0.6), "done"));
        String html = HtmlReport.render(evil, stages, List.of("acc<1>"),
                List.of(new SampleRow(evil, evil, Map.of("base", evil, "rl&<x>", evil))), Map.of(evil, evil));
        assertFalse(html.contains("<script"), "no raw script tag");
        assertFalse(html.contains("\"x\""), "no raw quotes from the caller");
        assertTrue(html.contains("<title>" + escaped + "</title>") && html.contains("<h1>" + escaped + "</h1>"));
        assertEquals(4, html.split(Pattern.quote("<div class=\"text\">" + escaped + "</div>"), -1).length - 1, "prompt, gold, two completions");
        assertTrue(html.contains("acc&lt;1&gt;") && html.contains("rl&amp;&lt;x&gt;") && html.contains("a&lt;b&gt;"), "names escaped too");
        ReportFixtures.parseXml(html);
    }

    @Test
    void samplesHaveAColumnPerStageInStageOrderWithTheGradersMarks() {
        String samples = one("(<section id=\"samples\">.*?</section>)", ReportFixtures.render());
        assertEquals(List.of("base", "sft", "grpo"), all("<th data-stage=\"([^\"]*)\">", samples));
        List<String> rows = all("(<tr><td>\\d+</td>.*?</tr>)", samples);
        assertEquals(2, rows.size());
        assertEquals(List.of("incorrect", "correct", "correct"), all("<td data-stage=\"[^\"]*\" class=\"([^\"]*)\">", rows.get(0)));
        assertEquals(List.of(), all("<td data-stage=\"[^\"]*\" class=\"([^\"]*)\">", rows.get(1)), "unmarked when the grader said nothing");
        assertTrue(rows.get(0).contains("&lt;answer&gt;5&lt;/answer&gt;"));
        assertTrue(HtmlReport.render("t", List.of(), List.of(), List.of(), Map.of()).contains("No samples were recorded."));
    }

    @Test
    void writeReplacesTheReportAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run/report.html");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "an old report");
        HtmlReport.write(file, "new", ReportFixtures.stages(), ReportFixtures.COLUMNS, ReportFixtures.samples(), ReportFixtures.facts());
        String written = Files.readString(file, StandardCharsets.UTF_8);
        assertEquals(HtmlReport.render("new", ReportFixtures.stages(), ReportFixtures.COLUMNS, ReportFixtures.samples(), ReportFixtures.facts()), written);
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(List.of(file.getFileName()), files.map(Path::getFileName).toList(), "only report.html");
        }
        HtmlReport.write(dir.resolve("fresh/deeper/report.html"), "t", List.of(), List.of(), List.of(), Map.of());
        assertTrue(Files.isRegularFile(dir.resolve("fresh/deeper/report.html")), "creates its folder");
    }

    @Test
    void renderingIsDeterministic() {
        assertEquals(ReportFixtures.render(), ReportFixtures.render());
    }

    private static long records(List<JsonNode> log, String key) {
        return log.stream().filter(r -> r.has(key) && r.get(key).isNumber()).count();
    }

    private static String row(String table, String stage) {
        return one("(<tr data-stage=\"" + Pattern.quote(stage) + "\">.*?</tr>)", table);
    }

    private static List<String> cells(String row) {
        return all("<td class=\"num[^\"]*\"[^>]*>([^<]*)</td>", row);
    }
}
