package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;
import dev.align4j.train.judges.Answered;
import dev.align4j.train.judges.Comparison;
import dev.align4j.train.judges.Grade;
import dev.align4j.train.judges.JudgeUnavailableException;
import dev.align4j.train.judges.LlmGrader;
import dev.align4j.train.judges.LlmPairwiseJudge;
import dev.align4j.train.judges.Verdict;
import dev.align4j.train.rewards.RewardFunction;

import java.util.ArrayList;
import java.util.List;

/**
 * Tasks on open-ended prompts, where there is no gold answer and a judge says how good a completion
 * is. The model completes each row's prompt ({@code prompt_column}, or {@code doc_to_text}; through
 * the chat template with {@code apply_chat_template}), then:
 * <ul>
 *   <li>{@code reward_score}: the reward model scores each completion after its prompt
 *       ({@code align4j score}'s tokenization); {@code mean_reward} with a bootstrap interval;</li>
 *   <li>{@code win_rate}: the baseline model completes the same prompts, and each pair is judged by
 *       the reward model (the higher score wins, equal scores tie) or by the LLM judge (both
 *       orders, {@link LlmPairwiseJudge}); {@code win_rate} is the model's mean of 1 for a win,
 *       ½ for a tie, 0 for a loss (AlpacaEval's convention for ties), with counts of wins, ties,
 *       losses, and for the LLM judge the pairs it could not judge ({@code unparsed}, left out of
 *       the rate) and those whose two orders disagreed ({@code position_inconsistent});</li>
 *   <li>{@code judge_score}: the LLM judge grades each answer 1–10 (MT-Bench's single-answer
 *       grading); {@code mean_score} over the grades it gave, and {@code unparsed}.</li>
 * </ul>
 * The judge is asked {@code judge_batch} items at a time. When its endpoint stays unreachable after
 * its retries, the task stops there: its metrics cover what was judged, and the error is reported.
 */
final class OpenEndedTask implements EvalTask {
    private final TaskConfig c;
    private final List<JsonLines.Line> docs;
    private final List<String> promptTexts = new ArrayList<>();
    private final List<int[]> prompts = new ArrayList<>(), baselinePrompts;
    private final boolean llmJudge;
    private final Completions.Settings settings;

