package dev.align4j.eval.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A three-stage run (base → sft → grpo) with hand-written logs, and small readers for the rendered page. */
final class ReportFixtures {
    private ReportFixtures() {}

    static List<JsonNode> log(String... records) {
        List<JsonNode> log = new ArrayList<>();
        for (String r : records) {
            try {
                log.add(JsonLines.MAPPER.readTree(r));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(r, e);
            }
        }
        return log;
    }

    static final List<JsonNode> SFT_LOG = log(
            "{\"step\": 1, \"loss\": 2.5, \"mean_token_accuracy\": 0.41, \"grad_norm\": 3.1, \"learning_rate\": 1e-5}",
            "{\"step\": 2, \"loss\": 1.9, \"mean_token_accuracy\": 0.52}",
            "{\"step\": 3, \"loss\": 1.4, \"mean_token_accuracy\": 0.60, \"epoch\": 0.5}",
            "{\"step\": 4, \"loss\": 1.2, \"mean_token_accuracy\": 0.66}");

    /** Five records; reward lacks step 2, kl is null at step 3 and absent at 5, the length is logged twice, step 4 is an eval. */
    static final List<JsonNode> GRPO_LOG = log(
            "{\"step\": 1, \"loss\": 0.01, \"reward\": 0.20, \"kl\": 0.000, \"completions/mean_length\": 180}",
            "{\"step\": 2, \"loss\": 0.02, \"kl\": 0.004}",
            "{\"step\": 3, \"loss\": 0.03, \"reward\": 0.45, \"kl\": null, \"completions/mean_length\": 150}",
            "{\"step\": 4, \"eval_loss\": 0.5}",
            "{\"step\": 5, \"loss\": 0.02, \"reward\": 0.61}");

    static final List<String> COLUMNS = List.of("accuracy", "format_rate", "kl_to_sft", "eval_loss");

    static List<StageReport> stages() {
        return List.of(
                new StageReport("base", "pretrained", "", List.of(), held(0.12, 0.30, null), "done"),
                new StageReport("sft", "SFT", "2 epochs on 7,473 worked solutions", SFT_LOG, held(0.41, 0.95, 0.0), "done"),
                new StageReport("grpo", "GRPO", "8 generations per prompt, beta 0.04", GRPO_LOG, held(0.58, 0.93, 0.081), "done"));
    }

    private static Map<String, Double> held(double accuracy, double formatRate, Double kl) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy);
        m.put("format_rate", formatRate);
        if (kl != null) m.put("kl_to_sft", kl);
        return m;
    }

    static List<SampleRow> samples() {
        return List.of(new SampleRow("What is 2 + 3?", "5",
                        Map.of("base", "2 + 3 is 23", "sft", "2 + 3 = 5. The answer is 5.", "grpo", "<answer>5</answer>"),
                        Map.of("base", false, "sft", true, "grpo", true)),
                new SampleRow("Tom has 4 apples and eats 1. How many are left?", "3",
                        Map.of("base", "Tom", "sft", "4 - 1 = 3", "grpo", "<answer>3</answer>")));
    }

    static Map<String, String> facts() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("model", "Qwen/Qwen3-0.6B");
        f.put("task", "gsm8k");
        f.put("date", "2025-06-01");
        f.put("total time", "2 h 14 min");
        return f;
    }

    static String render() {
        return HtmlReport.render("Qwen3-0.6B on GSM8K", stages(), COLUMNS, samples(), facts());
    }

    /** Every match of group 1 of {@code regex} in {@code text}. */
    static List<String> all(String regex, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(text);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** The one match of group 1, failing when there is none or several. */
    static String one(String regex, String text) {
        List<String> found = all(regex, text);
        if (found.size() != 1) throw new AssertionError(found.size() + " matches of " + regex);
        return found.getFirst();
    }

    /** The {@code <figure>} with this id. */
    static String figure(String html, String id) {
        return one("(<figure class=\"chart\" id=\"" + Pattern.quote(id) + "\".*?</figure>)", html);
    }

    /** The points of the polyline of {@code series} in {@code svg}, as {x, y} pairs. */
    static List<double[]> polyline(String svg, String series) {
        String points = one("<polyline data-series=\"" + Pattern.quote(series) + "\"[^>]*? points=\"([^\"]*)\"", svg);
        List<double[]> out = new ArrayList<>();
        for (String p : points.trim().split(" ")) {
            String[] xy = p.split(",");
            out.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
        }
        return out;
    }

    /** Parses {@code xml} strictly (no DTD fetching); throws on anything not well-formed. */
    static Document parseXml(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }
}
