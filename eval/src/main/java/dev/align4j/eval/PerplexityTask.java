package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Perplexity of a text dataset, lm-evaluation-harness's {@code loglikelihood_rolling} (its wikitext
 * task): each text's tokens (no special tokens) are scored in disjoint windows that fill the
 * model's context — the first window after the prefix token (BOS, else EOS), each next one after
 * the previous window's last token — so every token is predicted once. Metrics over all texts:
 * {@code word_perplexity} = exp(−Σ log p / Σ words) (words split at whitespace),
 * {@code byte_perplexity} = exp(−Σ log p / Σ UTF-8 bytes), {@code bits_per_byte} = −Σ log p /
 * (Σ bytes · ln 2), and {@code token_perplexity} = exp(−Σ log p / Σ tokens); each with a bootstrap
 * interval over the texts.
 */
final class PerplexityTask implements EvalTask {
    private final TaskConfig c;
    private final List<JsonLines.Line> docs;
    private final List<String> texts = new ArrayList<>();

    PerplexityTask(TaskConfig c, EvalContext ctx) {
        this.c = c;
        this.docs = Docs.read(c.datasetPath, c.limit, "task " + c.task + ": dataset_path");
        Template template = new Template("doc_to_text", c.promptTemplate());
        for (JsonLines.Line doc : docs) {
            if (c.docToText == null && !doc.json().path(c.textColumn).isTextual()) {
                throw doc.error(c.textColumn, doc.json().has(c.textColumn) ? "must be a string" : "is missing: a perplexity row needs its text");
            }
            String text = template.render(doc);
            if (text.isBlank()) throw doc.error(c.textColumn, "is empty");
            texts.add(text);
        }
    }

    @Override
    public TaskConfig config() {
        return c;
    }

    @Override
    public TaskResult run(EvalContext ctx) {
        TextModel model = ctx.model();
        int window = model.model().contextLength() - 1;
        int prefix = Encoding.prefixToken(model);
        List<LogLikelihoods.Request> requests = new ArrayList<>();
        int[] firstRequest = new int[docs.size() + 1];
        long[] tokens = new long[docs.size()];
        for (int i = 0; i < docs.size(); i++) {
            firstRequest[i] = requests.size();
            int[] ids = model.tokenizer().encode(texts.get(i), false);
            tokens[i] = ids.length;
            for (int s = 0; s < ids.length; s += window) {
                int e = Math.min(ids.length, s + window);
                requests.add(new LogLikelihoods.Request(new int[] {s == 0 ? prefix : ids[s - 1]}, List.of(Arrays.copyOfRange(ids, s, e))));
            }
        }
        firstRequest[docs.size()] = requests.size();
        List<double[]> lls;
        try (EvalProgress.Bar bar = ctx.progress().start(c.task, requests.size())) {
            lls = LogLikelihoods.score(model.model(), requests, ctx.options().batchTokens(), bar::step);
        }
        double[] nll = new double[docs.size()], words = new double[docs.size()], bytes = new double[docs.size()], toks = new double[docs.size()];
        List<ObjectNode> samples = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            for (int r = firstRequest[i]; r < firstRequest[i + 1]; r++) nll[i] -= lls.get(r)[0];
            words[i] = texts.get(i).strip().split("\\s+").length;
            bytes[i] = texts.get(i).getBytes(StandardCharsets.UTF_8).length;
            toks[i] = tokens[i];
            ObjectNode s = JsonLines.MAPPER.createObjectNode();
            s.put("line", docs.get(i).number());
            s.put("loglikelihood", -nll[i]);
            s.put("tokens", tokens[i]);
            s.put("words", (long) words[i]);
            s.put("bytes", (long) bytes[i]);
            samples.add(s);
        }
        long seed = ctx.options().seed();
        int n = docs.size();
        return new TaskResult(c.task, c.outputType, n, n, List.of(
                ratio("word_perplexity", nll, words, seed),
                ratio("byte_perplexity", nll, bytes, seed),
                new Metric("bits_per_byte", ratioOf(nll, bytes, null) / Math.log(2), n,
                        scaled(Interval.bootstrap(n, draw -> ratioOf(nll, bytes, draw), seed), 1 / Math.log(2))),
                ratio("token_perplexity", nll, toks, seed)), samples, null);
    }

    private static Metric ratio(String name, double[] nll, double[] units, long seed) {
        double value = Math.exp(ratioOf(nll, units, null));
        Interval i = Interval.bootstrap(nll.length, draw -> ratioOf(nll, units, draw), seed);
        return new Metric(name, value, nll.length, new Interval(Math.exp(i.low()), Math.exp(i.high()), i.method()));
    }

    private static Interval scaled(Interval i, double by) {
        return new Interval(i.low() * by, i.high() * by, i.method());
    }

    /** Σ nll / Σ units over the drawn items (all when {@code draw} is null). */
    private static double ratioOf(double[] nll, double[] units, int[] draw) {
        double a = 0, b = 0;
        if (draw == null) {
            for (int i = 0; i < nll.length; i++) {
                a += nll[i];
                b += units[i];
            }
        } else {
            for (int i : draw) {
                a += nll[i];
                b += units[i];
            }
        }
        return a / b;
    }
}
