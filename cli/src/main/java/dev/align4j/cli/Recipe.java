package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.cli.recipe.RecipeConfig;
import dev.align4j.cli.recipe.RecipeState;
import dev.align4j.data.DatasetType;
import dev.align4j.data.Datasets;
import dev.align4j.data.synth.Draw;
import dev.align4j.data.synth.SynthWriter;
import dev.align4j.data.synth.Task;
import dev.align4j.eval.HeldOut;
import dev.align4j.eval.report.HtmlReport;
import dev.align4j.eval.report.SampleRow;
import dev.align4j.eval.report.StageReport;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfConfig;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainingArguments;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a post-training recipe: base → SFT → reward model → RL (or a preference method), the
 * held-out evaluation after every stage, and {@code report.html}. Every stage is its command's own
 * trainer, run in this process with the keys {@link RecipeStages} and the config give it; the
 * recipe only wires one stage's output folder into the next one's input and measures.
 *
 * <p>Before the first stage: the config, the model folder (it must load), each stage's dataset
 * (its TRL type must fit the stage) — so a mistake stops the run before hours of training, with the
 * config line at fault. After each stage the state file records it, so a run interrupted (Ctrl-C,
 * a crash) and started again goes on from the last finished stage.
 */
public final class Recipe {
    private static final List<String> TABLE = List.of("accuracy", "format_rate", "reward_model_accuracy", "kl_to_sft");
    private static final Map<String, Set<DatasetType>> FITS = Map.of(
            "sft.jsonl", Set.of(DatasetType.LANGUAGE_MODELING, DatasetType.PROMPT_COMPLETION),
            "preference.jsonl", Set.of(DatasetType.PREFERENCE, DatasetType.IMPLICIT_PROMPT_PREFERENCE),
            "kto.jsonl", Set.of(DatasetType.UNPAIRED_PREFERENCE, DatasetType.PREFERENCE),
            "grpo.jsonl", Set.of(DatasetType.PROMPT_ONLY, DatasetType.PROMPT_COMPLETION));

    private final RecipeConfig c;
    private final PrintWriter err;
    private final Path out;

    public Recipe(RecipeConfig c, PrintWriter err) {
        this.c = c;
        this.err = err;
        this.out = c.outputDir.toAbsolutePath();
    }

    /** The finished stages' reports, after writing report.html. */
    public List<StageReport> run() throws Exception {
        long start = System.nanoTime();
        Path base = baseModel();
        Files.createDirectories(out);
        RecipeState state = RecipeState.open(out);
        Path data = world(state);
        Path heldOut = c.evalDataset != null ? c.evalDataset : data.resolve("held_out.jsonl");
        Path heldOutPairs = c.evalPreference != null ? c.evalPreference : data.resolve("held_out_pairs.jsonl");
        checkData(data);

        Map<String, ObjectNode> done = new LinkedHashMap<>();
        done.put("base", evaluated(state, "base", "pretrained", base, null, heldOut, heldOutPairs, 0));
        Path policy = base, sft = null, rewardModel = null;
        for (String stage : c.stageNames()) {
            ObjectNode record = state.finished(stage).orElse(null);
            if (record == null) {
                if (c.skipped(stage)) {
                    record = JsonLines.MAPPER.createObjectNode().put("status", "skipped");
                    state.finish(stage, record);
                } else {
                    long stageStart = System.nanoTime();
                    Path output = c.reused(stage) != null ? c.reused(stage) : train(stage, data, policy, rewardModel);
                    record = evaluated(state, stage, method(stage), output, sft, heldOut, heldOutPairs, (System.nanoTime() - stageStart) / 1e9);
                    record.put("status", c.reused(stage) != null ? "reused" : "done");
                    state.finish(stage, record);
                }
            } else {
                err.println("recipe: " + stage + " finished before (" + RecipeState.FILE + "); going on from there");
            }
            done.put(stage, record);
            if (record.hasNonNull("output")) {
                Path output = Path.of(record.get("output").asText());
                if (RecipeStages.KINDS.get(stage).policy()) policy = output;
                if (stage.equals("sft")) sft = output;
                if (stage.equals("reward")) rewardModel = output;
            }
        }
        List<StageReport> reports = report(done, Duration.ofNanos(System.nanoTime() - start));
        err.println("recipe: report → " + out.resolve("report.html"));
        err.println(table(reports));
        return reports;
    }

