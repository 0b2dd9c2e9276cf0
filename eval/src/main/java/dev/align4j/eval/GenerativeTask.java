package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.io.JsonLines;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A generative task in the GSM8K style, lm-evaluation-harness's {@code generate_until}: each row's
 * prompt (few-shot examples first, through the chat template when asked) is completed by the model
 * — greedily unless {@code generation_kwargs.temperature} says otherwise, until a stop string of
 * {@code generation_kwargs.until} (default the few-shot delimiter), EOS or {@code max_gen_toks} —
 * its answer extracted by the {@link AnswerFilter} and compared with the row's
 * {@code doc_to_target}. Metrics: {@code exact_match} (or {@code numeric_match} with
 * {@code match: numeric}) and {@code answer_rate}, the fraction of completions the filter found an
 * answer in — a format check.
 */
final class GenerativeTask implements EvalTask {
    private final TaskConfig c;
    private final List<JsonLines.Line> docs;
    private final List<int[]> prompts = new ArrayList<>();
    private final List<String> golds = new ArrayList<>();
    private final AnswerFilter filter;
    private final Completions.Settings settings;

    GenerativeTask(TaskConfig c, EvalContext ctx) {
        this.c = c;
        this.filter = new AnswerFilter(c);
        this.docs = Docs.read(c.datasetPath, c.limit, "task " + c.task + ": dataset_path");
        this.settings = Completions.Settings.of(c, ctx.options());
        PromptBuilder builder = new PromptBuilder(c, docs, ctx.options().seed());
        for (int i = 0; i < docs.size(); i++) {
            JsonLines.Line doc = docs.get(i);
            String target = builder.target(doc);
            if (target.isBlank()) throw doc.error("answer", "renders an empty doc_to_target \"" + c.docToTarget + "\"");
            golds.add(filter.gold(target));
            prompts.add(builder.ids(ctx.model(), i, doc));
        }
    }

    @Override
    public TaskConfig config() {
        return c;
    }

    @Override
    public TaskResult run(EvalContext ctx) {
        TextCompletion[] outs;
        try (EvalProgress.Bar bar = ctx.progress().start(c.task, docs.size())) {
            outs = Completions.generate(ctx.model(), prompts, settings, bar::step);
        }
        double correct = 0, answered = 0;
        List<ObjectNode> samples = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            String text = outs[i].text();
            Optional<String> answer = filter.extract(text);
            boolean match = answer.isPresent() && filter.matches(answer.get(), golds.get(i));
            correct += match ? 1 : 0;
            answered += answer.isPresent() ? 1 : 0;
            ObjectNode s = JsonLines.MAPPER.createObjectNode();
            s.put("line", docs.get(i).number());
            s.put("completion", text);
            s.put("finish_reason", outs[i].finishReason());
            if (answer.isPresent()) s.put("answer", answer.get());
            else s.putNull("answer");
            s.put("gold", golds.get(i));
            s.put("match", match);
            samples.add(s);
        }
        String metric = c.match.equals("numeric") ? "numeric_match" : "exact_match";
        int n = docs.size();
        return new TaskResult(c.task, c.outputType, n, n, List.of(Metric.proportion(metric, correct, n), Metric.proportion("answer_rate", answered, n)),
                samples, null);
    }
}
