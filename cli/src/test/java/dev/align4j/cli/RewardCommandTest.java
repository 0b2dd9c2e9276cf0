package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.io.Fixtures;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.io.safetensors.SafetensorsFile;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.train.reward.RewardModelReward;
import dev.align4j.train.rewards.RewardFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j reward} and {@code align4j score} end to end on a tiny random Llama with the stories260K tokenizer
 * and a consistent preference set (the chosen completion is always a pleasant word, the rejected one an unpleasant
 * word, for assorted prompts): a held-out quarter reaches ≥ 0.9 accuracy, in training's evaluation and under
 * {@code score}; the logged loss is the Bradley–Terry formula of the logged metrics; the output is a
 * sequence-classification folder (or a SEQ_CLS adapter) that loads back; bad input is named.
 */
class RewardCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] GOOD = {"good", "great", "nice", "happy", "kind", "fun", "warm", "bright", "sweet", "calm"};
    private static final String[] BAD = {"bad", "sad", "mean", "cold", "dark", "ugly", "angry", "sick", "dull", "rude"};
    private static final String[] PROMPTS = {"Tom felt", "The day was", "Lily said it was", "The dog looked", "Mom was",
            "The cake was", "The sun was", "Ben thought it was"};

    static Path tinyModel(Path dir) throws IOException {
        Path folder = dir.resolve("model");
        HfModels.save(LlamaModel.random(LlamaConfig.tiny("llama", 512, 32, 2, 2, 1), 7, 0.2), folder, SaveOptions.defaults());
        Path tokenizer = Fixtures.path("models/stories260K");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(tokenizer.resolve(f), folder.resolve(f));
        return folder;
    }

    /** {@code n} pairs drawn with {@code seed}; with margins, each row's margin is {@code margin}. */
    static Path pairs(Path dir, String name, int n, long seed, Double margin) throws IOException {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"prompt\": \"" + PROMPTS[r.nextInt(PROMPTS.length)] + "\", \"chosen\": \" " + GOOD[r.nextInt(GOOD.length)]
                    + ".\", \"rejected\": \" " + BAD[r.nextInt(BAD.length)] + ".\"" + (margin == null ? "" : ", \"margin\": " + margin) + "}");
        }
        return Files.write(dir.resolve(name), lines);
    }

    static List<String> args(Path model, Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("reward", "--model_name_or_path", model.toString(), "--dataset_name", data.toString(),
                "--output_dir", out.toString(), "--learning_rate", "3e-3", "--per_device_train_batch_size", "8", "--logging_steps", "20",
                "--save_steps", "1000", "--disable_tqdm", "true", "--seed", "3"));
        a.addAll(List.of(more));
        return a;
    }

    static Object[] run(List<String> args) {
        return MainTest.run(args.toArray(String[]::new));
    }

    @Test
    void aHeldOutQuarterReachesNinetyPercentAccuracyAndScoreAgrees(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), data = pairs(dir, "pairs.jsonl", 160, 5, null), out = dir.resolve("out");
        Object[] r = run(args(model, data, out, "--test_size", "0.25", "--eval_strategy", "steps", "--eval_steps", "40", "--max_steps", "80"));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        JsonNode firstTrain = m.getFirst(), lastEval = m.getLast();
        for (String key : List.of("loss", "grad_norm", "accuracy", "margin", "mean_reward", "std_reward")) {
            assertTrue(firstTrain.has(key), key + " in " + firstTrain);
        }
        assertTrue(lastEval.has("eval_accuracy"), lastEval.toString());
        assertTrue(lastEval.get("eval_accuracy").asDouble() >= 0.9, "held-out accuracy: " + lastEval);
        assertTrue(lastEval.get("eval_margin").asDouble() > 0, lastEval.toString());

        JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("LlamaForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(2, config.get("pad_token_id").asInt(), "the tokenizer's EOS </s>, as TRL sets a pad token");
        assertEquals(1, config.get("id2label").size());
        assertFalse(ScoreModels.load(out, LoadOptions.defaults(), null, 0).newHead());

        Path fresh = pairs(dir, "fresh.jsonl", 40, 99, null), scored = dir.resolve("scored.jsonl");
        r = MainTest.run("score", "--reward-model", out.toString(), "--input", fresh.toString(), "--output", scored.toString());
        assertEquals(0, r[0], (String) r[2]);
        String summary = (String) r[2];
        double accuracy = Double.parseDouble(summary.replaceAll("(?s).*accuracy ([0-9.]+).*", "$1"));
        assertTrue(accuracy >= 0.9, summary);
        List<String> lines = Files.readAllLines(scored);
        assertEquals(40, lines.size());
        int correct = 0;
        for (String line : lines) {
            JsonNode j = JSON.readTree(line);
            correct += j.get("chosen_score").asDouble() > j.get("rejected_score").asDouble() ? 1 : 0;
            assertTrue(j.has("prompt"), "the input row is kept: " + j);
        }
        assertEquals(accuracy, correct / 40.0, 1e-4);
    }

    /** As a GRPO reward function the trained model scores a prompt and completion as {@code align4j score} does. */
    @Test
    void theRewardModelAsARewardFunctionScoresAsScoreDoes(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), data = pairs(dir, "pairs.jsonl", 16, 5, null), out = dir.resolve("out");
        assertEquals(0, run(args(model, data, out, "--max_steps", "4"))[0]);
        List<String> rows = new ArrayList<>();
        List<RewardFunction.Sample> samples = new ArrayList<>();
        for (String[] pc : new String[][] {{"Tom felt", " good."}, {"The day was", " sad."}, {"Mom was", " kind and warm."}}) {
            rows.add("{\"prompt\": \"" + pc[0] + "\", \"completion\": \"" + pc[1] + "\"}");
            samples.add(new RewardFunction.Sample(pc[0], pc[1], 2, false, (com.fasterxml.jackson.databind.node.ObjectNode)
                    JSON.readTree("{\"prompt\": \"" + pc[0] + "\"}")));
        }
        Path input = Files.write(dir.resolve("pc.jsonl"), rows), scored = dir.resolve("scored.jsonl");
        assertEquals(0, MainTest.run("score", "--reward-model", out.toString(), "--input", input.toString(), "--output", scored.toString())[0]);
        List<Double> viaFunction = RewardModelReward.open(out).score(samples);
        List<String> lines = Files.readAllLines(scored);
        for (int i = 0; i < 3; i++) assertEquals(JSON.readTree(lines.get(i)).get("score").asDouble(), viaFunction.get(i), 1e-5, rows.get(i));
        assertEquals("out", RewardModelReward.open(out).name(), "named after its folder, as TRL names a model's reward");
    }

    /** Bradley–Terry with a margin and centring (one pair a step): loss = softplus(−(margin − m)) + λ·(2·mean_reward)². */
    @Test
    void theLoggedLossIsTheFormulaOfTheLoggedScores(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), data = pairs(dir, "pairs.jsonl", 6, 5, 0.5), out = dir.resolve("out");
        Object[] r = run(args(model, data, out, "--max_steps", "4", "--per_device_train_batch_size", "1", "--logging_steps", "1",
                "--center_rewards_coefficient", "0.01"));
        assertEquals(0, r[0], (String) r[2]);
        for (JsonNode j : SftCommandTest.metrics(out)) {
            double margin = j.get("margin").asDouble(), sum = 2 * j.get("mean_reward").asDouble();
            assertEquals(Math.log1p(Math.exp(-(margin - 0.5))) + 0.01 * sum * sum, j.get("loss").asDouble(), 1e-5, j.toString());
            assertEquals(margin > 0 ? 1.0 : 0.0, j.get("accuracy").asDouble(), j.toString());
            assertEquals(Math.abs(margin) / 2, j.get("std_reward").asDouble(), 1e-4, "two scores' spread: " + j);
        }
    }

    @Test
    void withPeftTheOutputIsASequenceClassifiersAdapterThatScores(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), data = pairs(dir, "pairs.jsonl", 24, 5, null), out = dir.resolve("out");
        Object[] r = run(args(model, data, out, "--max_steps", "6", "--use_peft", "true", "--learning_rate", "1e-2"));
        assertEquals(0, r[0], (String) r[2]);
        JsonNode config = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertTrue(config.get("modules_to_save").toString().contains("\"score\""), config.toString());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(f.names().contains("base_model.model.score.weight"), f.names().toString());
            assertTrue(f.names().stream().anyMatch(n -> n.endsWith("q_proj.lora_A.weight")), f.names().toString());
        }
        r = MainTest.run("score", "--reward-model", out.toString(), "--input", data.toString());
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(24, ((String) r[1]).lines().count(), (String) r[1]);
    }

    @Test
    void badInputIsNamed(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir), data = pairs(dir, "pairs.jsonl", 4, 5, null);
        Object[] r = run(args(model, data, dir.resolve("a"), "--max_length", "3"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("within max_length 3"), (String) r[2]);
        r = run(args(model, data, dir.resolve("b"), "--max_prompt_length", "8"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("max_prompt_length") && ((String) r[2]).contains("never truncated"), (String) r[2]);
        r = MainTest.run("score", "--reward-model", model.toString(), "--input", data.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("not a reward model"), (String) r[2]);
    }
}
