package dev.align4j.cli;

import dev.align4j.data.synth.Draw;
import dev.align4j.data.synth.SynthWriter;
import dev.align4j.data.synth.Task;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code align4j data synth --task NAME[,NAME...] --n N --seed S --output DIR [--eval-n M]}: a
 * procedurally generated world of tasks with verifiable answers (arithmetic word problems,
 * sorting, letter counting, unit conversion), written as the data of every post-training stage:
 * pretraining text, SFT conversations, preference pairs, KTO rows and GRPO prompts with their
 * solutions, and held-out evaluation sets that no training file shares a question with. Each task
 * goes to {@code DIR/<task>/} ({@link SynthWriter} lists the files); the same arguments give the
 * same bytes. Every task is drawn before any file is written, so a task whose space is too small
 * for the counts fails before anything changes on disk.
 */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Generate tasks with verifiable answers: pretrain, sft, preference, kto and grpo files plus held-out eval sets.")
public final class SynthCommand implements Callable<Integer> {

    @Option(names = "--task", required = true, description = "Tasks, comma-separated, or all: arithmetic, sorting, counting, conversion.")
    String task;

    @Option(names = "--n", required = true, description = "Training problems per task.")
    int n;

    @Option(names = "--eval-n", description = "Held-out evaluation problems per task (default: max(20, n/10)).")
    Integer evalN;

    @Option(names = "--seed", required = true, description = "Random seed; the same arguments give byte-identical files.")
    long seed;

    @Option(names = "--output", required = true, description = "Output folder; each task writes DIR/<task>/.")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Task> tasks = Task.parse(task);
        if (n < 1) throw new IllegalArgumentException("--n must be at least 1, got " + n);
        int eval = evalN != null ? evalN : Draw.defaultEvalCount(n);
        if (eval < 0) throw new IllegalArgumentException("--eval-n must be at least 0, got " + eval);
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new IllegalArgumentException("--output " + output + " is an existing file; give a folder (it is created if missing)");
        }
        List<Draw.Split> splits = new ArrayList<>();
        for (Task t : tasks) splits.add(Draw.problems(t, n, eval, seed));
        var err = spec.commandLine().getErr();
        for (int i = 0; i < tasks.size(); i++) {
            String name = tasks.get(i).name();
            Path dir = output.resolve(name);
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new IllegalArgumentException(dir + " is an existing file; the task's files go in a folder of that name");
            }
            Map<String, Integer> counts = SynthWriter.write(dir, name, splits.get(i), seed);
            List<String> parts = new ArrayList<>();
            counts.forEach((file, rows) -> parts.add(file + " " + rows));
            err.println("data synth: " + name + ": " + n + " train + " + eval + " eval problems -> " + dir + ": " + String.join(", ", parts));
        }
        err.flush();
        return 0;
    }
}
