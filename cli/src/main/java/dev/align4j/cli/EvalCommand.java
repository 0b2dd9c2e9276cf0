package dev.align4j.cli;

import dev.align4j.eval.EvalContext;
import dev.align4j.eval.EvalProgress;
import dev.align4j.eval.Evaluator;
import dev.align4j.eval.Results;
import dev.align4j.eval.TaskConfig;
import dev.align4j.eval.TaskFiles;
import dev.align4j.eval.TaskResult;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.train.judges.JudgeTemplate;
import dev.align4j.train.judges.Judges;
import dev.align4j.train.judges.OpenAiChatBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code align4j eval --model DIR [--adapter DIR] --tasks …}: a model's scores on evaluation tasks
 * (see {@link TaskConfig} for the task types and their YAML keys, in lm-evaluation-harness's names),
 * printed as a table with each metric's 95% interval and written as JSON with {@code --output}
 * (rewritten after each task, so a failure later keeps what was computed), the per-row records
 * beside it with {@code --log-samples}.
 *
 * <p>Deterministic: greedy generation unless a task sets a temperature, few-shot draws and
 * bootstrap resamples from {@code --seed}, rows in file order — two runs print the same numbers.
 * Every task is checked before the first one runs. A judge endpoint that stays unreachable after
 * its retries stops its task (the results so far are kept and reported) and the command exits 1.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a model: perplexity, multiple choice, generative tasks, reward-model scores, win rates, LLM-as-judge.")
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "The model folder to evaluate.")
    Path model;

    @Option(names = "--adapter", description = "A PEFT LoRA adapter to apply to the model.")
    Path adapter;

    @Option(names = "--tasks", required = true, description = "Comma-separated task YAML files, or TYPE:DATA.jsonl with TYPE perplexity,"
            + " multiple_choice, generate, reward, win_rate or judge.")
    String tasks;

    @Option(names = "--output", description = "The results JSON file.")
    Path output;

    @Option(names = "--log-samples", description = "Write each task's per-row records to samples_TASK.jsonl beside --output.")
    boolean logSamples;

    @Option(names = "--limit", description = "Evaluate only the first N rows of every task.")
    Integer limit;

    @Option(names = "--seed", defaultValue = "1234", description = "Few-shot draws, sampling, bootstrap (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-tokens", defaultValue = "2048", description = "Tokens per forward pass of log-likelihood scoring (default: ${DEFAULT-VALUE}).")
    int batchTokens;

    @Option(names = "--max-num-seqs", defaultValue = "32", description = "Sequences generated together (default: ${DEFAULT-VALUE}).")
    int maxNumSeqs;

    @Option(names = "--baseline", description = "Model B of win_rate tasks.")
    Path baseline;

    @Option(names = "--baseline-adapter", description = "A LoRA adapter for the baseline.")
    Path baselineAdapter;

    @Option(names = "--reward-model", description = "A reward model folder (align4j reward's output) for reward_score and win_rate.")
    Path rewardModel;

    @Option(names = "--judge", description = "The LLM judge: a model folder, or the URL of an OpenAI-compatible server.")
    String judge;

    @Option(names = "--judge-model", description = "The model name sent to a judge server.")
    String judgeModel;

    @Option(names = "--judge-api-key", description = "The judge server's API key (default: $ALIGN4J_JUDGE_API_KEY, then $OPENAI_API_KEY).")
    String judgeApiKey;

    @Option(names = "--judge-pairwise-template", description = "The pairwise judge prompt: a file with {question}, {answer_a}, {answer_b}.")
    Path pairwiseTemplate;

    @Option(names = "--judge-single-template", description = "The grading prompt: a file with {question}, {answer}.")
    Path singleTemplate;

    @Option(names = "--judge-max-tokens", defaultValue = "512", description = "The longest judge answer (default: ${DEFAULT-VALUE}).")
    int judgeMaxTokens;

    @Option(names = "--judge-batch", defaultValue = "8", description = "Items sent to the judge at once (default: ${DEFAULT-VALUE}).")
    int judgeBatch;

    @Option(names = "--judge-retries", defaultValue = "3", description = "Retries of a failed judge request, with doubling back-off (default: ${DEFAULT-VALUE}).")
    int judgeRetries;

    @Option(names = "--judge-timeout", defaultValue = "120", description = "Seconds to wait for a judge answer (default: ${DEFAULT-VALUE}).")
    int judgeTimeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (logSamples && output == null) throw new IllegalArgumentException("--log-samples writes beside --output; give --output FILE.json");
        List<TaskConfig> configs = TaskFiles.parse(tasks);
        if (limit != null) {
            if (limit < 1) throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
            for (TaskConfig c : configs) c.limit = c.limit == null ? limit : Math.min(c.limit, limit);
        }
        EvalContext.JudgeSpec judgeSpec = judge == null ? null : new EvalContext.JudgeSpec(
                () -> Judges.backend(judge, apiKey(), judgeModel, judgeMaxTokens, Duration.ofSeconds(judgeTimeout), judgeRetries, OpenAiChatBackend.DEFAULT_BACKOFF),
                pairwiseTemplate == null ? JudgeTemplate.defaultPairwise() : JudgeTemplate.load(pairwiseTemplate, JudgeTemplate.Kind.PAIRWISE),
                singleTemplate == null ? JudgeTemplate.defaultSingle() : JudgeTemplate.load(singleTemplate, JudgeTemplate.Kind.SINGLE));
        List<TaskResult> results;
        try (TextModel m = TextModel.load(model, LoadOptions.defaults(), adapter);
             EvalContext ctx = new EvalContext(m, new EvalContext.Options(seed, batchTokens, maxNumSeqs, judgeBatch), EvalProgress.forConsole(),
                     baseline, baselineAdapter, rewardModel, judgeSpec)) {
            Path samples = logSamples ? output.toAbsolutePath().getParent() : null;
            results = Evaluator.run(configs, ctx, model.toString(), adapter == null ? null : adapter.toString(), output, samples,
                    r -> err.println("eval: " + r.task() + " done (" + r.n() + " rows)" + (r.error() != null ? ", stopped early: " + r.error() : "")));
        }
        out.print(Results.table(results));
        out.flush();
        if (output != null) err.println("eval: results → " + output);
        long failed = results.stream().filter(r -> r.error() != null).count();
        if (failed > 0) {
            err.println("align4j eval: error: " + failed + " task(s) stopped early; their results cover the rows done (see above)");
            return 1;
        }
        return 0;
    }

    private String apiKey() {
        if (judgeApiKey != null) return judgeApiKey;
        String key = System.getenv("ALIGN4J_JUDGE_API_KEY");
        return key != null ? key : System.getenv("OPENAI_API_KEY");
    }
}
