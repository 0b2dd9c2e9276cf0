package dev.align4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multiple choice by log-likelihood, as lm-evaluation-harness's {@code multiple_choice} output type:
 * each choice is scored as the continuation {@code target_delimiter + choice} of the prompt, and the
 * prediction is the choice of highest summed log-probability ({@code acc}), or of highest
 * log-probability per UTF-8 byte of the choice ({@code acc_norm}; lm-evaluation-harness divides by
 * the choice's length in characters, the same for ASCII text).
 *
 * <p>Columns: {@code choices} (a non-empty list of strings) and {@code answer}: the gold choice's
 * index (a number or a digit string) or letter (A for the first). A row that lacks them, an empty
 * list, or an answer out of range is an error naming the file, line and field.
 *
 * <p>Tokenization follows lm-evaluation-harness: the prompt's trailing whitespace moves to the front
 * of the continuation; the whole text {@code prompt + continuation} is encoded, and the continuation
 * is what follows the prompt's own encoding. Unlike it, the tokenizer's special tokens are added (a
 * Llama's BOS), as {@code align4j generate} encodes prompts; a prompt that encodes to nothing is
 * preceded by BOS or EOS. A prompt too long for the context keeps its last tokens.
 */
final class MultipleChoiceTask implements EvalTask {
    private final TaskConfig c;
    private final List<JsonLines.Line> docs;
    private final List<String> contexts = new ArrayList<>();
    private final List<List<String>> choices = new ArrayList<>();
    private final int[] gold;

    MultipleChoiceTask(TaskConfig c, EvalContext ctx) {
        this.c = c;
        this.docs = Docs.read(c.datasetPath, c.limit, "task " + c.task + ": dataset_path");
        this.gold = new int[docs.size()];
        PromptBuilder prompts = new PromptBuilder(c, docs, ctx.options().seed());
        for (int i = 0; i < docs.size(); i++) {
            JsonLines.Line doc = docs.get(i);
            List<String> options = choices(doc);
            choices.add(options);
            gold[i] = answer(doc, options.size());
            contexts.add(prompts.context(i, doc));
        }
    }

    @Override
    public TaskConfig config() {
        return c;
    }

    static List<String> choices(JsonLines.Line doc) {
        JsonNode node = doc.json().get("choices");
        if (node == null || node.isNull()) throw doc.error("choices", "is missing: a multiple-choice row needs a list of choices");
        if (!node.isArray()) throw doc.error("choices", "must be a list of strings, got " + node.getNodeType());
        if (node.isEmpty()) throw doc.error("choices", "is an empty list");
        List<String> out = new ArrayList<>();
        for (int k = 0; k < node.size(); k++) {
            if (!node.get(k).isTextual()) throw doc.error("choices", "item " + k + " is " + node.get(k) + ", not a string");
            out.add(node.get(k).asText());
        }
        return out;
    }

    static int answer(JsonLines.Line doc, int n) {
        JsonNode a = doc.json().get("answer");
        if (a == null || a.isNull()) throw doc.error("answer", "is missing: give the gold choice's index or letter");
        int index;
        if (a.isIntegralNumber()) index = a.asInt();
        else if (a.isTextual() && a.asText().strip().matches("\\d+")) index = Integer.parseInt(a.asText().strip());
        else if (a.isTextual() && a.asText().strip().matches("[A-Za-z]")) index = Character.toUpperCase(a.asText().strip().charAt(0)) - 'A';
        else throw doc.error("answer", "is " + a + "; give the gold choice's index (0 for the first) or letter (A for the first)");
        if (index < 0 || index >= n) {
            throw doc.error("answer", "is " + a + ", out of range for " + n + " choices (index 0.." + (n - 1) + ", letter A.." + (char) ('A' + n - 1) + ")");
        }
        return index;
    }

    @Override
    public TaskResult run(EvalContext ctx) {
        TextModel model = ctx.model();
        List<LogLikelihoods.Request> requests = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            List<String> continuations = choices.get(i).stream().map(s -> c.targetDelimiter + s).toList();
            requests.add(Encoding.request(model, contexts.get(i), continuations, "task " + c.task + ", " + docs.get(i).file() + ", line " + docs.get(i).number()));
        }
        List<double[]> lls;
        try (EvalProgress.Bar bar = ctx.progress().start(c.task, docs.size())) {
            lls = LogLikelihoods.score(model.model(), requests, ctx.options().batchTokens(), bar::step);
        }
        double[] acc = new double[docs.size()], accNorm = new double[docs.size()];
        List<ObjectNode> samples = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            double[] ll = lls.get(i), normed = new double[ll.length];
            for (int k = 0; k < ll.length; k++) normed[k] = ll[k] / Math.max(1, choices.get(i).get(k).getBytes(StandardCharsets.UTF_8).length);
            int pred = argmax(ll), predNorm = argmax(normed);
            acc[i] = pred == gold[i] ? 1 : 0;
            accNorm[i] = predNorm == gold[i] ? 1 : 0;
            ObjectNode s = JsonLines.MAPPER.createObjectNode();
            s.put("line", docs.get(i).number());
            s.put("gold", gold[i]);
            s.put("pred", pred);
            s.put("pred_norm", predNorm);
            Arrays.stream(ll).forEach(s.putArray("loglikelihoods")::add);
            s.put("acc", acc[i]);
            s.put("acc_norm", accNorm[i]);
            samples.add(s);
        }
        return new TaskResult(c.task, c.outputType, docs.size(), docs.size(),
                List.of(Metric.proportion("acc", sum(acc), docs.size()), Metric.proportion("acc_norm", sum(accNorm), docs.size())), samples, null);
    }

    /** The first index of the largest value (numpy's argmax). */
    static int argmax(double[] x) {
        int best = 0;
        for (int k = 1; k < x.length; k++) if (x[k] > x[best]) best = k;
        return best;
    }

    private static double sum(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s;
    }
}
