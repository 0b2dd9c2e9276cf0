package dev.align4j.cli.bench;

import dev.align4j.io.hf.LoadOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.Gemm;
import dev.align4j.tensor.kernels.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench forward}: the speed of a no-grad forward pass of a GPT-2-shaped model over
 * packed tokens, with float32 and with frozen BF16 weights, against the engine's own GEMM rate; and
 * the peak resident memory of loading a BF16 checkpoint with its matrices frozen in BF16.
 *
 * <p>What it is: a random GPT-2 (124M shapes by default) saved as a BF16 checkpoint in a temporary
 * folder (or the folder of {@code --checkpoint}), loaded twice — widened to float32, and frozen BF16
 * (read in place from the mapped file) — and timed on the same batch, logits included (medians after
 * warm-up, the two and the reference taking turns); both see the same weight values, so their logits
 * must be bit-identical, which is checked. The reference is {@link Gemm#sgemm} timed on the model's
 * largest product in the same rounds;
 * the forward's rate counts {@code 2·(matmul weights)·tokens} plus the causal attention's
 * {@code 2·C·S(S+1)} per layer and sequence of S tokens, and the ratio of the two rates is the
 * bench's ratio line. The memory figure comes from a fresh JVM ({@link LoadRssProbe}, whose Javadoc
 * explains its fixed heap and warm-up): peak RSS over its baseline while loading frozen and running one
 * short forward, divided by the checkpoint's size (target ≤ 1.2). What it is not: a training benchmark (no backward) or a comparison with another
 * library.
 */
@Command(name = "forward",
        mixinStandardHelpOptions = true,
        description = "No-grad forward of a GPT-2-shaped random model over packed tokens, float32 vs frozen BF16 weights, "
                + "as a fraction of the engine's GEMM rate; peak RSS of loading a BF16 checkpoint frozen.")
public final class ForwardBench implements Runnable {

    @Mixin
    Gpt2Shape shape;

    @Option(names = "--sequences", defaultValue = "4", description = "Packed sequences (default: ${DEFAULT-VALUE}).")
    int sequences;

    @Option(names = "--length", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--checkpoint", description = "A GPT-2 model folder to load instead of a random BF16 one "
            + "(its matrices are read in place only when stored as BF16).")
    Path checkpoint;

    @Option(names = "--runs", defaultValue = "7", description = "Timed rounds; the medians are reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up rounds (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rss-tokens", defaultValue = "64",
            description = "Tokens of the forward that touches every weight page in the memory run (default: ${DEFAULT-VALUE}).")
    int rssTokens;

    @Option(names = "--rss-heap-mb", defaultValue = "256",
            description = "The memory run's fixed, pre-touched Java heap in MB (default: ${DEFAULT-VALUE}).")
    int rssHeapMb;

    @Option(names = "--rss-warmup-seconds", defaultValue = "4",
            description = "Seconds the memory run warms the kernels up on a tiny model before its baseline (default: ${DEFAULT-VALUE}).")
    double rssWarmupSeconds;

    private static final Pattern PROBE = Pattern.compile("baseline_kb=(\\d+) peak_kb=(\\d+) peak_reset=(true|false)");

