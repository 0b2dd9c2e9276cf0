package dev.align4j.cli.bench;

import dev.align4j.data.Batch;
import dev.align4j.data.SftExample;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.tensor.optim.AdamW;
import dev.align4j.tensor.optim.GradClip;
import dev.align4j.tensor.optim.ParamGroup;
import dev.align4j.train.dpo.DpoObjective;
import dev.align4j.train.loss.DpoLoss;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code align4j bench dpo}: a DPO training step's tokens/s against an SFT step's on the same
 * GPT-2-124M-shaped random model and the same packed tokens (B pairs = 2B sequences of T tokens,
 * the first quarter of each the prompt), measured in the same process, steps alternating so the
 * shared machine's load falls on both alike.
 *
 * <p>The SFT step is {@code TrainBench}'s: forward, next-token cross-entropy over the completion
 * tokens, backward, clipping, AdamW. The DPO step is what {@code align4j dpo} runs
 * ({@link DpoObjective} with a frozen reference, sigmoid loss): the same policy forward and
 * backward, plus the reference's forward without gradients and the pair reduction, so its ideal
 * ratio is about 3/4 (a forward is about a third of a training step). Target: ratio ≥ 0.45.
 */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "DPO step tokens/s against an SFT step on the same GPT-2-124M-shaped model and tokens; last line dpo_vs_sft.")
public final class DpoBench implements Runnable {

    @Option(names = "--steps", defaultValue = "8", description = "Timed steps of each kind; the median is reported (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps of each kind first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--n-layer", defaultValue = "12", description = "Layers (default: ${DEFAULT-VALUE}).")
    int nLayer;

    @Option(names = "--n-embd", defaultValue = "768", description = "Width (default: ${DEFAULT-VALUE}).")
    int nEmbd;

    @Option(names = "--n-head", defaultValue = "12", description = "Heads (default: ${DEFAULT-VALUE}).")
    int nHead;

    @Option(names = "--vocab-size", defaultValue = "50257", description = "Vocabulary (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--pairs", defaultValue = "4", description = "Pairs per step (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--length", defaultValue = "64", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int length;

    @Override
    public void run() {
        if (steps < 1 || warmup < 0 || pairs < 1 || length < 4) {
            throw new IllegalArgumentException("bench dpo: --steps ≥ 1, --warmup ≥ 0, --pairs ≥ 1 and --length ≥ 4");
        }
        System.out.printf(Locale.ROOT, "align4j bench dpo: GPT-2 (%d layers, C=%d, %d heads, V=%d), random weights; %d pairs × 2 × %d tokens; "
                        + "%d threads; median of %d steps after %d, SFT and DPO alternating (load average %.1f: the machine is shared)%n",
                nLayer, nEmbd, nHead, vocab, pairs, length, Parallel.threads(), steps, warmup,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Gpt2Config config = new Gpt2Config(vocab, Math.max(1024, length), nEmbd, nLayer, nHead, 4 * nEmbd, 1e-5, "gelu_new");
        Gpt2Model policy = Gpt2Model.random(config, 1, 0.02), reference = Gpt2Model.random(config, 1, 0.02);
        List<Tensor> params = new ArrayList<>(policy.parameters().values());
        for (Tensor p : params) p.requiresGrad(true);
        List<Tensor> decay = params.stream().filter(p -> p.rank() >= 2).toList(), other = params.stream().filter(p -> p.rank() < 2).toList();
        AdamW opt = new AdamW(List.of(new ParamGroup(decay, 0.1), new ParamGroup(other, 0)), 1e-6);
        DpoObjective dpo = new DpoObjective(policy, new DpoObjective.Reference.Frozen(reference), DpoLoss.Options.DEFAULT);

        SplittableRandom rng = new SplittableRandom(7);
        int prompt = length / 4;
        List<SftExample> sequences = new ArrayList<>(); // chosen 0, rejected 0, chosen 1, …: each pair shares its prompt
        for (int p = 0; p < pairs; p++) {
            int[] promptIds = rng.ints(prompt, 0, vocab).toArray();
            for (int s = 0; s < 2; s++) {
                int[] ids = Arrays.copyOf(promptIds, length);
                for (int t = prompt; t < length; t++) ids[t] = rng.nextInt(vocab);
                boolean[] mask = new boolean[length];
                Arrays.fill(mask, prompt, length, true);
                sequences.add(new SftExample(ids, mask));
            }
        }
        Batch batch = Batch.of(sequences);
        int tokens = batch.size();

        double[] sftMs = new double[steps], dpoMs = new double[steps];
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime();
            Tensor sft = Elementwise.mulScalar(Reductions.sum(policy.tokenLogProbs(batch.packed(), batch.labels())), -1f / batch.targets());
            sft.backward();
            opt.stepAndZeroGrad(GradClip.coefficient(GradClip.totalNorm(params), 1.0));
            long t1 = System.nanoTime();
            Tensor loss = Elementwise.mulScalar(dpo.loss(batch).sum(), 1f / pairs);
            loss.backward();
            opt.stepAndZeroGrad(GradClip.coefficient(GradClip.totalNorm(params), 1.0));
            long t2 = System.nanoTime();
            if (i >= warmup) {
                sftMs[i - warmup] = (t1 - t0) / 1e6;
                dpoMs[i - warmup] = (t2 - t1) / 1e6;
            }
        }
        Arrays.sort(sftMs);
        Arrays.sort(dpoMs);
        double sft = tokens / (sftMs[steps / 2] / 1e3), dpoRate = tokens / (dpoMs[steps / 2] / 1e3);
        System.out.printf("%-6s %10s %13s %9s%n", "step", "ms", "min–max ms", "tokens/s");
        System.out.printf(Locale.ROOT, "%-6s %10.0f %13s %9.1f%n", "sft", sftMs[steps / 2],
                String.format(Locale.ROOT, "%.0f–%.0f", sftMs[0], sftMs[steps - 1]), sft);
        System.out.printf(Locale.ROOT, "%-6s %10.0f %13s %9.1f%n", "dpo", dpoMs[steps / 2],
                String.format(Locale.ROOT, "%.0f–%.0f", dpoMs[0], dpoMs[steps - 1]), dpoRate);
        System.out.printf(Locale.ROOT, "  DPO = the SFT step's work plus a reference forward without gradients (ideal ≈ 0.75); target ≥ 0.45%n");
        System.out.printf(Locale.ROOT, "dpo_vs_sft %.3f%n", dpoRate / sft);
    }
}
