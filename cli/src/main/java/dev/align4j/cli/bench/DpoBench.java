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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code align4j bench dpo}: a DPO training step's tokens/s against an SFT step's on the same
 * GPT-2-124M-shaped random model and the same sequences (B pairs = 2B sequences of T tokens, the
 * first {@code --prompt} of each the pair's prompt), measured in the same process, steps
 * alternating so the shared machine's load falls on all alike.
 *
 * <p>The SFT step is {@code TrainBench}'s: forward, next-token cross-entropy over the completion
 * tokens, backward, clipping, AdamW, on the 2B sequences packed whole. The DPO step is what
 * {@code align4j dpo} runs ({@link DpoObjective} with a frozen reference, sigmoid loss, each pair's
 * prompt packed once: {@link Batch#sharingPrompts}): the policy forward and backward plus the
 * reference's forward without gradients and the pair reduction, so on whole sequences its ideal
 * ratio is about 3/4 (a forward is about a third of a training step), and prefix sharing lifts it
 * by the share of tokens it saves. The same DPO step on the pairs packed whole is timed beside it
 * ({@code dpo-unshared}), for the speedup of sharing. Every row's tokens/s counts the sequences'
 * tokens, 2T a pair, so the rates compare as the step times do. Target: dpo_vs_sft ≥ 0.45.
 */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "DPO step tokens/s against an SFT step on the same GPT-2-124M-shaped model and tokens; last line dpo_vs_sft.")
public final class DpoBench implements Runnable {

    @Mixin
    Gpt2Shape shape;

    @Option(names = "--steps", defaultValue = "8", description = "Timed steps of each kind; the median is reported (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps of each kind first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--pairs", defaultValue = "4", description = "Pairs per step (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--length", defaultValue = "64", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--prompt", defaultValue = "16", description = "Prompt tokens of each sequence, shared by a pair (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Override
    public void run() {
        if (steps < 1 || warmup < 0 || pairs < 1 || length < 4 || prompt < 1 || prompt >= length) {
            throw new IllegalArgumentException("bench dpo: --steps ≥ 1, --warmup ≥ 0, --pairs ≥ 1, --length ≥ 4 and 1 ≤ --prompt < --length");
        }
        System.out.printf(Locale.ROOT, "align4j bench dpo: GPT-2 (%d layers, C=%d, %d heads, V=%d), random weights; %d pairs × 2 × %d tokens,"
                        + " %d of them the prompt; %d threads; median of %d steps after %d, SFT and DPO alternating (load average %.1f:"
                        + " the machine is shared)%n",
                shape.nLayer, shape.nEmbd, shape.nHead, shape.vocabSize, pairs, length, prompt, Parallel.threads(), steps, warmup,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Gpt2Config config = shape.config(Math.max(1024, length));
        Gpt2Model policy = Gpt2Model.random(config, 1, 0.02), reference = Gpt2Model.random(config, 1, 0.02);
        List<Tensor> params = new ArrayList<>(policy.parameters().values());
        for (Tensor p : params) p.requiresGrad(true);
        List<Tensor> decay = params.stream().filter(p -> p.rank() >= 2).toList(), other = params.stream().filter(p -> p.rank() < 2).toList();
        AdamW opt = new AdamW(List.of(new ParamGroup(decay, 0.1), new ParamGroup(other, 0)), 1e-6);
        DpoObjective dpo = new DpoObjective(policy, new DpoObjective.Reference.Frozen(reference), DpoLoss.Options.DEFAULT);

        SplittableRandom rng = new SplittableRandom(7);
        List<List<SftExample>> pairList = new ArrayList<>(); // each pair: chosen, rejected, sharing the prompt
        for (int p = 0; p < pairs; p++) {
            int[] promptIds = rng.ints(prompt, 0, shape.vocabSize).toArray();
            List<SftExample> pair = new ArrayList<>(2);
            for (int s = 0; s < 2; s++) {
                int[] ids = Arrays.copyOf(promptIds, length);
                for (int t = prompt; t < length; t++) ids[t] = rng.nextInt(shape.vocabSize);
                boolean[] mask = new boolean[length];
                Arrays.fill(mask, prompt, length, true);
                pair.add(new SftExample(ids, mask));
            }
            pairList.add(pair);
        }
        Batch whole = Batch.of(pairList.stream().flatMap(List::stream).toList()), shared = Batch.sharingPrompts(pairList);
        int tokens = whole.size();
        System.out.printf(Locale.ROOT, "tokens a pair: %d packed whole, %d with the prompt once (prefix sharing)%n",
                whole.size() / pairs, shared.size() / pairs);

        double[][] ms = new double[3][steps]; // sft, dpo (prompt once), dpo-unshared
        for (int i = 0; i < warmup + steps; i++) {
            long t0 = System.nanoTime();
            Tensor sft = Elementwise.mulScalar(Reductions.sum(policy.tokenLogProbs(whole.packed(), whole.labels())), -1f / whole.targets());
            sft.backward();
            opt.stepAndZeroGrad(GradClip.coefficient(GradClip.totalNorm(params), 1.0));
            long t1 = System.nanoTime();
            dpoStep(dpo, shared, params, opt);
            long t2 = System.nanoTime();
            dpoStep(dpo, whole, params, opt);
            long t3 = System.nanoTime();
            if (i >= warmup) {
                ms[0][i - warmup] = (t1 - t0) / 1e6;
                ms[1][i - warmup] = (t2 - t1) / 1e6;
                ms[2][i - warmup] = (t3 - t2) / 1e6;
            }
        }
        String[] names = {"sft", "dpo", "dpo-unshared"};
        double[] rate = new double[3];
        System.out.printf("%-12s %10s %13s %9s%n", "step", "ms", "min–max ms", "tokens/s");
        for (int k = 0; k < 3; k++) {
            Arrays.sort(ms[k]);
            rate[k] = tokens / (ms[k][steps / 2] / 1e3);
            System.out.printf(Locale.ROOT, "%-12s %10.0f %13s %9.1f%n", names[k], ms[k][steps / 2],
                    String.format(Locale.ROOT, "%.0f–%.0f", ms[k][0], ms[k][steps - 1]), rate[k]);
        }
        System.out.printf(Locale.ROOT, "  DPO = the SFT step's work plus a reference forward without gradients (ideal ≈ 0.75 unshared, ≈ %.2f"
                + " with %d of %d tokens a pair); target ≥ 0.45%n", 0.75 * whole.size() / shared.size(), shared.size() / pairs, tokens / pairs);
        System.out.printf(Locale.ROOT, "sharing_speedup %.3f%n", rate[1] / rate[2]);
        System.out.printf(Locale.ROOT, "dpo_vs_sft %.3f%n", rate[1] / rate[0]);
    }

    /** One DPO training step: the mean pair loss, backward, clipping, AdamW. */
    private void dpoStep(DpoObjective dpo, Batch batch, List<Tensor> params, AdamW opt) {
        Tensor loss = Elementwise.mulScalar(dpo.loss(batch).sum(), 1f / pairs);
        loss.backward();
        opt.stepAndZeroGrad(GradClip.coefficient(GradClip.totalNorm(params), 1.0));
    }
}
