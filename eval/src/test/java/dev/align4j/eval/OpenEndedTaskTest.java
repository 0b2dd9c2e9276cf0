package dev.align4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.train.judges.JudgeTemplate;
import dev.align4j.train.judges.OpenAiChatBackend;
import dev.align4j.train.reward.RewardModelReward;
import dev.align4j.train.rewards.RewardFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reward-model scores, win rates and LLM-as-judge on the real stories260K against a random tiny
 * baseline with its tokenizer. The judges are stub endpoints with known rules, so every judged
 * result is known from the completions: a fair judge preferring the longer answer (what the swap
 * must recover in both orders), a judge always answering [[A]] (position bias, which the swap turns
 * into ties), one that never gives a verdict (counted, not a crash), a grader, and no judge at all
 * (an unreachable endpoint: retried, reported, earlier results kept).
 */
class OpenEndedTaskTest {
    @TempDir
    static Path shared;
    static TextModel model;
    static Path baseline, prompts;

    @BeforeAll
    static void setUp() throws IOException {
        model = EvalTesting.stories();
        baseline = shared.resolve("baseline");
        HfModels.save(LlamaModel.random(LlamaConfig.tiny("llama", 512, 16, 2, 2, 1), 5, 0.2), baseline, SaveOptions.defaults());
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(Fixtures.path("models/stories260K").resolve(f), baseline.resolve(f));
        }
        prompts = EvalTesting.jsonl(shared, "prompts.jsonl", "{\"prompt\": \"Once upon a time\"}", "{\"prompt\": \"Lily and Tom\"}",
                "{\"prompt\": \"The little dog\"}", "{\"prompt\": \"One day, a bird\"}", "{\"prompt\": \"Mom said\"}");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static EvalContext context(UnaryOperator<String> judge, StubJudge[] stub, Path rewardModel) {
        EvalContext.JudgeSpec spec = judge == null ? null : new EvalContext.JudgeSpec(() -> {
            stub[0] = new StubJudge(judge);
            return new OpenAiChatBackend(stub[0].url(), null, "stub", 64, Duration.ofSeconds(10), 0, Duration.ZERO);
        }, JudgeTemplate.defaultPairwise(), JudgeTemplate.defaultSingle());
        return new EvalContext(model, EvalContext.Options.DEFAULT, EvalProgress.NONE, baseline, null, rewardModel, spec);
    }

    static TaskConfig winRate() {
        TaskConfig c = EvalTesting.task("win", "win_rate", prompts);
        c.generationKwargs = java.util.Map.of("max_gen_toks", 12);
        return c;
    }

    static TaskResult run(TaskConfig c, UnaryOperator<String> judge) {
        StubJudge[] stub = new StubJudge[1];
        try (EvalContext ctx = context(judge, stub, null)) {
            return EvalTask.prepare(c, ctx).run(ctx);
        } finally {
            if (stub[0] != null) stub[0].close();
        }
    }

    /** Prefers the longer answer whichever position it is in; equal lengths tie. */
    static String longer(String prompt) {
        int a = StubJudge.answerA(prompt).length(), b = StubJudge.answerB(prompt).length();
        return "Thinking it over. " + (a > b ? "[[A]]" : a < b ? "[[B]]" : "[[C]]");
    }

    @Test
    void aFairJudgeGivesTheKnownWinRateInBothOrders() {
        TaskResult r = run(winRate(), OpenEndedTaskTest::longer);
        double expected = 0;
        int wins = 0;
        for (ObjectNode s : r.samples()) {
            int a = s.get("completion").asText().length(), b = s.get("baseline_completion").asText().length();
            double w = a > b ? 1 : a < b ? 0 : 0.5;
            expected += w;
            wins += w == 1 ? 1 : 0;
            assertEquals(w == 1 ? "first" : w == 0 ? "second" : "tie", s.get("verdict").asText(), s.toString());
        }
        assertEquals(5, r.n());
        assertEquals(expected / 5, r.metric("win_rate").value(), 1e-12);
        assertEquals(wins, r.metric("wins").value());
        assertEquals(0, r.metric("position_inconsistent").value(), "a fair judge agrees with itself across orders");
        assertEquals(0, r.metric("unparsed").value());
        assertTrue(!r.samples().getFirst().get("completion").asText().equals(r.samples().getFirst().get("baseline_completion").asText()));
    }

    @Test
    void aPositionBiasedJudgeCancelsToTies() {
        TaskResult r = run(winRate(), prompt -> "A is first, so [[A]]");
        assertEquals(0.5, r.metric("win_rate").value(), 1e-12);
        assertEquals(5, r.metric("ties").value());
        assertEquals(5, r.metric("position_inconsistent").value());
    }

    @Test
    void unparsableJudgementsAreCountedNotFatal() {
        TaskResult r = run(winRate(), prompt -> "I cannot decide.");
        assertEquals(5, r.metric("unparsed").value());
        assertEquals(0, r.metric("win_rate").n());
        assertTrue(Double.isNaN(r.metric("win_rate").value()));
        assertNull(r.error());
    }

