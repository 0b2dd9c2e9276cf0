package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j kto} end to end on DpoCommandTest's tiny model: at the first step (policy =
 * reference, so every log-ratio and the KL estimate are 0) each completion's loss is
 * {@code 1 − σ(0) = 0.5}; the loss falls; unpaired rows and preference rows (split in two) both
 * train; bad values are named.
 */
class KtoCommandTest {

    /** Unpaired rows: each animal's sound desirable, another's undesirable. */
    static Path unpaired(Path dir) throws IOException {
        Path file = dir.resolve("unpaired.jsonl");
        String[][] rows = {{"The cat said", " meow.", "true"}, {"The dog said", " moo.", "false"}, {"The cow said", " moo.", "true"},
                {"The duck said", " baa.", "false"}, {"The sheep said", " baa.", "true"}, {"The owl said", " buzz.", "false"},
                {"The bee said", " buzz.", "true"}, {"The frog said", " meow.", "false"}};
        List<String> lines = new ArrayList<>();
        for (String[] r : rows) lines.add("{\"prompt\": \"" + r[0] + "\", \"completion\": \"" + r[1] + "\", \"label\": " + r[2] + "}");
        Files.write(file, lines);
        return file;
    }

    static List<String> args(Path dir, String out, Path data, String... more) throws IOException {
        List<String> a = new ArrayList<>(DpoCommandTest.args(dir, DpoCommandTest.tinyModel(dir, "model-" + out, 7), out, more));
        a.set(0, "kto");
        a.set(a.indexOf("--dataset_name") + 1, data.toString());
        return a;
    }

    static List<JsonNode> train(Path dir, String out, Path data, String... more) throws IOException {
        Object[] r = MainTest.run(args(dir, out, data, more).toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        return SftCommandTest.metrics(dir.resolve(out));
    }

    @Test
    void unpairedRowsStartAtOneHalfAndLearn(@TempDir Path dir) throws IOException {
        List<JsonNode> m = train(dir, "out", unpaired(dir), "--max_steps", "12", "--per_device_train_batch_size", "4", "--beta", "0.5");
        JsonNode first = m.getFirst();
        for (String key : List.of("loss", "grad_norm", "kl", "rewards/chosen_sum", "rewards/rejected_sum", "logps/chosen_sum",
                "logps/rejected_sum", "count/chosen", "count/rejected")) {
            assertTrue(first.has(key), key + " in " + first);
        }
        assertEquals(0.5, first.get("loss").asDouble(), 1e-6, "1 − σ(0) per completion: " + first);
        assertEquals(0.0, first.get("kl").asDouble(), 1e-6);
        assertEquals(0.0, first.get("rewards/chosen_sum").asDouble(), 1e-6);
        for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/margins")) {
            assertEquals(0.0, first.get(key).asDouble(), 1e-6, key + ": policy = reference at the first step");
        }
        for (String key : List.of("logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected")) {
            assertTrue(first.has(key), key + " in " + first);
        }
        int k = m.size() / 3;
        double early = m.subList(0, k).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        double late = m.subList(m.size() - k, m.size()).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        assertTrue(late < early, "the loss falls: " + early + " → " + late);
    }