    OpenEndedTask(TaskConfig c, EvalContext ctx) {
        this.c = c;
        boolean winRate = c.outputType.equals("win_rate");
        this.llmJudge = c.outputType.equals("judge_score") || winRate && (c.judge != null ? c.judge.equals("llm") : ctx.hasJudge());
        if (winRate && !ctx.hasBaseline()) throw new IllegalArgumentException("task " + c.task + ": win_rate needs a baseline model (--baseline DIR)");
        if (llmJudge && !ctx.hasJudge()) throw new IllegalArgumentException("task " + c.task + ": " + c.outputType + " with the LLM judge needs --judge");
        if (!llmJudge && !ctx.hasRewardModel()) {
            throw new IllegalArgumentException("task " + c.task + ": " + c.outputType + " needs a reward model (--reward-model DIR)"
                    + (winRate ? " or the LLM judge (--judge)" : ""));
        }
        this.docs = Docs.read(c.datasetPath, c.limit, "task " + c.task + ": dataset_path");
        this.settings = Completions.Settings.of(c, ctx.options());
        PromptBuilder builder = new PromptBuilder(c, docs, ctx.options().seed());
        for (int i = 0; i < docs.size(); i++) {
            JsonLines.Line doc = docs.get(i);
            if (c.docToText == null && !doc.json().path(c.promptColumn).isTextual()) {
                throw doc.error(c.promptColumn, doc.json().has(c.promptColumn) ? "must be a string" : "is missing: an open-ended task needs its prompt");
            }
            promptTexts.add(builder.text(doc));
            prompts.add(builder.ids(ctx.model(), i, doc));
        }
        if (winRate) {
            TextModel baseline = ctx.baseline();
            baselinePrompts = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) baselinePrompts.add(builder.ids(baseline, i, docs.get(i)));
        } else {
            baselinePrompts = null;
        }
    }

    @Override
    public TaskConfig config() {
        return c;
    }

    @Override
    public TaskResult run(EvalContext ctx) {
        int n = docs.size();
        List<ObjectNode> samples = new ArrayList<>();
        TextCompletion[] outs, baseline = null;
        try (EvalProgress.Bar bar = ctx.progress().start(c.task + " (generate)", baselinePrompts == null ? n : 2L * n)) {
            outs = Completions.generate(ctx.model(), prompts, settings, bar::step);
            if (baselinePrompts != null) baseline = Completions.generate(ctx.baseline(), baselinePrompts, settings, bar::step);
        }
        for (int i = 0; i < n; i++) {
            ObjectNode s = JsonLines.MAPPER.createObjectNode();
            s.put("line", docs.get(i).number());
            s.put("prompt", promptTexts.get(i));
            s.put("completion", outs[i].text());
            if (baseline != null) s.put("baseline_completion", baseline[i].text());
            samples.add(s);
        }
        return switch (c.outputType) {
            case "reward_score" -> rewardScore(ctx, outs, samples);
            case "win_rate" -> llmJudge ? llmWinRate(ctx, outs, baseline, samples) : rewardWinRate(ctx, outs, baseline, samples);
            default -> judgeScore(ctx, outs, samples);
        };
    }

    private double[] scores(EvalContext ctx, TextCompletion[] outs) {
        List<RewardFunction.Sample> batch = new ArrayList<>(outs.length);
        for (int i = 0; i < outs.length; i++) {
            ObjectNode row = JsonLines.MAPPER.createObjectNode().put("prompt", promptTexts.get(i));
            batch.add(new RewardFunction.Sample(promptTexts.get(i), outs[i].text(), outs[i].completion().tokenIds().length,
                    outs[i].finishReason().equals("length"), row));
        }
        List<Double> scores = ctx.rewardModel().score(batch);
        return scores.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private TaskResult rewardScore(EvalContext ctx, TextCompletion[] outs, List<ObjectNode> samples) {
        double[] scores = scores(ctx, outs);
        for (int i = 0; i < scores.length; i++) samples.get(i).put("score", scores[i]);
        Metric mean = Metric.mean("mean_reward", scores, ctx.options().seed());
        double var = 0;
        for (double s : scores) var += (s - mean.value()) * (s - mean.value());
        return new TaskResult(c.task, c.outputType, scores.length, scores.length,
                List.of(mean, Metric.count("std_reward", Math.sqrt(var / scores.length), scores.length)), samples, null);
    }

    private TaskResult rewardWinRate(EvalContext ctx, TextCompletion[] outs, TextCompletion[] baseline, List<ObjectNode> samples) {
        double[] a = scores(ctx, outs), b = scores(ctx, baseline);
        double[] wins = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            wins[i] = a[i] > b[i] ? 1 : a[i] < b[i] ? 0 : 0.5;
            samples.get(i).put("score", a[i]).put("baseline_score", b[i]).put("win", wins[i]);
        }
        return winRate(ctx, wins, a.length, List.of(), null, samples);
    }

    private TaskResult llmWinRate(EvalContext ctx, TextCompletion[] outs, TextCompletion[] baseline, List<ObjectNode> samples) {
        LlmPairwiseJudge judge = ctx.pairwiseJudge();
        List<Double> wins = new ArrayList<>();
        int unparsed = 0, inconsistent = 0, judged = 0;
        String error = null;
        try (EvalProgress.Bar bar = ctx.progress().start(c.task + " (judge)", outs.length)) {
            for (int from = 0; from < outs.length; from += ctx.options().judgeBatch()) {
                int to = Math.min(outs.length, from + ctx.options().judgeBatch());
                List<Comparison> batch = new ArrayList<>();
                for (int i = from; i < to; i++) batch.add(new Comparison(promptTexts.get(i), outs[i].text(), baseline[i].text()));
                List<LlmPairwiseJudge.Judgement> judgements;
                try {
                    judgements = judge.judgeDetailed(batch);
                } catch (JudgeUnavailableException e) {
                    error = "the judge failed after " + judged + " of " + outs.length + " pairs: " + e.getMessage();
                    break;
                }
                for (int k = 0; k < judgements.size(); k++) {
                    LlmPairwiseJudge.Judgement j = judgements.get(k);
                    ObjectNode s = samples.get(from + k);
                    s.put("verdict", j.verdict().name().toLowerCase()).put("judge_model_as_a", j.rawFirstAsA()).put("judge_model_as_b", j.rawSecondAsA());
                    if (j.verdict() == Verdict.UNPARSED) unparsed++;
                    else wins.add(j.verdict().firstScore());
                    if (j.positionInconsistent()) inconsistent++;
                }
                judged = to;
                bar.step(to - from);
            }
        }
        double[] w = wins.stream().mapToDouble(Double::doubleValue).toArray();
        return winRate(ctx, w, judged, List.of(Metric.count("unparsed", unparsed, judged), Metric.count("position_inconsistent", inconsistent, judged)),
                error, samples.subList(0, judged));
    }

    private TaskResult winRate(EvalContext ctx, double[] wins, int n, List<Metric> more, String error, List<ObjectNode> samples) {
        int w = 0, t = 0, l = 0;
        for (double x : wins) {
            if (x == 1) w++;
            else if (x == 0) l++;
            else t++;
        }
        List<Metric> metrics = new ArrayList<>(List.of(Metric.mean("win_rate", wins, ctx.options().seed()), Metric.count("wins", w, wins.length),
                Metric.count("ties", t, wins.length), Metric.count("losses", l, wins.length)));
        metrics.addAll(more);
        return new TaskResult(c.task, c.outputType, n, docs.size(), metrics, new ArrayList<>(samples), error);
    }

    private TaskResult judgeScore(EvalContext ctx, TextCompletion[] outs, List<ObjectNode> samples) {
        LlmGrader grader = ctx.grader();
        List<Double> scores = new ArrayList<>();
        int unparsed = 0, judged = 0;
        String error = null;
        try (EvalProgress.Bar bar = ctx.progress().start(c.task + " (judge)", outs.length)) {
            for (int from = 0; from < outs.length; from += ctx.options().judgeBatch()) {
                int to = Math.min(outs.length, from + ctx.options().judgeBatch());
                List<Answered> batch = new ArrayList<>();
                for (int i = from; i < to; i++) batch.add(new Answered(promptTexts.get(i), outs[i].text()));
                List<Grade> grades;
                try {
                    grades = grader.grade(batch);
                } catch (JudgeUnavailableException e) {
                    error = "the judge failed after " + judged + " of " + outs.length + " answers: " + e.getMessage();
                    break;
                }
                for (int k = 0; k < grades.size(); k++) {
                    Grade g = grades.get(k);
                    ObjectNode s = samples.get(from + k).put("judge", g.raw());
                    if (g.score().isPresent()) {
                        scores.add(g.score().getAsDouble());
                        s.put("score", g.score().getAsDouble());
                    } else {
                        unparsed++;
                        s.putNull("score");
                    }
                }
                judged = to;
                bar.step(to - from);
            }
        }
        double[] x = scores.stream().mapToDouble(Double::doubleValue).toArray();
        return new TaskResult(c.task, c.outputType, judged, docs.size(),
                List.of(Metric.mean("mean_score", x, ctx.options().seed()), Metric.count("unparsed", unparsed, judged)),
                new ArrayList<>(samples.subList(0, judged)), error);
    }
}
