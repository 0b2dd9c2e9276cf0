package dev.align4j.train;

import dev.align4j.io.JsonLines;
import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsFile;
import dev.align4j.io.safetensors.SafetensorsWriter;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.optim.AdamW;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code OUTPUT_DIR/checkpoint-N/} folders, as transformers' Trainer lays them out, holding all a
 * resumed run needs: the model ({@link ModelState}), the optimizer's moments
 * ({@code optimizer.safetensors}: {@code <param>.exp_avg}, {@code <param>.exp_avg_sq}, and the step
 * in the metadata), the schedule's position ({@code scheduler.json}), the RNG seeds
 * ({@code rng_state.json}: every random draw of the loop derives from the seed and the step),
 * {@code trainer_state.json} and {@code training_args.json}.
 *
 * <p>Atomic, as transformers' {@code tmp-checkpoint-N}: the folder is written under a temporary
 * name, every file and the folder are forced to disk, then it is renamed into place and the parent
 * forced. A kill at any instant leaves either the complete new checkpoint or none, and the previous
 * ones intact; leftover temporary folders are deleted by the next save. {@code save_total_limit}
 * deletes the oldest checkpoints after a save.
 */
public final class Checkpoints {
    private Checkpoints() {}

    static final String PREFIX = "checkpoint-";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");

