package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
        int k = m.size() / 3;
        double early = m.subList(0, k).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        double late = m.subList(m.size() - k, m.size()).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        assertTrue(late < early, "the loss falls: " + early + " → " + late);
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