    @Override
    public void run() {
        if (runs < 1 || warmup < 0 || sequences < 1 || length < 1 || rssTokens < 1 || rssHeapMb < 1 || rssWarmupSeconds < 0) {
            throw new IllegalArgumentException("bench forward: --runs, --sequences, --length, --rss-tokens and --rss-heap-mb "
                    + "must be at least 1, --warmup and --rss-warmup-seconds at least 0");
        }
        try {
            Path folder = checkpoint != null ? checkpoint : Files.createTempDirectory("align4j-bench-forward");
            try {
                if (checkpoint == null) Gpt2BenchModels.writeRandomCheckpoint(folder, shape);
                measure(folder);
            } finally {
                if (checkpoint == null) Gpt2BenchModels.deleteFolder(folder);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void measure(Path folder) throws IOException {
        long fileBytes = Gpt2BenchModels.weightBytes(folder);
        Gpt2Model model = Gpt2BenchModels.load(folder, LoadOptions.defaults(), "bench forward");
        Gpt2Config c = model.config();
        if (length > c.nPositions() || rssTokens > c.nPositions()) {
            throw new IllegalArgumentException("bench forward: --length " + length + " and --rss-tokens " + rssTokens
                    + " must not exceed n_positions " + c.nPositions());
        }
        int tokens = sequences * length, C = c.nEmbd(), V = c.vocabSize();
        long matmulWeights = (long) c.nLayer() * (4L * C * C + 2L * C * c.nInner()) + (long) V * C; // blocks + tied head
        double flops = 2.0 * matmulWeights * tokens + 2.0 * C * c.nLayer() * sequences * length * (length + 1.0);
        PackedBatch batch = batch(tokens, V);

        System.out.printf("align4j bench forward: GPT-2, %d layers, C=%d, %d heads, V=%d; %s, %d × %d = %d packed tokens, "
                        + "no grad, logits included; %d threads (load average %.1f: the machine is shared, times are noisy)%n",
                c.nLayer(), C, c.nHead(), V, checkpoint == null ? "random weights N(0, 0.02) saved as BF16" : folder.toString(),
                sequences, length, tokens, Parallel.threads(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("  checkpoint: %.1f MB of weights; both runs load it: float32 = widened on load, "
                + "frozen bf16 = matrices read in place from the mapped file and widened block by block inside the kernels%n", fileBytes / 1e6);
        System.out.printf("  work per forward: 2 × %.1fM matmul weights × %d tokens + causal attention 2·C·S(S+1) per layer "
                + "and sequence = %.1f GFLOP%n", matmulWeights / 1e6, tokens, flops / 1e9);
        System.out.printf("  time: median of %d rounds after %d warm-up rounds; a round runs the float32 forward, the frozen bf16 "
                + "forward and the gemm reference in turn, so drift on the shared machine hits all three alike%n%n", runs, warmup);

        CausalLM bf16Model = Gpt2BenchModels.load(folder, LoadOptions.frozenBf16(), "bench forward");
        Product largest = Product.largest(tokens, C, c.nInner(), V);
        float[][] logits = new float[2][];
        Runnable[] bodies = {
            () -> logits[0] = forward(model, batch),
            () -> logits[1] = forward(bf16Model, batch),
            largest.product()};
        double[][] ms = Gpt2BenchModels.timesMs(bodies, warmup, runs);
        for (int b = 0; b < ms.length; b++) ms[b] = Gpt2BenchModels.sorted(ms[b]);
        double f32Ms = Gpt2BenchModels.median(ms[0]), bf16Ms = Gpt2BenchModels.median(ms[1]);
        boolean identical = Arrays.equals(logits[0], logits[1]);
        double gemmGflops = 2.0 * largest.m() * largest.n() * largest.k() / Gpt2BenchModels.median(ms[2]) / 1e6;

        System.out.printf("%-16s %10s %17s %10s %9s %8s%n", "weights", "median ms", "min–max ms", "tokens/s", "GFLOP/s", "vs gemm");
        row("float32", ms[0], tokens, flops, gemmGflops);
        row("frozen bf16", ms[1], tokens, flops, gemmGflops);
        row("gemm reference", ms[2], 0, 2.0 * largest.m() * largest.n() * largest.k(), gemmGflops);
        System.out.println("  gemm reference: " + largest.describe());
        System.out.printf("  frozen bf16 / float32 time: %.2f×; logits bit-identical: %s%n", bf16Ms / f32Ms, identical ? "yes" : "NO");
        System.out.printf("forward_gflops_vs_gemm float32 %.2f bf16 %.2f%n%n",
                flops / f32Ms / 1e6 / gemmGflops, flops / bf16Ms / 1e6 / gemmGflops);
        peakRss(folder, fileBytes);
    }

    /** A table row from sorted times: the median and the range in ms, tokens/s (when {@code tokens} > 0), GFLOP/s at the median. */
    private static void row(String name, double[] sortedMs, int tokens, double flops, double gemmGflops) {
        double ms = Gpt2BenchModels.median(sortedMs), gflops = flops / ms / 1e6;
        System.out.printf("%-16s %10.1f %17s %10s %9.1f %8.2f%n", name, ms,
                String.format("%.0f–%.0f", sortedMs[0], sortedMs[sortedMs.length - 1]),
                tokens > 0 ? String.format("%.0f", tokens / (ms / 1e3)) : "", gflops, gflops / gemmGflops);
    }

    /** The memory run, in a fresh JVM ({@link LoadRssProbe}). */
    private void peakRss(Path folder, long fileBytes) throws IOException {
        System.out.printf("memory: a fresh JVM with a fixed, pre-touched %d MB heap (resident in the baseline; weights copied onto it "
                + "would not fit) warms the kernels up for %.0f s on a tiny model, GCs, resets its peak RSS "
                + "(echo 5 > /proc/self/clear_refs) and reads VmRSS as the baseline, loads the checkpoint frozen BF16, runs one "
                + "forward of %d tokens (every weight page touched, activations small), then reads the peak VmHWM%n",
                rssHeapMb, rssWarmupSeconds, rssTokens);
        if (!Files.isReadable(Path.of("/proc/self/status"))) {
            System.out.println("  not measured: needs Linux's /proc/self/status");
            return;
        }
        String out = runProbe(folder);
        Matcher m = PROBE.matcher(out);
        if (!m.find()) throw new IllegalStateException("bench forward: the memory probe failed:\n" + out);
        long baseline = Long.parseLong(m.group(1)) * 1024, peak = Long.parseLong(m.group(2)) * 1024;
        System.out.printf("  baseline %.1f MB, peak %.1f MB, peak − baseline %.1f MB, checkpoint %.1f MB%s%n", baseline / 1e6,
                peak / 1e6, (peak - baseline) / 1e6, fileBytes / 1e6,
                m.group(3).equals("true") ? "" : " (the peak could not be reset: it may be the JVM's start-up peak)");
        System.out.printf("peak_rss_over_baseline_vs_file %.3f (target ≤ 1.2)%n", (double) (peak - baseline) / fileBytes);
    }

    private String runProbe(Path folder) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:") || arg.startsWith("-Dalign4j.")) cmd.add(arg);
        }
        cmd.addAll(List.of("-Xms" + rssHeapMb + "m", "-Xmx" + rssHeapMb + "m", "-XX:+AlwaysPreTouch"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadRssProbe.class.getName(), folder.toString(),
                String.valueOf(rssTokens), String.valueOf(rssWarmupSeconds)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) throw new IllegalStateException("bench forward: the memory probe exited with " + p.exitValue() + ":\n" + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench forward: interrupted while waiting for the memory probe", e);
        }
        return out;
    }

    /** The GEMM reference: one product of the model, {@code (m, k)·op(B)} with B stored (n, k) when {@code transB}. */
    private record Product(int m, int n, int k, boolean transB, String what) {

        /** The largest of the model's products by work: the tied lm head or the MLP's. */
        static Product largest(int tokens, int c, int inner, int vocab) {
            return (long) vocab * c >= (long) inner * c
                    ? new Product(tokens, vocab, c, true, "the tied lm head")
                    : new Product(tokens, inner, c, false, "the MLP's c_fc");
        }

        /** {@link Gemm#sgemm} on this shape, inputs seeded, output preallocated. */
        Runnable product() {
            float[] a = Tensor.randn(1, m, k).storage(), b = Tensor.randn(2, n, k).storage(), c = new float[m * n];
            return () -> Gemm.sgemm(false, transB, m, n, k, a, 0, k, b, 0, transB ? k : n, c, 0, n, false);
        }

        String describe() {
            return "Gemm.sgemm on the largest product, " + what + ": (" + m + "×" + k + ")·(" + k + "×" + n + ")";
        }
    }

    /** The logits (T, V) of a no-grad forward. */
    private static float[] forward(CausalLM model, PackedBatch batch) {
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            return model.logits(batch).storage();
        }
    }

    /** {@code sequences} random sequences of {@code length} tokens, packed. */
    private PackedBatch batch(int tokens, int vocab) {
        SplittableRandom rng = new SplittableRandom(7);
        List<int[]> seqs = new ArrayList<>();
        for (int s = 0; s < sequences; s++) seqs.add(rng.ints(length, 0, vocab).toArray());
        return PackedBatch.of(seqs);
    }
}
