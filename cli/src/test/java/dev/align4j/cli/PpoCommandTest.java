package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j ppo} end to end: RewardCommandTest's reward model (trained once here from the tiny random Llama on
 * the pleasant-word pairs, held-out accuracy ≥ 0.9) scores the tiny policy's 4-token responses to 32 prompts; 40 PPO
 * updates of 32 responses raise the mean score while the KL to the reference stays bounded, with TRL's metric names.
 * Measured on this machine over seeds 1–6 (learning_rate 3e-3): the mean score of the first 10 updates −0.13 to 0.30,
 * of the last 10 0.54 to 1.39 (rises of +0.60 to +1.46); objective/kl at most 12.2–15.6 nats per response with
 * kl_coef 0.2, and 18.2–21.9 with kl_coef 0.05.
 */
class PpoCommandTest {
    @TempDir
    static Path shared;
    static Path model, reward, prompts;

    @BeforeAll
    static void trainTheRewardModel() throws IOException {
        model = RewardCommandTest.tinyModel(shared);
        reward = shared.resolve("reward");
        Object[] r = RewardCommandTest.run(RewardCommandTest.args(model, RewardCommandTest.pairs(shared, "pairs.jsonl", 160, 5, null), reward,
                "--max_steps", "80"));
        assertEquals(0, r[0], (String) r[2]);
        prompts = shared.resolve("prompts.jsonl");
        List<String> lines = new ArrayList<>();
        for (String name : List.of("Tom", "Lily", "Ben", "Mom", "Sue", "Max", "Tim", "Ann")) {
            for (String verb : List.of("felt", "said it was", "thought it was", "looked")) lines.add("{\"prompt\": \"" + name + " " + verb + "\"}");
        }
        Files.write(prompts, lines);
    }

