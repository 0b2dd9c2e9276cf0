package dev.align4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;
import dev.align4j.models.CausalLM;
import dev.align4j.train.reward.RewardModelReward;
import dev.align4j.train.rewards.RewardFunction;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The held-out measurements a post-training recipe takes after each stage, on rows the stages never
 * trained on:
 * <ul>
 *   <li>{@code accuracy}: greedy completions of {@code question} rows (through the chat template when
 *       the model has one), the text after the last "Answer:" compared exactly with {@code answer};</li>
 *   <li>{@code format_rate}: the fraction of those completions in the taught format — a
 *       {@code <think>…</think>} block, then an "Answer:" line;</li>
 *   <li>{@code kl_to_sft}: KL(π ‖ π_SFT) estimated on completions sampled from the policy at
 *       temperature 1 — the mean over prompts of Σ_t log π(y_t) − log π_SFT(y_t), the k1 estimator
 *       whose expectation is the KL (Schulman, "Approximating KL divergence", 2020);</li>
 *   <li>{@code reward_model_accuracy}: the fraction of held-out pairs whose chosen completion the
 *       reward model scores higher.</li>
 * </ul>
 */
public final class HeldOut {
    private HeldOut() {}

    private static final Pattern FORMAT = Pattern.compile("(?s)\\s*<think>.*?</think>\\s*Answer:[ \\t]*\\S.*");

    /** Accuracy and format rate, and each row's completion (for the report's samples). */
    public record Accuracy(double accuracy, double formatRate, int n, List<ObjectNode> samples) {}

    /** Accuracy and format rate of {@code model} on the first {@code limit} rows of {@code rows}. */
    public static Accuracy accuracy(TextModel model, Path rows, int limit, int maxGenToks, long seed) {
        TaskConfig c = new TaskConfig();
        c.task = "held-out";
        c.outputType = "generate_until";
        c.datasetPath = rows.toString();
        c.limit = limit;
        c.applyChatTemplate = model.template().isPresent();
        c.docToText = c.applyChatTemplate ? "{{question}}" : "Question: {{question}}\nAnswer:";
        c.filter = "regex";
        c.regexPattern = "Answer:[ \\t]*([^\\n]+)";
        c.groupSelect = -1;
        c.generationKwargs = Map.of("max_gen_toks", maxGenToks);
        c.validate("held-out evaluation");
        EvalContext ctx = new EvalContext(model, new EvalContext.Options(seed, 2048, 32, 8), EvalProgress.NONE, null, null, null, null);
        TaskResult r = EvalTask.prepare(c, ctx).run(ctx);
        int formatted = 0;
        for (ObjectNode s : r.samples()) if (FORMAT.matcher(s.get("completion").asText()).matches()) formatted++;
        return new Accuracy(r.metric("exact_match").value(), (double) formatted / r.n(), r.n(), r.samples());
    }

    /**
     * KL(policy ‖ reference) in nats per completion, on {@code limit} completions of the rows'
     * questions sampled from the policy (seeded).
     */
    public static double klTo(TextModel policy, CausalLM reference, Path rows, int limit, int maxGenToks, long seed) {
        List<int[]> prompts = new ArrayList<>();
        for (JsonLines.Line row : Docs.read(rows.toString(), limit, "held-out rows")) {
            String q = row.json().path("question").asText();
            prompts.add(policy.template().isPresent() ? policy.encodeChat(List.of(Map.of("role", "user", "content", q)))
                    : policy.encode("Question: " + q + "\nAnswer:"));
        }
        Generator generator = new Generator(policy.model(), 32);
        List<Request> requests = new ArrayList<>();
        int maxNew = Math.min(maxGenToks, policy.model().contextLength() - 1);
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = TextModel.keepLast(prompts.get(i), policy.model().contextLength() - maxNew);
            prompts.set(i, ids);
            requests.add(new Request(ids, SamplingParams.sample(1, maxNew, 1.0, seed + i, policy.stopTokenIds())));
        }
        List<List<Completion>> done = generator.generate(requests);
        List<LogLikelihoods.Request> scored = new ArrayList<>();
        double policySum = 0;
        for (int i = 0; i < prompts.size(); i++) {
            Completion c = done.get(i).getFirst();
            for (float lp : c.rawLogprobs()) policySum += lp;
            scored.add(new LogLikelihoods.Request(prompts.get(i), List.of(c.tokenIds())));
        }
        double referenceSum = 0;
        for (double[] ll : LogLikelihoods.score(reference, scored, 2048, n -> {})) referenceSum += ll[0];
        return (policySum - referenceSum) / prompts.size();
    }

    /** The fraction of the first {@code limit} held-out pairs ({@code prompt}, {@code chosen}, {@code rejected}) the reward model orders right. */
    public static double rewardModelAccuracy(Path rewardModel, Path pairs, int limit) throws IOException {
        RewardModelReward rm = RewardModelReward.open(rewardModel);
        List<RewardFunction.Sample> chosen = new ArrayList<>(), rejected = new ArrayList<>();
        for (JsonLines.Line row : Docs.read(pairs.toString(), limit, "held-out pairs")) {
            chosen.add(sample(row, "chosen"));
            rejected.add(sample(row, "rejected"));
        }
        List<Double> a = rm.score(chosen), b = rm.score(rejected);
        int right = 0;
        for (int i = 0; i < a.size(); i++) if (a.get(i) > b.get(i)) right++;
        return (double) right / a.size();
    }

    private static RewardFunction.Sample sample(JsonLines.Line row, String column) {
        JsonNode prompt = row.json().get("prompt"), completion = row.json().get(column);
        if (prompt == null || completion == null) throw row.error(prompt == null ? "prompt" : column, "is missing: a held-out pair needs prompt, chosen and rejected");
        String promptText = prompt.isArray() ? prompt.get(prompt.size() - 1).path("content").asText() : prompt.asText();
        String text = completion.isArray() ? completion.get(completion.size() - 1).path("content").asText() : completion.asText();
        ObjectNode r = JsonLines.MAPPER.createObjectNode();
        r.set("prompt", prompt);
        return new RewardFunction.Sample(promptText, text, 1, false, r);
    }
}
