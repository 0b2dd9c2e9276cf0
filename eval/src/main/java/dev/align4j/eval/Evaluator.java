package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs an evaluation: every task prepared first (rows read, templates rendered, columns checked,
 * what each task needs present), so bad input stops the run before any compute; then each task in
 * order. After each task the results so far are written (atomically) to the results file and its
 * samples to {@code samples_TASK.jsonl} beside it, so a run that fails later keeps what it computed.
 */
public final class Evaluator {
    private Evaluator() {}

    /**
     * @param results   the results JSON to (re)write after each task, or null
     * @param samples   a folder for each task's per-row records, or null
     * @param afterEach called with each finished task's result
     */
    public static List<TaskResult> run(List<TaskConfig> configs, EvalContext ctx, String modelName, String adapterName, Path results, Path samples,
                                       Consumer<TaskResult> afterEach) throws IOException {
        List<EvalTask> tasks = new ArrayList<>();
        for (TaskConfig c : configs) tasks.add(EvalTask.prepare(c, ctx));
        List<TaskResult> done = new ArrayList<>();
        for (EvalTask task : tasks) {
            TaskResult r = task.run(ctx);
            done.add(r);
            if (samples != null) {
                try (JsonLines.Writer out = new JsonLines.Writer(samples.resolve("samples_" + r.task().replaceAll("[^A-Za-z0-9._-]", "_") + ".jsonl"))) {
                    for (ObjectNode s : r.samples()) out.write(s);
                    out.commit();
                }
            }
            if (results != null) {
                AtomicFiles.writeString(results, JsonLines.MAPPER.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(Results.json(modelName, adapterName, ctx.options().seed(), done)) + "\n");
            }
            afterEach.accept(r);
        }
        return done;
    }
}
