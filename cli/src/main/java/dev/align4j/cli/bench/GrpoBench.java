package dev.align4j.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.train.Policy;
import dev.align4j.train.Progress;
import dev.align4j.train.Prompts;
import dev.align4j.train.grpo.GRPOConfig;
import dev.align4j.train.grpo.GrpoTrainer;
import dev.align4j.train.rewards.RewardFunction;
import dev.align4j.train.rewards.RewardFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code align4j bench grpo}: GRPO optimizer steps of {@code align4j grpo}'s loop ({@link GrpoTrainer#of}) on a
 * random GPT-2-shaped policy, each step's time split into generation (the engine sampling
 * {@code num_generations} completions of each prompt from one shared prefill, all prompts of the round
 * together, then scoring them) and optimisation (the policy's forward and backward over the round's
 * micro-batches, AdamW). Random prompts of {@code --prompt} tokens; completions of exactly
 * {@code --completion} tokens (no stop token), so every step does the same work; a reward function
 * that costs nothing (the completion's first token's parity), so the time is the model's. Prints each
 * phase's median seconds and share, generation's tokens/s, and the step's completions/s.
 */
@Command(name = "grpo", mixinStandardHelpOptions = true,
        description = "GRPO step time split into generation (groups sharing each prompt's prefill) and optimisation; last line completions_per_s.")
public final class GrpoBench implements Runnable {

    @Mixin
    Gpt2Shape shape;

    @Option(names = "--steps", defaultValue = "3", description = "Timed steps; the median is reported (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--prompts", defaultValue = "2", description = "Prompts per step (default: ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--num-generations", defaultValue = "8", description = "Completions per prompt (default: ${DEFAULT-VALUE}).")
    int generations;

    @Option(names = "--prompt", defaultValue = "32", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "--completion", defaultValue = "32", description = "Tokens per completion (default: ${DEFAULT-VALUE}).")
    int completion;

    @Override
    public void run() {
        if (steps < 1 || warmup < 0 || prompts < 1 || generations < 2 || prompt < 1 || completion < 1) {
            throw new IllegalArgumentException("bench grpo: --steps, --prompts, --prompt, --completion ≥ 1, --warmup ≥ 0, --num-generations ≥ 2");
        }
        int batch = prompts * generations;
        System.out.printf(Locale.ROOT, "align4j bench grpo: GPT-2 (%d layers, C=%d, %d heads, V=%d), random weights; %d prompts of %d tokens × %d"
                        + " completions of %d tokens a step (one micro-batch of %d); %d threads; median of %d steps after %d (load average %.1f: the"
                        + " machine is shared)%n", shape.nLayer, shape.nEmbd, shape.nHead, shape.vocabSize, prompts, prompt, generations, completion,
                batch, Parallel.threads(), steps, warmup, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path dir = null;
        try {
            dir = Files.createTempDirectory("align4j-bench-grpo");
            Path model = dir.resolve("model");
            HfModels.save(Gpt2Model.random(shape.config(Math.max(1024, prompt + completion)), 1, 0.02), model, SaveOptions.defaults());
            GRPOConfig c = new GRPOConfig();
            c.modelNameOrPath = c.datasetName = model.toString();
            c.outputDir = dir.resolve("out").toString();
            c.saveStrategy = "no";
            c.numGenerations = generations;
            c.perDeviceTrainBatchSize = batch;
            c.maxCompletionLength = completion;
            c.rewardFuncs = List.of("parity");
            c.maxSteps = warmup + steps;
            c.loggingSteps = 1000;
            RewardFunctions rewards = new RewardFunctions(List.of(RewardFunction.perCompletion("parity",
                    s -> s.completion().isEmpty() ? 0.0 : (double) (s.completion().charAt(0) & 1))));
            double[][] seconds = new double[2][steps];
            Timer timer = new Timer(warmup, seconds);
            GrpoTrainer.Run run = GrpoTrainer.of(c, Policy.of(c, HfModels.load(model), c.modelNameOrPath), null, prompts(), rewards,
                    ids -> ids.length == 0 ? "" : Integer.toString(ids[0]), new int[0], timer);
            timer.generation = run.generationSeconds();
            run.loop().run();
            report(seconds, batch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) deleteTree(dir);
        }
    }

    /** Times each step from the loop's progress calls; generation from the run's own clock. */
    private static final class Timer implements Progress {
        java.util.function.DoubleSupplier generation; // the run's, set once it exists
        private final int warmup;
        private final double[][] seconds;
        private long last;
        private double lastGeneration;

        Timer(int warmup, double[][] seconds) {
            this.warmup = warmup;
            this.seconds = seconds;
        }

        @Override
        public void start(int maxSteps, int fromStep) {
            last = System.nanoTime();
            lastGeneration = generation.getAsDouble();
        }

        @Override
        public void step(int step, double loss, long tokens) {
            long now = System.nanoTime();
            double g = generation.getAsDouble(), total = (now - last) / 1e9;
            if (step > warmup) {
                seconds[0][step - warmup - 1] = g - lastGeneration;
                seconds[1][step - warmup - 1] = total - (g - lastGeneration);
            }
            last = now;
            lastGeneration = g;
        }

        @Override
        public void log(JsonNode record) {}

        @Override
        public void message(String text) {}

        @Override
        public void finish() {}
    }

    private List<Prompts.Prompt> prompts() {
        SplittableRandom rng = new SplittableRandom(7);
        List<Prompts.Prompt> out = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            out.add(new Prompts.Prompt(rng.ints(prompt, 0, shape.vocabSize).toArray(), "prompt " + i, JsonLines.MAPPER.createObjectNode()));
        }
        return out;
    }

    private void report(double[][] seconds, int batch) {
        String[] names = {"generation", "optimisation"};
        double[] median = new double[2];
        for (int k = 0; k < 2; k++) {
            double[] s = seconds[k].clone();
            Arrays.sort(s);
            median[k] = s[s.length / 2];
        }
        double total = median[0] + median[1];
        System.out.printf("%-13s %9s %7s%n", "phase", "seconds", "share");
        for (int k = 0; k < 2; k++) System.out.printf(Locale.ROOT, "%-13s %9.3f %6.1f%%%n", names[k], median[k], 100 * median[k] / total);
        System.out.printf(Locale.ROOT, "  generation: %d prompts × %d completions from %d prefills, %.1f completion tokens/s; optimisation: the"
                + " policy's forward and backward over %d sequences of %d tokens, AdamW%n", prompts, generations, prompts,
                batch * completion / median[0], batch, prompt + completion);
        System.out.printf(Locale.ROOT, "step_seconds %.3f%n", total);
        System.out.printf(Locale.ROOT, "completions_per_s %.2f%n", batch / total);
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("bench grpo: could not delete " + dir + ": " + e.getMessage());
        }
    }
}