    static List<String> args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("ppo", "--sft_model_path", model.toString(), "--reward_model_path", reward.toString(),
                "--dataset_name", prompts.toString(), "--output_dir", out.toString(), "--per_device_train_batch_size", "8",
                "--gradient_accumulation_steps", "4", "--num_mini_batches", "4", "--response_length", "4", "--learning_rate", "3e-3",
                "--kl_coef", "0.2", "--disable_tqdm", "true", "--seed", "1"));
        a.addAll(List.of(more));
        return a;
    }

    static double mean(List<JsonNode> m, String key) {
        return m.stream().mapToDouble(j -> j.get(key).asDouble()).average().orElseThrow();
    }

    @Test
    void ppoRaisesTheRewardModelsScoreWhileTheKlStaysBounded(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Object[] r = RewardCommandTest.run(args(out, "--max_steps", "40"));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        assertEquals(40, m.size());
        for (String key : List.of("eps", "objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
                "objective/scores", "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg", "val/clipfrac_avg",
                "policy/entropy_avg", "val/ratio", "val/ratio_var", "val/num_eos_tokens", "lr", "episode")) {
            assertTrue(m.getFirst().has(key), key + " in " + m.getFirst());
        }
        assertEquals(0, m.getFirst().get("objective/kl").asDouble(), 1e-3,
                "the first rollout's policy is the reference: the engine's log-probs equal the reference's on the same rows");
        double first = mean(m.subList(0, 10), "objective/scores"), last = mean(m.subList(30, 40), "objective/scores");
        assertTrue(last > first + 0.3, "the mean score rises: " + first + " → " + last);
        double maxKl = m.stream().mapToDouble(j -> j.get("objective/kl").asDouble()).max().orElseThrow();
        assertTrue(maxKl < 25, "the KL to the reference stays bounded: " + maxKl);
        JsonNode end = m.getLast();
        assertEquals(-0.2 * end.get("objective/kl").asDouble(), end.get("objective/non_score_reward").asDouble(), 1e-6, end.toString());
        assertEquals(end.get("objective/non_score_reward").asDouble() + end.get("objective/scores").asDouble(),
                end.get("objective/rlhf_reward").asDouble(), 1e-6, end.toString());

        Path loose = dir.resolve("loose");
        r = RewardCommandTest.run(args(loose, "--max_steps", "40", "--kl_coef", "0.02"));
        assertEquals(0, r[0], (String) r[2]);
        double looseKl = mean(SftCommandTest.metrics(loose).subList(30, 40), "objective/kl"), tightKl = mean(m.subList(30, 40), "objective/kl");
        assertTrue(tightKl < looseKl, "a larger kl_coef keeps the policy nearer the reference: " + tightKl + " at 0.2, " + looseKl + " at 0.02");
        assertFalse(HfModels.load(out).model().parameters().isEmpty(), "the output folder is the trained policy");
    }

    @Test
    void withPeftTheReferenceIsTheBaseWithTheAdaptersOff(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("lora");
        Object[] r = RewardCommandTest.run(args(out, "--max_steps", "3", "--use_peft", "true", "--learning_rate", "1e-2"));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        assertEquals(0, m.getFirst().get("objective/kl").asDouble(), 1e-3, "fresh adapters (B = 0): policy = base = reference");
        assertTrue(m.getLast().get("objective/kl").asDouble() > 0.01, "trained adapters move the policy off the base: " + m.getLast());
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
    }

    /** The missing-EOS penalty comes off the score of each response without EOS; a judge scoring with the reward model itself sees the scores without it. */
    @Test
    void missingEosPenaltyAndAJudgeAreLogged(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("eos");
        Object[] r = RewardCommandTest.run(args(out, "--max_steps", "1", "--stop_token", "eos", "--response_length", "12",
                "--missing_eos_penalty", "1.5", "--judge_model_path", reward.toString()));
        assertEquals(0, r[0], (String) r[2]);
        JsonNode j = SftCommandTest.metrics(out).getFirst();
        double withoutEos = (32 - j.get("val/num_eos_tokens").asDouble()) / 32;
        assertTrue(withoutEos > 0 && withoutEos < 1, "some responses stop at EOS, some do not: " + j);
        assertEquals(j.get("objective/judge_scores").asDouble() - 1.5 * withoutEos, j.get("objective/scores").asDouble(), 1e-5, j.toString());
    }

    /** A run resumed from its update-2 checkpoint (policy, value model, optimizer) ends bit-identical to one that never stopped. */
    @Test
    void aResumedRunEndsBitIdentical(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole"), resumed = dir.resolve("resumed");
        Object[] r = RewardCommandTest.run(args(whole, "--max_steps", "4", "--save_steps", "2", "--per_device_train_batch_size", "4",
                "--num_mini_batches", "2"));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(Files.isRegularFile(whole.resolve("checkpoint-2/value_model/model.safetensors")), "the value model is checkpointed");
        copyTree(whole.resolve("checkpoint-2"), resumed.resolve("checkpoint-2"));
        r = RewardCommandTest.run(args(resumed, "--max_steps", "4", "--save_steps", "2", "--per_device_train_batch_size", "4",
                "--num_mini_batches", "2", "--resume_from_checkpoint", "true"));
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(-1, Files.mismatch(whole.resolve("model.safetensors"), resumed.resolve("model.safetensors")), "the final policies");
        assertEquals(-1, Files.mismatch(whole.resolve("checkpoint-4/value_model/model.safetensors"),
                resumed.resolve("checkpoint-4/value_model/model.safetensors")), "the final value models");
        List<JsonNode> a = SftCommandTest.metrics(whole), b = SftCommandTest.metrics(resumed);
        assertEquals(4, b.size());
        for (int i = 0; i < 4; i++) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) a.get(i)).remove("eps");
            ((com.fasterxml.jackson.databind.node.ObjectNode) b.get(i)).remove("eps");
            assertEquals(a.get(i), b.get(i), "update " + (i + 1));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(target);
                else Files.copy(f, target);
            }
        }
    }

    @Test
    void badInputIsRefusedBeforeAnyCompute(@TempDir Path dir) throws IOException {
        Object[] r = RewardCommandTest.run(args(dir.resolve("a"), "--per_device_train_batch_size", "64", "--num_mini_batches", "1"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("32 prompts, fewer than one batch of 256"), (String) r[2]);
        r = RewardCommandTest.run(args(dir.resolve("b"), "--response_length", "600"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("response_length 600") && ((String) r[2]).contains("context of 512"), (String) r[2]);

        Path other = dir.resolve("other");
        HfModels.save(LlamaModel.random(LlamaConfig.tiny("llama", 512, 32, 2, 2, 1), 7, 0.2), other, SaveOptions.defaults());
        Files.copy(reward.resolve("config.json"), other.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(reward.resolve("model.safetensors"), other.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(other.resolve("tokenizer.json"), Files.readString(reward.resolve("tokenizer.json")).replace("\"</s>\"", "\"</S>\""));
        Files.copy(reward.resolve("tokenizer_config.json"), other.resolve("tokenizer_config.json"));
        List<String> a = args(dir.resolve("c"));
        a.set(a.indexOf("--reward_model_path") + 1, other.toString());
        r = RewardCommandTest.run(a);
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("must share the policy's tokenizer"), (String) r[2]);
    }
}
