package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.Fixtures;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
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
 * {@code align4j dpo} end to end on a tiny random Llama carrying the stories260K tokenizer: TRL's
 * metric names; at the first step (policy = reference) loss ln 2 and margins 0; full, LoRA and
 * separate-reference runs; help and bad keys.
 */
class DpoCommandTest {

    /** A random Llama of the stories260K tokenizer's 512 tokens, with that tokenizer, in {@code dir/name}. */
    static Path tinyModel(Path dir, String name, long seed) throws IOException {
        Path folder = dir.resolve(name);
        HfModels.save(LlamaModel.random(LlamaConfig.tiny("llama", 512, 16, 2, 2, 1), seed, 0.2), folder, SaveOptions.defaults());
        Path tokenizer = Fixtures.path("models/stories260K");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(tokenizer.resolve(f), folder.resolve(f));
        return folder;
    }

    /** Eight pairs: the chosen completion names the prompt's animal, the rejected one another. */
    static Path data(Path dir) throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        String[][] rows = {{"The cat said", " meow.", " woof."}, {"The dog said", " woof.", " moo."}, {"The cow said", " moo.", " meow."},
                {"The duck said", " quack.", " moo."}, {"The sheep said", " baa.", " quack."}, {"The owl said", " hoot.", " baa."},
                {"The bee said", " buzz.", " hoot."}, {"The frog said", " ribbit.", " buzz."}};
        List<String> lines = new ArrayList<>();
        for (String[] r : rows) lines.add("{\"prompt\": \"" + r[0] + "\", \"chosen\": \"" + r[1] + "\", \"rejected\": \"" + r[2] + "\"}");
        Files.write(file, lines);
        return file;
    }

    static List<String> args(Path dir, Path model, String out, String... more) throws IOException {
        List<String> a = new ArrayList<>(List.of("dpo", "--model_name_or_path", model.toString(), "--dataset_name", data(dir).toString(),
                "--output_dir", dir.resolve(out).toString(), "--learning_rate", "5e-3", "--per_device_train_batch_size", "2",
                "--logging_steps", "1", "--save_steps", "1000", "--disable_tqdm", "true", "--seed", "3"));
        a.addAll(List.of(more));
        return a;
    }

    static Object[] run(List<String> args) {
        return MainTest.run(args.toArray(String[]::new));
    }

    @Test
    void metricsHaveTrlsNamesAndTheFirstStepIsLn2WithNoMargin(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir, "model", 7);
        Object[] r = run(args(dir, model, "out", "--max_steps", "12", "--beta", "0.5"));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(dir.resolve("out"));
        assertEquals(12, m.size());
        JsonNode first = m.getFirst();
        for (String key : List.of("loss", "grad_norm", "learning_rate", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected")) {
            assertTrue(first.has(key), key + " in " + first);
        }
        assertEquals(Math.log(2), first.get("loss").asDouble(), 1e-5, "policy = reference at the first step: " + first);
        assertEquals(0.0, first.get("rewards/margins").asDouble(), 1e-6);
        assertEquals(0.0, first.get("rewards/chosen").asDouble(), 1e-6);
        double late = m.subList(8, 12).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        assertTrue(late < Math.log(2), "the preference is being learned: " + late);
        assertTrue(m.getLast().get("rewards/margins").asDouble() > 0, m.getLast().toString());
        assertFalse(HfModels.load(dir.resolve("out")).model().parameters().isEmpty(), "the output folder is a model folder");
        assertTrue(Files.isRegularFile(dir.resolve("out/tokenizer.json")));
    }

    /** Under LoRA the reference is the base with its adapters off: ln 2 at the first step, and only the adapter is saved. */
    @Test
    void loraTrainsAnAdapterAgainstTheBase(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir, "model", 7);
        Object[] r = run(args(dir, model, "lora", "--max_steps", "4", "--use_peft", "true", "--lora_r", "4",
                "--lora_target_modules", "all-linear"));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("the base with the adapters off"), (String) r[2]);
        List<JsonNode> m = SftCommandTest.metrics(dir.resolve("lora"));
        assertEquals(Math.log(2), m.getFirst().get("loss").asDouble(), 1e-5);
        assertTrue(Files.isRegularFile(dir.resolve("lora/adapter_model.safetensors")));
        assertFalse(Files.exists(dir.resolve("lora/model.safetensors")));

        r = run(args(dir, model, "lora-no-dropout", "--max_steps", "4", "--use_peft", "true", "--lora_r", "4",
                "--lora_target_modules", "all-linear", "--lora_dropout", "0"));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> plain = SftCommandTest.metrics(dir.resolve("lora-no-dropout"));
        assertTrue(m.getLast().get("loss").asDouble() != plain.getLast().get("loss").asDouble(),
                "lora_dropout (0.05 by default) applies in training steps: " + m.getLast() + " vs " + plain.getLast());
    }

    /** ref_model_name_or_path: another model as the reference, so the first step's margins are not 0. */
    @Test
    void aSeparateReferenceModelIsUsed(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir, "model", 7), ref = tinyModel(dir, "ref", 8);
        Object[] r = run(args(dir, model, "out", "--max_steps", "1", "--ref_model_name_or_path", ref.toString()));
        assertEquals(0, r[0], (String) r[2]);
        JsonNode first = SftCommandTest.metrics(dir.resolve("out")).getFirst();
        assertTrue(Math.abs(first.get("rewards/margins").asDouble()) > 1e-4, first.toString());
    }

    /**
     * precompute_ref_log_probs: the first run computes the reference's log-probs and caches them, the
     * second reads them without running the reference; both train identically, and as a run with the
     * live reference does.
     */
    @Test
    void precomputedReferenceLogProbsAreCachedAndReused(@TempDir Path dir) throws IOException {
        Path model = tinyModel(dir, "model", 7);
        String cache = dir.resolve("cache").toString();
        Object[] first = run(args(dir, model, "a", "--max_steps", "6", "--precompute_ref_log_probs", "true",
                "--precompute_ref_cache_dir", cache));
        assertEquals(0, first[0], (String) first[2]);
        assertTrue(((String) first[2]).contains("computed and cached"), (String) first[2]);
        Object[] second = run(args(dir, model, "b", "--max_steps", "6", "--precompute_ref_log_probs", "true",
                "--precompute_ref_cache_dir", cache));
        assertEquals(0, second[0], (String) second[2]);
        assertTrue(((String) second[2]).contains("(the reference is not run)"), (String) second[2]);
        assertEquals(Math.log(2), SftCommandTest.metrics(dir.resolve("b")).getFirst().get("loss").asDouble(), 1e-5);

        Object[] liveRun = run(args(dir, model, "live", "--max_steps", "6"));
        assertEquals(0, liveRun[0], (String) liveRun[2]);
        List<JsonNode> a = SftCommandTest.metrics(dir.resolve("a")), b = SftCommandTest.metrics(dir.resolve("b")),
                live = SftCommandTest.metrics(dir.resolve("live"));
        for (int i = 0; i < a.size(); i++) {
            for (String key : List.of("loss", "grad_norm", "rewards/margins", "logps/chosen")) {
                assertEquals(a.get(i).get(key).asDouble(), b.get(i).get(key).asDouble(), key + " at " + i + ": identical runs");
                assertEquals(live.get(i).get(key).asDouble(), b.get(i).get(key).asDouble(), 1e-4, key + " at " + i + ": as the live reference");
            }
        }
    }

    @Test
    void helpListsEveryKeyAndBadValuesAreNamed(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run("dpo", "--help");
        String help = (String) r[1];
        for (String key : new String[] {"beta", "0.1", "loss_type", "[sigmoid]", "loss_weights", "label_smoothing", "rpo_alpha",
                "reference_free", "max_prompt_length", "max_completion_length", "max_length", "truncation_mode", "ref_model_name_or_path", "precompute_ref_log_probs",
                "learning_rate", "1.0E-6", "use_peft", "load_in_4bit", "gradient_accumulation_steps"}) {
            assertTrue(help.contains(key), key + " in\n" + help);
        }
        Path model = dir.resolve("none");
        r = run(args(dir, model, "out", "--loss_type", "hinje"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("did you mean hinge"), (String) r[2]);
        r = run(args(dir, model, "out", "--rpo_alpa", "1"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("did you mean rpo_alpha"), (String) r[2]);
    }
}