    /** The model the recipe starts from: the config's folder, which must load, or the built-in one. */
    private Path baseModel() throws IOException {
        if (c.model == null) return BuiltinModel.extract(out.resolve("base"));
        Path config = c.model.resolve(HfModels.CONFIG_FILE);
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException(c.where("model") + c.model + " is not a model folder: it has no config.json");
        try {
            HfConfig.read(config);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(c.where("model") + c.model + " cannot load: " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(c.model.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(c.where("model") + c.model + " has no tokenizer.json; the recipe generates and evaluates text");
        }
        return c.model;
    }

    /** The built-in task world, synthesized once into OUTPUT_DIR/data (the config's datasets may replace any stage's). */
    private Path world(RecipeState state) throws IOException {
        Path data = out.resolve("data");
        String key = c.task + "/" + c.n + "/" + c.evalN + "/" + c.seed;
        if (state.fact("world").filter(key::equals).isPresent() && Files.isRegularFile(data.resolve("held_out.jsonl"))) return data;
        List<Task> tasks;
        try {
            tasks = Task.parse(c.task);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.where("task") + e.getMessage(), e);
        }
        List<List<String>> heldOut = new ArrayList<>(), pairs = new ArrayList<>();
        for (Task t : tasks) {
            Path dir = data.resolve(t.name());
            SynthWriter.write(dir, t.name(), Draw.problems(t, c.n, c.evalN, c.seed), c.seed);
            heldOut.add(Files.readAllLines(dir.resolve("eval.jsonl")));
            pairs.add(Files.readAllLines(dir.resolve("eval_preference.jsonl")));
        }
        Files.write(data.resolve("held_out.jsonl"), interleave(heldOut));
        Files.write(data.resolve("held_out_pairs.jsonl"), interleave(pairs));
        state.fact("world", key);
        err.println("recipe: the task world (" + c.task + ", " + c.n + " training and " + c.evalN + " held-out problems per task) → " + data);
        return data;
    }

    /** The tasks' rows taken in turn, so a limit keeps every task. */
    private static List<String> interleave(List<List<String>> lists) {
        List<String> out = new ArrayList<>();
        for (int i = 0; ; i++) {
            boolean any = false;
            for (List<String> l : lists) {
                if (i < l.size()) {
                    out.add(l.get(i));
                    any = true;
                }
            }
            if (!any) return out;
        }
    }

    /** Each stage's dataset (the config's, or the world's) has a TRL type the stage trains on. */
    private void checkData(Path data) {
        for (String stage : c.stageNames()) {
            if (c.skipped(stage) || c.reused(stage) != null) continue;
            RecipeStages.Kind kind = RecipeStages.KINDS.get(stage);
            JsonNode given = c.trainerKeys(stage).get("dataset_name");
            String where = given != null ? c.where("stages." + stage + ".dataset_name") : "recipe: ";
            String path = given != null ? c.resolve(given.asText()).toString() : data.resolve("*").resolve(kind.data()).toString();
            DatasetType type;
            try {
                type = Datasets.load(path).type();
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(where + "stage " + stage + "'s dataset " + path + ": " + e.getMessage(), e);
            }
            if (!FITS.get(kind.data()).contains(type)) {
                throw new IllegalArgumentException(where + "stage " + stage + "'s dataset " + path + " holds " + type.name().toLowerCase()
                        + " rows; " + stage + " trains on " + FITS.get(kind.data()).stream().map(t -> t.name().toLowerCase()).sorted().toList());
            }
        }
    }

    /** Trains a stage with its command's trainer; its output folder. */
    private Path train(String stage, Path data, Path policy, Path rewardModel) throws Exception {
        RecipeStages.Kind kind = RecipeStages.KINDS.get(stage);
        Path output = out.resolve(stage);
        ObjectNode configured = c.trainerKeys(stage);
        if (configured.has("dataset_name")) configured.put("dataset_name", c.resolve(configured.get("dataset_name").asText()).toString());
        ObjectNode keys = RecipeStages.keys(stage, data.resolve("*").resolve(kind.data()), policy, rewardModel, output, configured);
        err.println("recipe: " + stage + " (" + method(stage) + ") from " + policy + " → " + output);
        Training.Ended ended = run(kind.command().get(), RecipeStages.overrides(keys));
        if (ended.stoppedEarly()) throw new IllegalStateException("stage " + stage + " was stopped at step " + ended.step() + "; run the recipe again to go on");
        return output;
    }

    private <C extends TrainingArguments> Training.Ended run(TrainCommand<C> command, List<String> overrides) throws Exception {
        command.overrides = new ArrayList<>(overrides);
        C config = command.config();
        config.resumeFromCheckpoint = hasCheckpoint(Path.of(config.outputDir)) ? "true" : null; // a stage stopped mid-way goes on

        return command.job(config, Progress.forConsole(config.disableTqdm, err)).run();
    }

    private static boolean hasCheckpoint(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().startsWith("checkpoint-"));
        }
    }

    /** A stage's held-out record: its output and metrics (a policy's accuracy and format rate, its KL to SFT; a reward model's accuracy). */
    private ObjectNode evaluated(RecipeState state, String stage, String method, Path output, Path sft, Path heldOut, Path pairs, double seconds)
            throws IOException {
        if (stage.equals("base") && state.finished("base").isPresent()) return state.finished("base").get();
        ObjectNode record = JsonLines.MAPPER.createObjectNode().put("status", "done").put("output", output.toString()).put("method", method);
        ObjectNode metrics = record.putObject("held_out");
        if (stage.equals("base") || RecipeStages.KINDS.get(stage).policy()) {
            try (TextModel model = TextModel.load(output, LoadOptions.defaults())) {
                HeldOut.Accuracy a = HeldOut.accuracy(model, heldOut, c.evalLimit, c.evalMaxGenToks, c.seed);
                metrics.put("accuracy", a.accuracy()).put("format_rate", a.formatRate());
                if (stage.equals("sft")) metrics.put("kl_to_sft", 0.0);
                else if (sft != null) {
                    CausalLM reference = HfModels.load(sft).model();
                    metrics.put("kl_to_sft", HeldOut.klTo(model, reference, heldOut, Math.min(c.evalLimit, 64), c.evalMaxGenToks, c.seed));
                }
                var samples = record.putArray("samples");
                for (ObjectNode s : a.samples().subList(0, Math.min(6, a.samples().size()))) samples.add(s.get("completion").asText());
            }
        } else {
            metrics.put("reward_model_accuracy", HeldOut.rewardModelAccuracy(output, pairs, c.evalLimit));
        }
        record.put("seconds", seconds);
        err.println("recipe: " + stage + " held-out " + metrics);
        if (stage.equals("base")) state.finish("base", record);
        return record;
    }

    private List<StageReport> report(Map<String, ObjectNode> done, Duration took) throws IOException {
        List<StageReport> stages = new ArrayList<>();
        for (Map.Entry<String, ObjectNode> e : done.entrySet()) {
            ObjectNode r = e.getValue();
            Map<String, Double> metrics = new LinkedHashMap<>();
            r.path("held_out").fields().forEachRemaining(m -> metrics.put(m.getKey(), m.getValue().asDouble()));
            List<JsonNode> log = r.hasNonNull("output") && !e.getKey().equals("base")
                    ? StageReport.readLog(Path.of(r.get("output").asText()).resolve("metrics.jsonl")) : List.of();
            stages.add(new StageReport(e.getKey(), r.path("method").asText(method(e.getKey())), "", log, metrics, r.path("status").asText("done")));
        }
        List<SampleRow> samples = new ArrayList<>();
        Path heldOut = c.evalDataset != null ? c.evalDataset : out.resolve("data").resolve("held_out.jsonl");
        List<String> rows = Files.readAllLines(heldOut);
        for (int i = 0; i < Math.min(6, rows.size()); i++) {
            JsonNode row = JsonLines.MAPPER.readTree(rows.get(i));
            Map<String, String> byStage = new LinkedHashMap<>();
            for (Map.Entry<String, ObjectNode> e : done.entrySet()) {
                JsonNode s = e.getValue().path("samples");
                if (s.size() > i) byStage.put(e.getKey(), s.get(i).asText());
            }
            samples.add(new SampleRow(row.path("question").asText(), row.path("answer").asText(), byStage));
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model", c.model == null ? "the built-in base model (builtin/base)" : c.model.toString());
        facts.put("tasks", c.task + " (" + c.n + " training problems per task; held-out: " + c.evalLimit + " problems, greedy)");
        facts.put("stages", String.join(" → ", done.keySet()));
        facts.put("time", took.toMinutes() + " min " + took.toSecondsPart() + " s on " + Runtime.getRuntime().availableProcessors() + " cores");
        HtmlReport.write(out.resolve("report.html"), "align4j recipe: " + String.join(" → ", done.keySet()), stages, TABLE, samples, facts);
        return stages;
    }

    /** The per-stage held-out table as text, for the terminal and {@code bench recipe}. */
    public static String table(List<StageReport> stages) {
        StringBuilder s = new StringBuilder(String.format("%-12s %10s %12s %22s %10s%n", "stage", "accuracy", "format_rate", "reward_model_accuracy", "kl_to_sft"));
        for (StageReport r : stages) {
            s.append(String.format("%-12s %10s %12s %22s %10s%n", r.name(), cell(r, "accuracy"), cell(r, "format_rate"), cell(r, "reward_model_accuracy"),
                    cell(r, "kl_to_sft")));
        }
        return s.toString().stripTrailing();
    }

    private static String cell(StageReport r, String metric) {
        Double v = r.heldOut().get(metric);
        return v == null ? "-" : String.format("%.3f", v);
    }

    private static String method(String stage) {
        return switch (stage) {
            case "base" -> "pretrained";
            case "sft" -> "SFT";
            case "reward" -> "reward model";
            case "online-dpo" -> "online DPO";
            default -> stage.toUpperCase();
        };
    }
}