    /** Writes checkpoint {@code state.globalStep} into {@code outputDir}; returns its folder. */
    public static Path save(Path outputDir, TrainingArguments args, TrainerState state, ObjectNodeSupplier trainerState,
                     ModelState model, Map<String, Tensor> trainable, AdamW optimizer) throws IOException {
        Files.createDirectories(outputDir);
        try (Stream<Path> old = Files.list(outputDir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("tmp-" + PREFIX)).toList()) deleteTree(p);
        }
        Path target = outputDir.resolve(PREFIX + state.globalStep);
        Path tmp = outputDir.resolve("tmp-" + PREFIX + state.globalStep);
        Files.createDirectories(tmp);
        model.save(tmp);
        writeOptimizer(tmp.resolve("optimizer.safetensors"), trainable, optimizer);
        var scheduler = JsonLines.MAPPER.createObjectNode().put("last_epoch", state.globalStep).put("lr_scheduler_type", args.lrSchedulerType);
        Files.writeString(tmp.resolve("scheduler.json"), scheduler.toPrettyString());
        var rng = JsonLines.MAPPER.createObjectNode().put("seed", args.seed).put("global_step", state.globalStep)
                .put("note", "align4j derives every random draw of training from (seed, epoch, step); no generator state is kept");
        Files.writeString(tmp.resolve("rng_state.json"), rng.toPrettyString());
        Files.writeString(tmp.resolve(TrainerState.FILE), trainerState.get().toPrettyString());
        Files.writeString(tmp.resolve("training_args.json"), JsonLines.MAPPER.valueToTree(args).toPrettyString());
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) force(f);
        }
        force(tmp);
        if (Files.exists(target)) deleteTree(target); // the same step saved again (a resumed run): the new one replaces it
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        force(outputDir);
        if (args.saveTotalLimit != null) {
            List<Path> all = list(outputDir);
            for (int i = 0; i < all.size() - args.saveTotalLimit; i++) deleteTree(all.get(i));
        }
        return target;
    }

    public interface ObjectNodeSupplier {
        com.fasterxml.jackson.databind.node.ObjectNode get();
    }

    /**
     * Where a run starts: with {@code resume_from_checkpoint}, the checkpoint's model, optimizer
     * moments and history, {@code metrics.jsonl} rewritten from that history; otherwise step 0 and
     * an emptied {@code metrics.jsonl}.
     */
    public static TrainerState begin(TrainingArguments args, Path outputDir, ModelState model, Map<String, Tensor> trainable, AdamW optimizer,
                                     MetricsLog metrics, Progress progress) throws IOException {
        if (args.resumeFromCheckpoint == null) {
            metrics.restart(JsonLines.MAPPER.createArrayNode());
            return new TrainerState();
        }
        Path checkpoint = resolve(outputDir, args.resumeFromCheckpoint);
        model.load(checkpoint);
        readOptimizer(checkpoint.resolve("optimizer.safetensors"), trainable, optimizer);
        TrainerState state = TrainerState.read(checkpoint);
        metrics.restart(state.logHistory);
        progress.message("resumed from " + checkpoint + " at step " + state.globalStep);
        return state;
    }

    /** Completed checkpoints in {@code outputDir}, by step. */
    public static List<Path> list(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(Checkpoints::step)).toList();
        }
    }

    static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) throw new IllegalArgumentException(checkpoint + ": not a checkpoint-N folder");
        return Long.parseLong(m.group(1));
    }

    /** {@code resume_from_checkpoint}: "true" is the latest checkpoint in output_dir, anything else a folder. */
    public static Path resolve(Path outputDir, String resumeFrom) throws IOException {
        if (resumeFrom.equalsIgnoreCase("true")) {
            List<Path> all = list(outputDir);
            if (all.isEmpty()) throw new IllegalArgumentException("resume_from_checkpoint: no checkpoint-N folder in " + outputDir);
            return all.getLast();
        }
        Path p = Path.of(resumeFrom);
        if (!Files.isDirectory(p)) throw new IllegalArgumentException("resume_from_checkpoint: " + p + " is not a folder");
        return p;
    }

    static void writeOptimizer(Path file, Map<String, Tensor> trainable, AdamW optimizer) throws IOException {
        List<AdamW.ParamState> states = optimizer.state();
        List<String> names = names(trainable, optimizer);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long step = 0;
        for (int i = 0; i < states.size(); i++) {
            AdamW.ParamState s = states.get(i);
            int[] shape = optimizer.params().get(i).shape();
            step = Math.max(step, s.step());
            tensors.put(names.get(i) + ".exp_avg", Tensor.of(s.expAvg(), shape));
            tensors.put(names.get(i) + ".exp_avg_sq", Tensor.of(s.expAvgSq(), shape));
        }
        SafetensorsWriter.write(file, SafetensorsWriter.entries(tensors, DType.F32), Map.of("format", "pt", "step", Long.toString(step)));
    }

    public static void readOptimizer(Path file, Map<String, Tensor> trainable, AdamW optimizer) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": missing; the checkpoint cannot resume");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            long step = Long.parseLong(f.metadata().getOrDefault("step", "0"));
            List<AdamW.ParamState> states = new ArrayList<>();
            List<String> names = names(trainable, optimizer);
            for (int i = 0; i < names.size(); i++) {
                String param = names.get(i);
                int n = optimizer.params().get(i).numel();
                float[] m = new float[n], v = new float[n];
                for (String part : new String[] {".exp_avg", ".exp_avg_sq"}) {
                    String name = param + part;
                    if (!f.contains(name) || f.info(name).numel() != n) {
                        throw new IllegalArgumentException(file + ": tensor " + name + " is missing or has another size; "
                                + "the checkpoint is not of this model and its trainable parameters");
                    }
                }
                f.readFloats(param + ".exp_avg", m, 0);
                f.readFloats(param + ".exp_avg_sq", v, 0);
                states.add(new AdamW.ParamState(step, m, v));
            }
            optimizer.loadState(states);
        }
    }

    /** The name of each of the optimizer's parameters, in its state order. */
    private static List<String> names(Map<String, Tensor> trainable, AdamW optimizer) {
        Map<Tensor, String> byTensor = new IdentityHashMap<>();
        trainable.forEach((name, t) -> byTensor.put(t, name));
        List<String> names = new ArrayList<>();
        for (Tensor t : optimizer.params()) names.add(byTensor.get(t));
        return names;
    }

    private static void force(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                c.force(true);
            } catch (IOException e) {
                // some file systems cannot open a directory for syncing; the rename is still atomic
            }
        } else {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