    /** With LoRA (its dropout wraps the objective) the records still carry the per-label means. */
    @Test
    void loraRunsLogThePerLabelMeansToo(@TempDir Path dir) throws IOException {
        List<JsonNode> m = train(dir, "lora", unpaired(dir), "--max_steps", "2", "--per_device_train_batch_size", "4",
                "--use_peft", "true", "--lora_r", "4");
        for (JsonNode record : m) {
            for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logits/chosen")) {
                assertTrue(record.has(key), key + " in " + record);
            }
            assertMeansAreRatios(record, "");
        }
    }

    /**
     * TRL 1.x's per-label means are the window's label sums over the label's count, in training and
     * evaluation records. The same run logged every step (A) and every second step (B) takes the same
     * steps, so each B record's mean must be the ratio of the summed sums and counts of A's two steps —
     * steps of four completions (two micro-batches of two) whose label counts differ, where a mean of
     * the steps' means, or sums over all items, would give other numbers.
     */
    @Test
    void perLabelMeansDivideTheWindowsSumsByTheLabelsCount(@TempDir Path dir) throws IOException {
        Path data = unpaired(dir);
        Files.write(data, List.of("{\"prompt\": \"The hen said\", \"completion\": \" cluck.\", \"label\": true}",
                "{\"prompt\": \"The pig said\", \"completion\": \" meow.\", \"label\": false}",
                "{\"prompt\": \"The pig said\", \"completion\": \" oink.\", \"label\": true}",
                "{\"prompt\": \"The hen said\", \"completion\": \" moo.\", \"label\": false}"), StandardOpenOption.APPEND);
        String[] common = {"--max_steps", "4", "--per_device_train_batch_size", "2", "--gradient_accumulation_steps", "2", "--beta", "0.5",
                "--test_size", "4", "--eval_strategy", "steps", "--eval_steps", "2"};
        List<JsonNode> a = train(dir, "a", data, concat(common, "--logging_steps", "1"));
        List<JsonNode> b = train(dir, "b", data, concat(common, "--logging_steps", "2"));
        List<JsonNode> aTrain = a.stream().filter(j -> j.has("loss")).toList(), bTrain = b.stream().filter(j -> j.has("loss")).toList();
        assertEquals(4, aTrain.size());
        assertEquals(2, bTrain.size());
        List<JsonNode> evals = b.stream().filter(j -> j.has("eval_loss")).toList();
        assertEquals(2, evals.size());
        for (JsonNode record : a) assertMeansAreRatios(record, record.has("eval_loss") ? "eval_" : "");
        for (JsonNode record : b) assertMeansAreRatios(record, record.has("eval_loss") ? "eval_" : "");

        boolean countsDiffered = false, meansCompared = false;
        for (int w = 0; w < 2; w++) {
            JsonNode s1 = aTrain.get(2 * w), s2 = aTrain.get(2 * w + 1), window = bTrain.get(w);
            boolean countsDiffer = s1.get("count/chosen").asDouble() != s2.get("count/chosen").asDouble();
            countsDiffered |= countsDiffer;
            assertTrue(window.has("rewards/margins"), "both labels in the window: " + window);
            for (String label : List.of("chosen", "rejected")) {
                // every step has four items, so the per-item sums add up as the sums do
                double count = s1.get("count/" + label).asDouble() + s2.get("count/" + label).asDouble();
                double expected = (s1.get("rewards/" + label + "_sum").asDouble() + s2.get("rewards/" + label + "_sum").asDouble()) / count;
                assertEquals(expected, window.get("rewards/" + label).asDouble(), 1e-9, "steps " + (2 * w + 1) + "–" + (2 * w + 2) + ": " + window);
                double tokens = s1.get("count/" + label + "_tokens").asDouble() + s2.get("count/" + label + "_tokens").asDouble();
                double logits = (s1.get("logits/" + label + "_sum").asDouble() + s2.get("logits/" + label + "_sum").asDouble()) / tokens;
                assertEquals(logits, window.get("logits/" + label).asDouble(), 1e-9, "per completion token: " + window);
            }
            if (countsDiffer && s1.has("rewards/chosen") && s2.has("rewards/chosen")) {
                meansCompared = true;
                double meanOfMeans = (s1.get("rewards/chosen").asDouble() + s2.get("rewards/chosen").asDouble()) / 2;
                assertTrue(Math.abs(meanOfMeans - window.get("rewards/chosen").asDouble()) > 1e-6,
                        "a mean of the steps' means would differ: " + meanOfMeans);
            }
        }
        assertTrue(countsDiffered, "some window has steps with different label counts: " + aTrain);
        assertTrue(meansCompared, "some window's mean was compared with its steps' mean of means: " + aTrain);
    }

    /** rewards/ and logps/ per label are their sums over the label's count, logits/ over its tokens; margins their difference. */
    private static void assertMeansAreRatios(JsonNode record, String prefix) {
        for (String label : List.of("chosen", "rejected")) {
            double count = record.get(prefix + "count/" + label).asDouble();
            if (count == 0) {
                assertTrue(!record.has(prefix + "rewards/" + label) && !record.has(prefix + "rewards/margins"), "no " + label + ": " + record);
                continue;
            }
            for (String metric : List.of("rewards/", "logps/")) {
                assertEquals(record.get(prefix + metric + label + "_sum").asDouble() / count, record.get(prefix + metric + label).asDouble(),
                        1e-9, prefix + metric + label + " in " + record);
            }
            assertEquals(record.get(prefix + "logits/" + label + "_sum").asDouble() / record.get(prefix + "count/" + label + "_tokens").asDouble(),
                    record.get(prefix + "logits/" + label).asDouble(), 1e-9, prefix + "logits/" + label + " in " + record);
        }
        if (record.has(prefix + "rewards/margins")) {
            assertEquals(record.get(prefix + "rewards/chosen").asDouble() - record.get(prefix + "rewards/rejected").asDouble(),
                    record.get(prefix + "rewards/margins").asDouble(), 1e-12, prefix + "rewards/margins in " + record);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Preference rows become a desirable and an undesirable example each; apo_zero_unpaired starts at 1 − σ(0) or σ(0) too. */
    @Test
    void preferenceRowsAreSplitAndApoZeroUnpairedRuns(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run(args(dir, "pairs", DpoCommandTest.data(dir), "--max_steps", "3").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("→ 16 examples, 8 desirable"), (String) r[2]);
        List<JsonNode> apo = train(dir, "apo", unpaired(dir), "--max_steps", "2", "--loss_type", "apo_zero_unpaired");
        assertEquals(0.5, apo.getFirst().get("loss").asDouble(), 1e-6);
    }

    @Test
    void badValuesAreNamed(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run(args(dir, "bad", unpaired(dir), "--loss_type", "ktoo").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("did you mean kto"), (String) r[2]);
        r = MainTest.run(args(dir, "bad2", unpaired(dir), "--per_device_train_batch_size", "1").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("per_device_train_batch_size must be >= 2"), (String) r[2]);
        String help = (String) MainTest.run("kto", "--help")[1];
        for (String key : List.of("desirable_weight", "undesirable_weight", "loss_type", "ref_model_name_or_path", "max_prompt_length")) {
            assertTrue(help.contains(key), key + " in\n" + help);
        }
    }
}
