package dev.align4j.cli.bench;

import dev.align4j.tensor.kernels.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench peft}: LoRA training steps on a frozen base kept in float32, in BF16 and in
 * NF4 (QLoRA), each run in a fresh JVM ({@link PeftStepProbe}) so that peak resident memory is its
 * own: peak RSS and tokens/s, one row per base.
 *
 * <p>What it is: by default Qwen2.5-0.5B's shapes (hidden 896, intermediate 4864, 24 layers, 14
 * heads, 2 key/value heads, vocabulary 151936, tied embeddings, q/k/v biases; 494M parameters) with
 * random weights, LoRA r = 16 (alpha 32, dropout 0.05) on all linear layers, gradient checkpointing,
 * one packed batch of 4 × 128 = 512 tokens: forward, backward and an AdamW step on the adapters. The
 * three bases hold the same values before rounding: {@code f32} every tensor float32; {@code bf16}
 * every matrix frozen BF16 ({@code LoadOptions.frozenBf16()}); {@code nf4} the linear layers NF4 with
 * double quantisation, the rest float32 ({@code load_in_4bit} with TRL's defaults). The children build the base tensor by
 * tensor in its final storage, never a whole float32 model. tokens/s is the batch over the median
 * step after one untimed step; peak RSS is the child's VmHWM after its kernel warm-up and peak reset
 * (so it includes the JVM's baseline, the build and the steps). A JVM's resident heap is whatever
 * its collector lets the heap grow to, not what the run needs; so each child runs under a heap cap
 * with a compacting collector and a small young generation, starting at the base's stored size plus
 * {@code --headroom-mb} and growing by a quarter after each run that runs out of heap: the row
 * reports the cap that sufficed and the peak RSS under it. Target: the NF4 run peaks under 1.5 GB. What it is not: a comparison with PyTorch (no reference is run) or a training run (random
 * data, no schedule). The machine is shared: times are noisy; memory is not.
 */
@Command(name = "peft",
        mixinStandardHelpOptions = true,
        description = "LoRA training steps on a Qwen2.5-0.5B-shaped random model with a float32, a BF16 and an NF4 (QLoRA) "
                + "base, each in a fresh JVM: peak RSS and tokens/s.")
public final class PeftBench implements Runnable {

    @Option(names = "--hidden", defaultValue = "896", description = "hidden_size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--intermediate", defaultValue = "4864", description = "intermediate_size (default: ${DEFAULT-VALUE}).")
    int intermediate;

    @Option(names = "--layers", defaultValue = "24", description = "num_hidden_layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "14", description = "num_attention_heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "2", description = "num_key_value_heads (default: ${DEFAULT-VALUE}).")
    int kvHeads;

    @Option(names = "--vocab", defaultValue = "151936", description = "vocab_size (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--sequences", defaultValue = "4", description = "Packed sequences (default: ${DEFAULT-VALUE}).")
    int sequences;

    @Option(names = "--length", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--lora-r", defaultValue = "16", description = "LoRA rank on every linear layer (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--steps", defaultValue = "2", description = "Timed steps after one untimed step; the median is reported "
            + "(default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--bases", defaultValue = "f32,bf16,nf4", split = ",",
            description = "The bases to run, each in its own JVM (default: ${DEFAULT-VALUE}).")
    List<String> bases;

    @Option(names = "--headroom-mb", defaultValue = "512", description = "The first heap cap tried: the base's stored size plus this "
            + "many MB (default: ${DEFAULT-VALUE}).")
    int headroomMb;

    @Option(names = "--max-heap-mb", defaultValue = "8192", description = "The largest heap cap tried (default: ${DEFAULT-VALUE}).")
    int maxHeapMb;

    @Option(names = "--warmup-seconds", defaultValue = "3",
            description = "Seconds each child warms the kernels up on a tiny model before its peak reset (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    private static final Pattern LINE = Pattern.compile("base=(\\S+) build_s=(\\S+) base_mb=(\\S+) step_ms=(\\S+) gc_ms_per_step=(\\d+) "
            + "tokens_per_s=(\\S+) loss_first=(\\S+) loss_last=(\\S+) peak_kb=(\\d+) peak_reset=(true|false)");

    @Override
    public void run() {
        if (steps < 1 || sequences < 1 || length < 1 || rank < 1 || headroomMb < 64 || maxHeapMb < 128 || warmupSeconds < 0
                || hidden % heads != 0) {
            throw new IllegalArgumentException("bench peft: --steps, --sequences, --length and --lora-r must be at least 1, "
                    + "--headroom-mb at least 64, --max-heap-mb at least 128, --warmup-seconds at least 0, and --hidden a multiple "
                    + "of --heads");
        }
        for (String b : bases) {
            if (!List.of("f32", "bf16", "nf4").contains(b)) {
                throw new IllegalArgumentException("bench peft: --bases takes f32, bf16 and nf4, got " + b);
            }
        }
        if (!Files.isReadable(Path.of("/proc/self/status"))) {
            throw new IllegalStateException("bench peft: peak RSS needs Linux's /proc/self/status");
        }
        long params = matrices(false) + matrices(true) + vectors();
        System.out.printf("align4j bench peft: Qwen2-layout model, hidden %d, intermediate %d, %d layers, %d heads (%d kv), vocab %d, "
                        + "tied embeddings: %.1fM parameters, random N(0, 0.02); LoRA r=%d alpha=%d dropout 0.05 on all %d linear "
                        + "layers, gradient checkpointing; one packed batch of %d × %d = %d tokens: forward + backward + AdamW on "
                        + "the adapters; %d threads (load average %.1f: the machine is shared, times are noisy)%n",
                hidden, intermediate, layers, heads, kvHeads, vocab, params / 1e6, rank, 2 * rank, 7 * layers, sequences, length,
                sequences * length, Parallel.threads(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("  each base in a fresh JVM (%s, heap cap -Xmx: the base's stored size + %d MB, then × %.2f until the run "
                + "completes without running out of heap): built tensor by tensor in its final storage, kernels warmed up %.0f s "
                + "on a tiny model, peak RSS reset, then the build and 1 + %d steps; peak RSS = VmHWM since the reset (JVM "
                + "baseline included); tokens/s = tokens / median timed step, GC time included (shown apart)%n", String.join(" ", GC),
                headroomMb, GROWTH,
                warmupSeconds, steps);
        System.out.println("  f32: every tensor float32; bf16: every matrix frozen BF16 (embedding/tied head included); nf4: linear "
                + "layers NF4 + double quantisation (blocks of 64, absmax in 8 bits), the rest float32; log-probs through the "
                + "tied head a chunk of tokens at a time, as SftTrainer under LoRA\n");
        System.out.printf("%-6s %9s %12s %8s %16s %12s %10s %13s %18s%n", "base", "base MB", "heap cap MB", "build s", "step ms",
                "GC ms/step", "tokens/s", "peak RSS MB", "loss first → last");
        double nf4PeakMb = -1;
        for (String base : bases) {
            int cap = (int) (storedBytes(base) / (1 << 20)) + headroomMb;
            String out;
            while ((out = runChild(base, cap)) == null) {
                if (cap >= maxHeapMb) {
                    throw new IllegalStateException("bench peft: the " + base + " run ran out of heap at the largest cap, "
                            + maxHeapMb + " MB; raise --max-heap-mb");
                }
                cap = Math.min(maxHeapMb, (int) Math.ceil(cap * GROWTH));
            }
            Matcher m = LINE.matcher(out);
            if (!m.find()) throw new IllegalStateException("bench peft: the " + base + " run printed no result:\n" + out);
            double peakMb = Long.parseLong(m.group(9)) * 1024 / 1e6;
            System.out.printf("%-6s %9s %12d %8s %16s %12s %10s %13.0f %18s%s%n", base, m.group(3), cap, m.group(2), m.group(4),
                    m.group(5), m.group(6), peakMb, m.group(7) + " → " + m.group(8),
                    m.group(10).equals("true") ? "" : "  (peak not reset: may be the JVM start-up's)");
            if (base.equals("nf4")) nf4PeakMb = peakMb;
        }
        if (nf4PeakMb >= 0) System.out.printf("%npeft_nf4_peak_rss_mb %.0f (target < 1500)%n", nf4PeakMb);
    }

    /** The children's collector: one that compacts, with a small young generation, so the heap cap bounds what is resident. */
    private static final List<String> GC = List.of("-XX:+UseSerialGC", "-Xmn64m");
    /** Growth of the heap cap after a run that ran out of heap. */
    private static final double GROWTH = 1.25;

    /** Weights of the linear layers ({@code linear}), or of the embedding (tied to the head). */
    private long matrices(boolean linear) {
        long q = (long) heads * (hidden / heads), kv = (long) kvHeads * (hidden / heads);
        return linear ? layers * (2 * hidden * q + 2 * hidden * kv + 3L * hidden * intermediate) : (long) vocab * hidden;
    }

    /** Norm weights and q/k/v biases. */
    private long vectors() {
        long q = (long) heads * (hidden / heads), kv = (long) kvHeads * (hidden / heads);
        return layers * (2L * hidden + q + 2 * kv) + hidden;
    }

    /** Bytes the base holds in {@code base} storage (4-bit: codes, one 8-bit scale a block of 64, a float per 256 blocks). */
    private long storedBytes(String base) {
        long linear = matrices(true), embedding = matrices(false), vectors = vectors();
        return switch (base) {
            case "f32" -> 4 * (linear + embedding + vectors);
            case "bf16" -> 2 * (linear + embedding) + 4 * vectors;
            default -> linear / 2 + linear / 64 + linear / 16384 * 4 + 4 * (embedding + vectors);
        };
    }

    /** The child's output, or null when it ran out of heap under {@code capMb}. */
    private String runChild(String base, int capMb) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Dalign4j.")) cmd.add(arg);
        }
        cmd.addAll(GC);
        cmd.add("-Xmx" + capMb + "m");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PeftStepProbe.class.getName(), base,
                String.valueOf(hidden), String.valueOf(intermediate), String.valueOf(layers), String.valueOf(heads),
                String.valueOf(kvHeads), String.valueOf(vocab), String.valueOf(sequences), String.valueOf(length),
                String.valueOf(rank), String.valueOf(steps), String.valueOf(warmupSeconds)));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0) return out;
            if (out.contains("java.lang.OutOfMemoryError")) return null;
            throw new IllegalStateException("bench peft: the " + base + " run exited with " + p.exitValue() + ":\n" + out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench peft: interrupted while waiting for the " + base + " run", e);
        }
    }
}
