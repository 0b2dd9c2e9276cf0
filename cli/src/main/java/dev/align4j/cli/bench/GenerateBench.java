package dev.align4j.cli.bench;

import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.Parallel;
import dev.align4j.tensor.kernels.ReductionKernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench generate}: the generation engine's speed on a GPT-2-shaped model, float32
 * and frozen BF16 weights — prefill tokens/s, decode tokens/s at batch 1 and at batch
 * {@code --batch} — and batch-1 decode as a fraction of the memory-bandwidth bound measured in the
 * same run.
 *
 * <p>What it is: the random BF16 checkpoint of {@code bench forward} ({@link Gpt2BenchModels}),
 * loaded widened to float32 and frozen BF16, driven through the engine's public API
 * ({@link Generator#generate(List)} with greedy {@link SamplingParams}; a random model has no stop
 * token, so every completion runs to max_new_tokens). Decode time is the time of a generation of
 * {@code --new-tokens} tokens minus that of the same prompts with 1 new token (prefill and the first
 * token), in the same round: {@code new-tokens − 1} decode steps. Each body keeps one generator
 * across rounds, as a server or an RL loop does, so the rounds time its steady state: its frozen
 * matrices packed for batched steps, its step buffers and cache slots reused (making them is the
 * warm-up round's, once per generator). Batch-1 decode reads every weight
 * once per token, so its bound is the memory bandwidth: bytes of weights per step × steps/s over the
 * bandwidth of a parallel copy of a large {@code float[]} over the kernel pool, counting the bytes
 * read plus the bytes written (STREAM's convention for copy); a parallel sum of the same array
 * (bytes read only, as a decode step reads its weights) is printed beside it. It checks that greedy tokens agree
 * between float32 and BF16 (same weight values, bit-identical logits) and between a prompt alone
 * and the same prompt inside the batch (batch invariance). What it is not: a sampling benchmark
 * (greedy only), nor a comparison with another engine.
 */
@Command(name = "generate",
        mixinStandardHelpOptions = true,
        description = "Generation engine on a GPT-2-shaped random model, float32 vs frozen BF16: prefill tokens/s, decode "
                + "tokens/s at batch 1 and batch 32, batch-1 decode as a fraction of the measured memory bandwidth.")
public final class GenerateBench implements Runnable {

    @Mixin
    Gpt2Shape shape;

    @Option(names = "--prefill-prompts", defaultValue = "8", description = "Prompts of the prefill run (default: ${DEFAULT-VALUE}).")
    int prefillPrompts;

    @Option(names = "--prefill-length", defaultValue = "128", description = "Tokens per prefill prompt (default: ${DEFAULT-VALUE}).")
    int prefillLength;

    @Option(names = "--prompt-length", defaultValue = "16", description = "Tokens per decode prompt (default: ${DEFAULT-VALUE}).")
    int promptLength;

    @Option(names = "--new-tokens", defaultValue = "64", description = "max_new_tokens of the decode runs (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--batch", defaultValue = "32", description = "Sequences of the batched decode run (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--copy-mb", defaultValue = "1024", description = "MiB of the float[] copied to measure bandwidth (default: ${DEFAULT-VALUE}).")
    int copyMb;

    @Option(names = "--runs", defaultValue = "5", description = "Timed rounds; the medians are reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up rounds (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public void run() {
        if (runs < 1 || warmup < 0 || prefillPrompts < 1 || prefillLength < 1 || promptLength < 1 || newTokens < 2 || batch < 1
                || copyMb < 1) {
            throw new IllegalArgumentException("bench generate: --runs, --prefill-prompts, --prefill-length, --prompt-length, "
                    + "--batch and --copy-mb must be at least 1, --new-tokens at least 2, --warmup at least 0");
        }
        try {
            Path folder = Files.createTempDirectory("align4j-bench-generate");
            try {
                Gpt2BenchModels.writeRandomCheckpoint(folder, shape);
                measure(folder);
            } finally {
                Gpt2BenchModels.deleteFolder(folder);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One model's runs: the bodies of a round and what they generated. */
    private final class Runs {
        final String name;
        final CausalLM model;
        final long stepBytes;
        final List<List<List<Completion>>> results = new ArrayList<>(); // per body, its last run's completions

        Runs(String name, CausalLM model) {
            this.name = name;
            this.model = model;
            this.stepBytes = weightBytesPerStep(model);
        }

        /** Prefill, then batch-1 decode long and short, then batch decode long and short. */
        List<Runnable> bodies(List<int[]> prefill, List<int[]> prompts) {
            List<Runnable> bodies = new ArrayList<>();
            body(bodies, prefill, 1, prefill.size());
            body(bodies, prompts.subList(0, 1), newTokens, 1);
            body(bodies, prompts.subList(0, 1), 1, 1);
            body(bodies, prompts, newTokens, batch);
            body(bodies, prompts, 1, batch);
            return bodies;
        }

        private void body(List<Runnable> bodies, List<int[]> prompts, int maxNew, int maxSequences) {
            int index = results.size();
            results.add(null);
            List<Request> requests = prompts.stream().map(p -> new Request(p, SamplingParams.greedy(maxNew))).toList();
            Generator generator = new Generator(model, maxSequences); // one a body, its packed weights and buffers made in the warm-up
            bodies.add(() -> results.set(index, generator.generate(requests)));
        }

        int[] tokens(int body, int request) {
            return results.get(body).get(request).getFirst().tokenIds();
        }
    }

    private void measure(Path folder) {
        Gpt2Model f32 = Gpt2BenchModels.load(folder, LoadOptions.defaults(), "bench generate");
        Gpt2Config c = f32.config();
        if (prefillLength >= c.nPositions() || promptLength + newTokens > c.nPositions()) {
            throw new IllegalArgumentException("bench generate: --prefill-length " + prefillLength + " must be below, and "
                    + "--prompt-length + --new-tokens " + (promptLength + newTokens) + " at most, n_positions " + c.nPositions());
        }
        Runs[] models = {new Runs("float32", f32),
                new Runs("frozen bf16", Gpt2BenchModels.load(folder, LoadOptions.frozenBf16(), "bench generate"))};
        SplittableRandom rng = new SplittableRandom(7);
        List<int[]> prefill = new ArrayList<>(), prompts = new ArrayList<>();
        for (int i = 0; i < prefillPrompts; i++) prefill.add(rng.ints(prefillLength, 0, c.vocabSize()).toArray());
        for (int i = 0; i < batch; i++) prompts.add(rng.ints(promptLength, 0, c.vocabSize()).toArray());
        long copyFloats = (long) copyMb << 18;
        if (copyFloats > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("bench generate: --copy-mb must be below 8192");
        float[] src = new float[(int) copyFloats], dst = new float[(int) copyFloats];
        Arrays.fill(src, 1f);
        Arrays.fill(dst, 2f); // touched: the copy measures memory, not page faults

        System.out.printf("align4j bench generate: GPT-2, %d layers, C=%d, %d heads, V=%d; random weights N(0, 0.02) saved as BF16, "
                        + "loaded widened to float32 and frozen bf16; greedy; %d threads (load average %.1f: the machine is shared, "
                        + "times are noisy)%n", c.nLayer(), c.nEmbd(), c.nHead(), c.vocabSize(), Parallel.threads(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("  prefill: %d prompts × %d tokens, 1 new token; decode: prompts of %d tokens, %d new tokens, time minus "
                        + "that of 1 new token in the same round = %d decode steps, at batch 1 and batch %d (tokens/s counts all sequences)%n",
                prefillPrompts, prefillLength, promptLength, newTokens, newTokens - 1, batch);
        System.out.printf("  weights read per decode step: float32 %.1f MB, frozen bf16 %.1f MB (every matrix once, the tied lm head "
                + "included, biases and norms in float32; wpe and the embedding rows, one row each per token, not counted)%n",
                models[0].stepBytes / 1e6, models[1].stepBytes / 1e6);
        System.out.printf("  bandwidth: parallel copy of a %d MiB float[] over the kernel pool (%d threads), counting bytes read + "
                + "written (%d MiB per copy); and, for comparison, a parallel sum of the same array (bytes read only)%n",
                copyMb, Parallel.threads(), 2 * copyMb);
        System.out.printf("  time: median of %d rounds after %d warm-up rounds, min–max range; a round runs every body of both models "
                + "and the copy in turn; each body keeps one generator, whose first run packs its frozen weights%n%n", runs, warmup);

        List<Runnable> bodies = new ArrayList<>();
        for (Runs m : models) bodies.addAll(m.bodies(prefill, prompts));
        bodies.add(() -> copy(dst, src));
        int sumRows = (int) (copyFloats >> 18); // rows of 1 MiB
        float[] rowSums = new float[sumRows];
        bodies.add(() -> ReductionKernels.sum(rowSums, src, 0, sumRows, 1 << 18, 1));
        double[][] ms = Gpt2BenchModels.timesMs(bodies.toArray(Runnable[]::new), warmup, runs);
        int perModel = 5;

        double[] bandwidth = new double[runs]; // GB/s
        double[] readBandwidth = new double[runs]; // GB/s
        for (int r = 0; r < runs; r++) {
            bandwidth[r] = 2.0 * copyFloats * Float.BYTES / ms[bodies.size() - 2][r] / 1e6;
            readBandwidth[r] = (double) copyFloats * Float.BYTES / ms[bodies.size() - 1][r] / 1e6;
        }
        System.out.printf("%-12s %-16s %10s %19s%n", "weights", "run", "median", "min–max");
        double[] bw = Gpt2BenchModels.sorted(bandwidth);
        double[][] rates = new double[models.length][], best = new double[models.length][];
        for (int i = 0; i < models.length; i++) {
            int b0 = i * perModel;
            double[] prefillRate = new double[runs], decode1 = new double[runs], decodeB = new double[runs], read = new double[runs];
            for (int r = 0; r < runs; r++) {
                prefillRate[r] = prefillPrompts * prefillLength / (ms[b0][r] / 1e3);
                decode1[r] = decodeRate(newTokens - 1, ms[b0 + 1][r], ms[b0 + 2][r]);
                decodeB[r] = decodeRate((double) batch * (newTokens - 1), ms[b0 + 3][r], ms[b0 + 4][r]);
                read[r] = decode1[r] * models[i].stepBytes / 1e9;
            }
            rates[i] = new double[] {median(prefillRate), median(decode1), median(decodeB)};
            best[i] = new double[] {max(decode1), max(decodeB)};
            row(models[i].name, "prefill", prefillRate, "tok/s");
            row(models[i].name, "decode batch 1", decode1, "tok/s");
            row(models[i].name, "decode batch " + batch, decodeB, "tok/s (all sequences)");
            row(models[i].name, "batch-1 reads", read, "GB/s of weights");
        }
        row("", "memory copy", bandwidth, "GB/s (read + write)");
        row("", "memory read", readBandwidth, "GB/s");
        System.out.println();

        boolean sameTokens = true, invariant = true;
        for (int body = 0; body < perModel; body++) {
            for (int r = 0; r < models[0].results.get(body).size(); r++) {
                sameTokens &= Arrays.equals(models[0].tokens(body, r), models[1].tokens(body, r));
            }
        }
        for (Runs m : models) invariant &= Arrays.equals(m.tokens(1, 0), m.tokens(3, 0));
        System.out.printf("  greedy tokens float32 = frozen bf16: %s; a prompt alone = the same prompt inside batch %d: %s%n",
                sameTokens ? "yes" : "NO", batch, invariant ? "yes" : "NO");
        System.out.printf("decode_bandwidth_fraction float32 %.2f bf16 %.2f (target ≥ 0.7)%n",
                rates[0][1] * models[0].stepBytes / 1e9 / median(bw), rates[1][1] * models[1].stepBytes / 1e9 / median(bw));
        System.out.printf("decode_batch%d_vs_batch1 float32 %.1f bf16 %.1f (target ≥ 8)%n", batch,
                rates[0][2] / rates[0][1], rates[1][2] / rates[1][1]);
        System.out.printf("  batch-1 weights read against the read-only sum instead of the copy: float32 %.2f bf16 %.2f%n",
                rates[0][1] * models[0].stepBytes / 1e9 / median(readBandwidth), rates[1][1] * models[1].stepBytes / 1e9 / median(readBandwidth));
        System.out.printf("  the same from the fastest round of each (least disturbed by other load): bandwidth fraction float32 %.2f "
                        + "bf16 %.2f, batch %d / batch 1 float32 %.1f bf16 %.1f%n",
                best[0][0] * models[0].stepBytes / 1e9 / max(bandwidth), best[1][0] * models[1].stepBytes / 1e9 / max(bandwidth),
                batch, best[0][1] / best[0][0], best[1][1] / best[1][0]);
    }

    /** Bytes of weights a decode step reads: every parameter at its stored width, except the position table (one row). */
    private static long weightBytesPerStep(CausalLM model) {
        long bytes = 0;
        for (var e : model.parameters().entrySet()) {
            Tensor t = e.getValue();
            if (!e.getKey().equals("transformer.wpe.weight")) bytes += (long) t.numel() * (t.isBf16() ? 2 : Float.BYTES);
        }
        return bytes;
    }

    /** {@code dst = src}, in chunks of 4 MiB over the kernel pool. */
    private static void copy(float[] dst, float[] src) {
        Parallel.forRange(src.length, 1 << 20, (s, e) -> System.arraycopy(src, s, dst, s, e - s));
    }

    /**
     * Tokens per second of the decode steps: {@code tokens} over the long run's time minus the short
     * run's; NaN when that difference is not positive (the noise of a tiny run exceeded its decode).
     */
    private static double decodeRate(double tokens, double longMs, double shortMs) {
        return longMs > shortMs ? tokens / ((longMs - shortMs) / 1e3) : Double.NaN;
    }

    /** The largest value that is a number: a round whose decode rate is NaN (see {@link #decodeRate}) is not the fastest. */
    static double max(double[] values) {
        return Arrays.stream(values).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
    }

    private static double median(double[] values) {
        return Gpt2BenchModels.median(Gpt2BenchModels.sorted(values));
    }

    private static void row(String weights, String run, double[] values, String unit) {
        double[] s = Gpt2BenchModels.sorted(values);
        System.out.printf("%-12s %-16s %10.1f %19s  %s%n", weights, run, Gpt2BenchModels.median(s),
                String.format("%.1f–%.1f", s[0], s[s.length - 1]), unit);
    }
}