    @Test
    void singleAnswerGrading() {
        TaskConfig c = EvalTesting.task("graded", "judge_score", prompts);
        c.generationKwargs = java.util.Map.of("max_gen_toks", 12);
        // Rates by the answer's length; the answer to "Mom said" gets no rating.
        TaskResult r = run(c, prompt -> prompt.contains("Mom said") ? "no idea" : "Rating: [[" + (1 + StubJudge.between(prompt,
                "[Assistant's answer]\n", "\n[End of the assistant's answer]").length() % 10) + "]]");
        double sum = 0;
        for (ObjectNode s : r.samples()) {
            if (s.get("prompt").asText().equals("Mom said")) {
                assertTrue(s.get("score").isNull());
                continue;
            }
            double expected = 1 + s.get("completion").asText().length() % 10;
            assertEquals(expected, s.get("score").asDouble());
            sum += expected;
        }
        assertEquals(sum / 4, r.metric("mean_score").value(), 1e-12);
        assertEquals(4, r.metric("mean_score").n());
        assertEquals(1, r.metric("unparsed").value());
    }

    @Test
    void rewardScoresAndRewardWinRateMatchTheRewardModel(@TempDir Path dir) throws IOException {
        Path rm = dir.resolve("rm");
        ScoreModels.Loaded loaded = ScoreModels.load(Fixtures.path("models/stories260K"), LoadOptions.defaults(), null, 11);
        ScoreModels.save(loaded.model(), loaded.config(), rm, SaveOptions.defaults());
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(Fixtures.path("models/stories260K").resolve(f), rm.resolve(f));

        TaskConfig score = EvalTesting.task("rm", "reward_score", prompts);
        score.generationKwargs = java.util.Map.of("max_gen_toks", 12);
        TaskResult r, w;
        try (EvalContext ctx = context(null, null, rm)) {
            r = EvalTask.prepare(score, ctx).run(ctx);
            w = EvalTask.prepare(winRate(), ctx).run(ctx);
        }
        RewardModelReward reference = RewardModelReward.open(rm);
        double mean = 0, winRate = 0;
        for (int i = 0; i < 5; i++) {
            ObjectNode s = r.samples().get(i), ws = w.samples().get(i);
            double expected = score(reference, s.get("prompt").asText(), s.get("completion").asText());
            assertEquals(expected, s.get("score").asDouble(), 1e-5, "one at a time, unpacked");
            mean += expected / 5;
            double a = score(reference, ws.get("prompt").asText(), ws.get("completion").asText());
            double b = score(reference, ws.get("prompt").asText(), ws.get("baseline_completion").asText());
            winRate += (a > b ? 1 : a < b ? 0 : 0.5) / 5;
        }
        assertEquals(mean, r.metric("mean_reward").value(), 1e-5);
        assertEquals(winRate, w.metric("win_rate").value(), 1e-12);
    }

    private static double score(RewardModelReward rm, String prompt, String completion) {
        ObjectNode row = JsonLines.MAPPER.createObjectNode().put("prompt", prompt);
        return rm.score(List.of(new RewardFunction.Sample(prompt, completion, 1, false, row))).getFirst();
    }

    @Test
    void anUnreachableJudgeIsReportedAndEarlierResultsAreKept(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        URI nowhere = URI.create("http://127.0.0.1:" + port);
        EvalContext.JudgeSpec spec = new EvalContext.JudgeSpec(() -> new OpenAiChatBackend(nowhere, null, "stub", 64, Duration.ofSeconds(5), 2,
                Duration.ofMillis(20)), JudgeTemplate.defaultPairwise(), JudgeTemplate.defaultSingle());
        Path mc = EvalTesting.jsonl(dir, "mc.jsonl", "{\"question\": \"Once upon a\", \"choices\": [\"time\", \"spoon\"], \"answer\": 0}");
        Path results = dir.resolve("out/results.json");
        List<TaskResult> done = new ArrayList<>();
        try (EvalContext ctx = new EvalContext(model, EvalContext.Options.DEFAULT, EvalProgress.NONE, baseline, null, null, spec)) {
            Evaluator.run(List.of(EvalTesting.task("mc", "multiple_choice", mc), winRate()), ctx, "stories260K", null, results, dir.resolve("out"),
                    done::add);
        }
        assertEquals(2, done.size());
        TaskResult judged = done.get(1);
        assertNotNull(judged.error());
        assertTrue(judged.error().contains("the judge failed after 0 of 5 pairs") && judged.error().contains(nowhere.toString())
                && judged.error().contains("3 attempts"), judged.error());
        JsonNode json = JsonLines.MAPPER.readTree(results.toFile());
        assertEquals(1.0, json.at("/results/mc/metrics/0/value").asDouble(), "the task before the failure is kept");
        assertEquals(judged.error(), json.at("/results/win/error").asText());
        assertEquals(0, json.at("/results/win/n").asInt());
        assertEquals(5, json.at("/results/win/total").asInt());
        assertTrue(Files.isRegularFile(dir.resolve("out/samples_mc.jsonl")));
    }

    @Test
    void aTaskWithoutWhatItNeedsFailsBeforeAnyCompute() {
        try (EvalContext ctx = new EvalContext(model, EvalContext.Options.DEFAULT, EvalProgress.NONE, null, null, null, null)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvalTask.prepare(winRate(), ctx));
            assertTrue(e.getMessage().contains("win_rate needs a baseline model (--baseline DIR)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> EvalTask.prepare(EvalTesting.task("j", "judge_score", prompts), ctx));
            assertTrue(e.getMessage().contains("needs --judge"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> EvalTask.prepare(EvalTesting.task("r", "reward_score", prompts), ctx));
            assertTrue(e.getMessage().contains("needs a reward model (--reward-model DIR)"), e.getMessage());
        }
    }
}
