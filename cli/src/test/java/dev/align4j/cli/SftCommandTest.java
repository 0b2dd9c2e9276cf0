package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code align4j sft} end to end on the real stories260K model: learning, LoRA output, and resume after SIGKILL. */
class SftCommandTest {

    static Path data(Path dir) throws IOException {
        Path file = dir.resolve("train.jsonl");
        List<String> rows = new ArrayList<>();
        String[][] pairs = {{"Lily saw a", " red ball."}, {"Tom had a", " big dog."}, {"The sun was", " hot."},
                {"Sue liked to", " sing songs."}, {"The cat sat on", " the mat."}, {"Ben ate a", " green apple."}};
        for (String[] p : pairs) rows.add("{\"prompt\": \"" + p[0] + "\", \"completion\": \"" + p[1] + "\"}");
        Files.write(file, rows);
        return file;
    }

    static List<String> args(Path dir, String out, String... more) throws IOException {
        List<String> a = new ArrayList<>(List.of("sft", "--model_name_or_path", Fixtures.path("models/stories260K").toString(),
                "--dataset_name", data(dir).toString(), "--output_dir", dir.resolve(out).toString(), "--learning_rate", "3e-3",
                "--per_device_train_batch_size", "2", "--logging_steps", "5", "--save_steps", "1000", "--seed", "3"));
        a.addAll(List.of(more));
        return a;
    }

    static List<JsonNode> metrics(Path out) {
        List<JsonNode> lines = new ArrayList<>();
        JsonLines.forEach(out.resolve("metrics.jsonl"), l -> lines.add(l.json()));
        return lines;
    }

    @Test
    void fullFineTuningLearnsTheCompletionsAndSavesAModelFolder(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run(args(dir, "out", "--max_steps", "30").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = metrics(dir.resolve("out"));
        assertEquals(6, m.size());
        double first = m.getFirst().get("loss").asDouble(), last = m.getLast().get("loss").asDouble();
        assertTrue(last < 0.3 * first, "the completions are learned: " + first + " → " + last);
        assertTrue(m.getLast().get("mean_token_accuracy").asDouble() > 0.8, m.getLast().toString());
        CausalLM trained = HfModels.load(dir.resolve("out")).model();
        assertTrue(Files.isRegularFile(dir.resolve("out/tokenizer.json")), "the output folder is a usable model folder");
        assertEquals(30, JsonLines.MAPPER.readTree(dir.resolve("out/trainer_state.json").toFile()).get("global_step").asInt());
        assertFalse(trained.parameters().isEmpty());
    }

    @Test
    void loraTrainsOnlyAnAdapterThatLoadsOnTheBase(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run(args(dir, "lora", "--max_steps", "20", "--use_peft", "true", "--lora_r", "4",
                "--lora_target_modules", "[q_proj, v_proj, o_proj]", "--learning_rate", "1e-2").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        Path out = dir.resolve("lora");
        assertTrue(Files.isRegularFile(out.resolve("adapter_config.json")) && Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(out.resolve("model.safetensors")), "only the adapter is saved");
        List<JsonNode> m = metrics(out);
        assertTrue(m.getLast().get("loss").asDouble() < m.getFirst().get("loss").asDouble());
        CausalLM base = HfModels.load(Fixtures.path("models/stories260K")).model();
        LoraModel lora = PeftAdapters.load(base, out);
        assertEquals(3 * 5, lora.adaptedLayers().size(), "q, v and o of 5 layers");
    }

    /** QLoRA: the adapters learn on a base whose linear layers were quantised to NF4 as they loaded. */
    @Test
    void qloraTrainsAnAdapterOnA4BitBase(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run(args(dir, "qlora", "--max_steps", "20", "--use_peft", "true", "--load_in_4bit", "true",
                "--bnb_4bit_use_double_quant", "true", "--lora_r", "4", "--lora_target_modules", "all-linear",
                "--learning_rate", "1e-2").toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        Path out = dir.resolve("qlora");
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(out.resolve("model.safetensors")), "only the adapter is saved");
        List<JsonNode> m = metrics(out);
        double first = m.getFirst().get("loss").asDouble(), last = m.getLast().get("loss").asDouble();
        assertTrue(last < 0.8 * first, "the completions are being learned: " + first + " → " + last);
        LoraModel lora = PeftAdapters.load(HfModels.load(Fixtures.path("models/stories260K")).model(), out);
        assertEquals(7 * 5, lora.adaptedLayers().size(), "all-linear: 7 projections of 5 layers");

        r = MainTest.run(args(dir, "full", "--max_steps", "2", "--load_in_4bit", "true").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("load_in_4bit") && ((String) r[2]).contains("use_peft"), (String) r[2]);
    }

    /** A run killed with SIGKILL after a checkpoint and resumed ends with the weights of a run that never stopped. */
    @Test
    void aRunKilledAndResumedEndsBitIdentical(@TempDir Path dir) throws Exception {
        String[] straight = args(dir, "straight", "--max_steps", "24", "--save_steps", "4").toArray(String[]::new);
        assertEquals(0, MainTest.run(straight)[0]);

        Path out = dir.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("-Xmx")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args(dir, "killed", "--max_steps", "24", "--save_steps", "4"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.isDirectory(out.resolve("checkpoint-8")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        assertTrue(p.isAlive(), "the child finished before it could be killed: " + Files.readString(dir.resolve("child.log")));
        p.destroyForcibly().waitFor(); // SIGKILL
        assertFalse(Files.exists(out.resolve("model.safetensors")));

        Object[] r = MainTest.run(args(dir, "killed", "--max_steps", "24", "--save_steps", "4", "--resume_from_checkpoint", "true")
                .toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        assertTrue(((String) r[2]).contains("resumed from"), (String) r[2]);
        Map<String, Tensor> a = HfModels.load(dir.resolve("straight")).model().parameters();
        Map<String, Tensor> b = HfModels.load(out).model().parameters();
        for (var e : a.entrySet()) assertArrayEquals(e.getValue().toArray(), b.get(e.getKey()).toArray(), e.getKey());
    }

    @Test
    void helpListsEveryKeyAndBadKeysAreNamed(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run("sft", "--help");
        String help = (String) r[1];
        for (String key : new String[] {"learning_rate", "2.0E-5", "max_length", "packing", "assistant_only_loss", "lora_r",
                "gradient_accumulation_steps", "resume_from_checkpoint", "load_in_4bit", "bnb_4bit_quant_type", "use_bnb_nested_quant"}) {
            assertTrue(help.contains(key), key + " in\n" + help);
        }
        r = MainTest.run(args(dir, "out", "--learning_rat", "1").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("did you mean learning_rate"), (String) r[2]);
    }
}
