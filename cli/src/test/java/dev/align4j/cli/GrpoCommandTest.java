package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.align4j.io.hf.HfModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j grpo} end to end on a verifiable toy task: adding two numbers from 0 to 4. A tiny random Llama with
 * the stories260K tokenizer gets 100 steps of SFT on "a+b=" → " Answer: c" (about 30% of its samples at temperature 1
 * are then right); GRPO with {@code accuracy_reward} (the "Answer:" line against the {@code solution} column),
 * 8 completions per prompt, 4 prompts a step, raises the accuracy. Measured on this machine, seeds 1 and 2, the mean
 * reward of steps 1–10 was 0.27 and 0.23, of steps 71–80 0.53 and 0.51 (entropy 0.76 → 0.46, 0.87 → 0.44).
 */
class GrpoCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path sft, prompts;

    @BeforeAll
    static void sftOnTheToyTask() throws IOException {
        Path model = RewardCommandTest.tinyModel(shared), data = shared.resolve("sft.jsonl");
        prompts = shared.resolve("prompts.jsonl");
        List<String> sftRows = new ArrayList<>(), promptRows = new ArrayList<>();
        for (int a = 0; a < 5; a++) {
            for (int b = 0; b < 5; b++) {
                sftRows.add("{\"prompt\": \"" + a + "+" + b + "=\", \"completion\": \" Answer: " + (a + b) + "\"}");
                promptRows.add("{\"prompt\": \"" + a + "+" + b + "=\", \"solution\": \"" + (a + b) + "\"}");
            }
        }
        Files.write(data, sftRows);
        Files.write(prompts, promptRows);
        sft = shared.resolve("sft");
        Object[] r = MainTest.run("sft", "--model_name_or_path", model.toString(), "--dataset_name", data.toString(), "--output_dir",
                sft.toString(), "--max_steps", "100", "--learning_rate", "3e-3", "--per_device_train_batch_size", "8", "--save_steps", "1000",
                "--disable_tqdm", "true", "--logging_steps", "100");
        assertEquals(0, r[0], (String) r[2]);
    }

    static List<String> args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("grpo", "--model_name_or_path", sft.toString(), "--dataset_name", prompts.toString(),
                "--output_dir", out.toString(), "--reward_funcs", "accuracy_reward", "--num_generations", "8",
                "--per_device_train_batch_size", "32", "--max_completion_length", "12", "--learning_rate", "1e-3", "--logging_steps", "1",
                "--save_steps", "1000", "--disable_tqdm", "true", "--seed", "1"));
        a.addAll(List.of(more));
        return a;
    }

    static double mean(List<JsonNode> m, String key) {
        return m.stream().mapToDouble(j -> j.get(key).asDouble()).average().orElseThrow();
    }

    @Test
    void grpoRaisesTheAccuracyRewardOnTheToyTask(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        Object[] r = MainTest.run(args(out, "--max_steps", "80").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        assertEquals(80, m.size());
        for (String key : List.of("loss", "grad_norm", "reward", "reward_std", "rewards/accuracy_reward/mean", "rewards/accuracy_reward/std",
                "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", "completions/mean_length",
                "completions/min_length", "completions/max_length", "completions/clipped_ratio", "frac_reward_zero_std", "num_tokens")) {
            assertTrue(m.getFirst().has(key), key + " in " + m.getFirst());
        }
        double first = mean(m.subList(0, 10), "reward"), last = mean(m.subList(70, 80), "reward");
        assertTrue(last > first + 0.12, "the accuracy reward rises: " + first + " → " + last);
        assertEquals(mean(m, "reward"), mean(m, "rewards/accuracy_reward/mean"), 1e-9, "one function of weight 1: its mean is the reward");

        List<String> logged = Files.readAllLines(out.resolve("completions.jsonl"));
        assertEquals(80 * 32, logged.size(), "logging_steps 1: every step's completions");
        JsonNode line = JSON.readTree(logged.getFirst());
        for (String key : List.of("step", "prompt", "completion", "accuracy_reward", "reward", "advantage")) assertTrue(line.has(key), key + " in " + line);
        assertFalse(HfModels.load(out).model().parameters().isEmpty(), "the output folder is the trained policy");
    }

    /**
     * RLOO on the same task and rounds: leave-one-out advantages, the KL to the reference in the reward (beta 0.05), the
     * clipped sequence-level loss. Measured, seeds 1 and 2: mean reward of steps 1–10 0.26 and 0.23, of steps 51–60 0.47 and
     * 0.42.
     */
    @Test
    void rlooRaisesTheAccuracyRewardToo(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("rloo");
        List<String> a = args(out, "--max_steps", "60");
        a.set(0, "rloo");
        Object[] r = MainTest.run(a.toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        for (String key : List.of("reward", "reward_std", "kl", "entropy", "clip_ratio/region_mean", "frac_reward_zero_std")) {
            assertTrue(m.getFirst().has(key), key + " in " + m.getFirst());
        }
        assertEquals(0, m.getFirst().get("kl").asDouble(), 1e-4, "the first round's policy is the reference");
        double first = mean(m.subList(0, 10), "reward"), last = mean(m.subList(50, 60), "reward");
        assertTrue(last > first + 0.1, "the accuracy reward rises: " + first + " → " + last);
    }

    /**
     * Online DPO on the same task: each prompt's two fresh completions ranked by the accuracy reward, then DPO's loss against the
     * reference. At the first step the policy is the reference, so the sigmoid loss is exactly ln 2 and the KL 0; the chosen
     * completion never has the lower reward; the missing-EOS penalty comes off the scores of completions without EOS.
     */
    @Test
    void onlineDpoRanksEachPairAndTrainsWithTheDpoLoss(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("online");
        List<String> a = onlineDpo(out, "6", "--missing_eos_penalty", "2.0");
        Object[] r = MainTest.run(a.toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        JsonNode first = m.getFirst();
        for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
                "objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward", "objective/scores",
                "objective/scores_margin", "val/contain_eos_token", "beta")) {
            assertTrue(first.has(key), key + " in " + first);
        }
        assertEquals(Math.log(2), first.get("loss").asDouble(), 1e-5, "policy = reference at the first step: " + first);
        assertEquals(0, first.get("objective/kl").asDouble(), 1e-4);
        for (JsonNode j : m) assertTrue(j.get("objective/scores_margin").asDouble() >= 0, "the chosen completion has the higher reward: " + j);
        assertTrue(m.getLast().get("objective/kl").asDouble() != 0, "the policy moves off the reference: " + m.getLast());

        double contain = first.get("val/contain_eos_token").asDouble();
        assertTrue(contain > 0 && contain < 1, "some completions end with EOS, some run out: " + first);
        assertEquals(0, MainTest.run(onlineDpo(dir.resolve("plain"), "1").toArray(String[]::new))[0]);
        JsonNode plain = SftCommandTest.metrics(dir.resolve("plain")).getFirst();
        assertEquals(plain.get("objective/scores").asDouble() - 2.0 * (1 - contain), first.get("objective/scores").asDouble(), 1e-9,
                "the same first round, scored with and without the penalty");
    }

    static List<String> onlineDpo(Path out, String steps, String... more) {
        List<String> a = new ArrayList<>(List.of("online-dpo", "--model_name_or_path", sft.toString(), "--dataset_name", prompts.toString(),
                "--output_dir", out.toString(), "--reward_funcs", "accuracy_reward", "--per_device_train_batch_size", "8", "--max_new_tokens",
                "9", "--learning_rate", "5e-4", "--max_steps", steps, "--logging_steps", "1", "--save_steps", "1000", "--disable_tqdm", "true"));
        a.addAll(List.of(more));
        return a;
    }

    /**
     * Online DPO ranked by an LLM judge (an OpenAI-compatible stub preferring the shorter answer, whichever position it is
     * shown in): each logged pair's judge rewards are 1 for the shorter completion and 0 for the longer (½ each for equal
     * lengths), so the judge's verdict, both orders combined, is what ranks the pair; the judge was asked both orders of each.
     */
    @Test
    void onlineDpoRanksWithAJudge(@TempDir Path dir) throws IOException {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            asked.incrementAndGet();
            JsonNode messages = JSON.readTree(exchange.getRequestBody()).get("messages");
            String user = messages.get(messages.size() - 1).get("content").asText();
            int a = between(user, "[Assistant A's answer]\n", "\n[End of Assistant A's answer]").length();
            int b = between(user, "[Assistant B's answer]\n", "\n[End of Assistant B's answer]").length();
            String verdict = a < b ? "[[A]]" : a > b ? "[[B]]" : "[[C]]";
            byte[] body = JSON.writeValueAsBytes(java.util.Map.of("choices", List.of(java.util.Map.of("message",
                    java.util.Map.of("role", "assistant", "content", "Shorter is better. " + verdict)))));
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Path out = dir.resolve("judged");
            Object[] r = MainTest.run(onlineDpo(out, "2", "--reward_funcs", "[]", "--judge", "http://127.0.0.1:" + server.getAddress().getPort(),
                    "--judge_model", "stub").toArray(String[]::new));
            assertEquals(0, r[0], (String) r[2]);
            assertEquals(2 * 2 * 8, asked.get(), "2 steps of 8 pairs, each judged in both orders");
            List<JsonNode> logged = new ArrayList<>();
            for (String line : Files.readAllLines(out.resolve("completions.jsonl"))) logged.add(JSON.readTree(line));
            assertEquals(32, logged.size(), "two rounds of 16 completions");
            for (int p = 0; p < logged.size(); p += 2) {
                int a = logged.get(p).get("completion").asText().length(), b = logged.get(p + 1).get("completion").asText().length();
                double expected = a < b ? 1 : a > b ? 0 : 0.5;
                assertEquals(expected, logged.get(p).get("judge").asDouble(), logged.get(p) + " vs " + logged.get(p + 1));
                assertEquals(1 - expected, logged.get(p + 1).get("judge").asDouble());
            }
            JsonNode first = SftCommandTest.metrics(out).getFirst();
            assertEquals(0.5, first.get("rewards/judge/mean").asDouble(), 1e-9, "one point per pair: " + first);
            assertEquals(Math.log(2), first.get("loss").asDouble(), 1e-5, "policy = reference at step 1");

            r = MainTest.run(onlineDpo(dir.resolve("both"), "1", "--judge", "http://127.0.0.1:1", "--judge_model", "stub").toArray(String[]::new));
            assertEquals(1, r[0]);
            assertTrue(((String) r[2]).contains("judge") && ((String) r[2]).contains("give one or the other"), (String) r[2]);
        } finally {
            server.stop(0);
        }
    }

    private static String between(String s, String open, String close) {
        int a = s.indexOf(open) + open.length();
        return s.substring(a, s.indexOf(close, a));
    }

    /** A run resumed from its step-2 checkpoint ends bit-identical: each generation round is a function of the seed and the round. */
    @Test
    void aResumedRunEndsBitIdentical(@TempDir Path dir) throws IOException {
        Path whole = dir.resolve("whole"), resumed = dir.resolve("resumed");
        assertEquals(0, MainTest.run(args(whole, "--max_steps", "4", "--save_steps", "2", "--per_device_train_batch_size", "16")
                .toArray(String[]::new))[0]);
        Files.createDirectories(resumed);
        try (var files = Files.walk(whole.resolve("checkpoint-2"))) {
            for (Path f : files.toList()) {
                Path target = resumed.resolve(whole.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(target);
                else Files.copy(f, target);
            }
        }
        Object[] r = MainTest.run(args(resumed, "--max_steps", "4", "--save_steps", "2", "--per_device_train_batch_size", "16",
                "--resume_from_checkpoint", "true").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(-1, Files.mismatch(whole.resolve("model.safetensors"), resumed.resolve("model.safetensors")));
        assertEquals(SftCommandTest.metrics(whole).getLast().get("reward"), SftCommandTest.metrics(resumed).getLast().get("reward"));
    }

    /**
     * The reference and the old policy end to end: with beta the k3 KL to the reference is 0 at the first step (the policy is
     * the reference) and grows; with num_iterations 2 each round is trained on twice, its second pass against the
     * log-probs taken at generation, so the ratio leaves 1 and the clip can bind.
     */
    @Test
    void betaAndNumIterationsUseTheReferenceAndTheOldPolicy(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("kl");
        Object[] r = MainTest.run(args(out, "--max_steps", "6", "--beta", "0.04", "--num_iterations", "2", "--loss_type", "grpo",
                "--importance_sampling_level", "sequence", "--learning_rate", "3e-3", "--epsilon", "0.05").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("reference: a frozen copy"), (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(out);
        assertEquals(6, m.size(), "3 rounds, each trained on twice");
        assertEquals(0, m.getFirst().get("kl").asDouble(), 1e-6, "the first step's policy is the reference: " + m.getFirst());
        assertTrue(m.getLast().get("kl").asDouble() > 0, m.getLast().toString());
        assertTrue(m.stream().anyMatch(j -> j.get("clip_ratio/region_mean").asDouble() > 0), "a second pass clips: " + m);
    }

    /** A reward server that fails is reported and counted, its completions get no reward, and the run goes on; with strict it stops. */
    @Test
    void aFailingRewardFunctionIsCountedUnlessStrict(@TempDir Path dir) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "down".getBytes();
            exchange.sendResponseHeaders(503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/score";
            Path out = dir.resolve("lenient");
            Object[] r = MainTest.run(args(out, "--max_steps", "2", "--reward_funcs", "[accuracy_reward, \"" + url + "\"]").toArray(String[]::new));
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[2]).contains(url) && ((String) r[2]).contains("503"), "the failure is reported: " + r[2]);
            JsonNode first = SftCommandTest.metrics(out).getFirst();
            assertEquals(32, first.get("rewards/errors").asDouble(), first.toString());
            assertEquals(first.get("rewards/accuracy_reward/mean").asDouble(), first.get("reward").asDouble(), 1e-9,
                    "the failed function adds nothing: " + first);

            r = MainTest.run(args(dir.resolve("strict"), "--max_steps", "2", "--reward_funcs", "[accuracy_reward, \"" + url + "\"]", "--strict", "true")
                    .toArray(String[]::new));
            assertEquals(1, r[0]);
            assertTrue(((String) r[2]).contains(url), (String) r[2]);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aGenerationBatchNotDivisibleByNumGenerationsIsRefusedNamingTheValuesToUse(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run(args(dir.resolve("a"), "--per_device_train_batch_size", "12").toArray(String[]::new));
        assertEquals(1, r[0]);
        String err = (String) r[2];
        assertTrue(err.contains("num_generations") && err.contains("per_device_train_batch_size 24"), err);
        r = MainTest.run(args(dir.resolve("b"), "--num_generations", "1").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("num_generations must be >= 2"), (String) r[2]);
    }
}
