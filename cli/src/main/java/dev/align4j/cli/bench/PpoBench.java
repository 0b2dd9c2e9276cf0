package dev.align4j.cli.bench;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.train.Policy;
import dev.align4j.train.Progress;
import dev.align4j.train.ppo.PPOConfig;
import dev.align4j.train.ppo.PpoTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
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
 * {@code align4j bench ppo}: one PPO update of {@code align4j ppo} ({@link PpoTrainer#update}) on a
 * random GPT-2-shaped policy, its frozen reference, and a reward and a value model on the same
 * transformer, its time split into generation (the engine decoding every response of the batch
 * together, continuous batching over the KV cache), scoring (the reference's log-probs, the value
 * model's values and the reward model's scores, each one packed forward pass without gradients) and
 * optimisation (advantages, then {@code num_ppo_epochs} passes of the policy's and the value model's
 * forward and backward and AdamW). Random prompts of {@code --prompt} tokens, responses of exactly
 * {@code --response} tokens (no stop token, as TRL's default), so every update does the same work.
 * Prints each phase's median seconds and share of the update, generation's tokens/s, and the
 * update's responses/s ({@code eps}, TRL's episodes per second).
 */
@Command(name = "ppo", mixinStandardHelpOptions = true,
        description = "One PPO update's time split into generation, reference/value/reward scoring and optimisation; last line eps.")
public final class PpoBench implements Runnable {

    @Mixin
    Gpt2Shape shape;

    @Option(names = "--updates", defaultValue = "3", description = "Timed updates; the median is reported (default: ${DEFAULT-VALUE}).")
    int updates;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed updates first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch", defaultValue = "8", description = "Responses per update (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--prompt", defaultValue = "16", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "--response", defaultValue = "32", description = "Tokens per response, response_length (default: ${DEFAULT-VALUE}).")
    int response;

    @Option(names = "--ppo-epochs", defaultValue = "4", description = "num_ppo_epochs (default: ${DEFAULT-VALUE}, TRL's).")
    int ppoEpochs;

    @Override
    public void run() {
        if (updates < 1 || warmup < 0 || batch < 1 || prompt < 1 || response < 1 || ppoEpochs < 1) {
            throw new IllegalArgumentException("bench ppo: --updates ≥ 1, --warmup ≥ 0, --batch, --prompt, --response and --ppo-epochs ≥ 1");
        }
        System.out.printf(Locale.ROOT, "align4j bench ppo: GPT-2 (%d layers, C=%d, %d heads, V=%d), random weights, as policy, reference,"
                        + " reward and value model; %d responses of %d tokens to prompts of %d tokens; num_ppo_epochs %d; %d threads; median of"
                        + " %d updates after %d (load average %.1f: the machine is shared)%n",
                shape.nLayer, shape.nEmbd, shape.nHead, shape.vocabSize, batch, response, prompt, ppoEpochs, Parallel.threads(), updates,
                warmup, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path dir = null;
        try {
            dir = Files.createTempDirectory("align4j-bench-ppo");
            Path model = dir.resolve("model");
            HfModels.save(Gpt2Model.random(shape.config(Math.max(1024, prompt + response)), 1, 0.02), model, SaveOptions.defaults());
            PPOConfig c = new PPOConfig();
            c.sftModelPath = c.rewardModelPath = c.datasetName = model.toString();
            c.outputDir = dir.resolve("out").toString();
            c.perDeviceTrainBatchSize = batch;
            c.responseLength = response;
            c.numPpoEpochs = ppoEpochs;
            c.learningRate = 1e-6;
            c.maxSteps = warmup + updates;
            LoadedModel loaded = HfModels.load(model);
            PpoTrainer trainer = PpoTrainer.of(c, Policy.of(c, loaded, c.sftModelPath), HfModels.load(model).model(),
                    ScoreModels.load(model, LoadOptions.defaults(), null, 2).model(), ScoreModels.load(model, LoadOptions.defaults(), null, 3),
                    prompts(), shape.vocabSize - 1, new Progress.Lines(new PrintWriter(System.out, true)));
            double[][] seconds = new double[3][updates];
            for (int u = 1; u <= warmup + updates; u++) {
                PpoTrainer.Update r = trainer.update(u);
                if (u <= warmup) continue;
                seconds[0][u - warmup - 1] = r.generateSeconds();
                seconds[1][u - warmup - 1] = r.scoreSeconds();
                seconds[2][u - warmup - 1] = r.optimiseSeconds();
            }
            report(seconds);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) deleteTree(dir);
        }
    }

    private List<int[]> prompts() {
        SplittableRandom rng = new SplittableRandom(7);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < batch; i++) out.add(rng.ints(prompt, 0, shape.vocabSize - 1).toArray());
        return out;
    }

    private void report(double[][] seconds) {
        String[] names = {"generation", "scoring", "optimisation"};
        double[] median = new double[3];
        for (int k = 0; k < 3; k++) {
            double[] s = seconds[k].clone();
            Arrays.sort(s);
            median[k] = s[s.length / 2];
        }
        double total = median[0] + median[1] + median[2];
        System.out.printf("%-13s %9s %7s%n", "phase", "seconds", "share");
        for (int k = 0; k < 3; k++) System.out.printf(Locale.ROOT, "%-13s %9.3f %6.1f%%%n", names[k], median[k], 100 * median[k] / total);
        System.out.printf(Locale.ROOT, "  generation: %d responses decoded together, %.1f tokens/s; scoring: 3 packed forward passes of %d tokens;"
                + " optimisation: %d × (policy + value forward and backward, AdamW)%n", batch, batch * response / median[0],
                batch * (prompt + response), ppoEpochs);
        System.out.printf(Locale.ROOT, "update_seconds %.3f%n", total);
        System.out.printf(Locale.ROOT, "eps %.2f%n", batch / total);
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("bench ppo: could not delete " + dir + ": " + e.getMessage());
        }
    }
}
