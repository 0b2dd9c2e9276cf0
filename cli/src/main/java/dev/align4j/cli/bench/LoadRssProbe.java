package dev.align4j.cli.bench;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.safetensors.DType;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The child process of {@code align4j bench forward}'s memory figure: loads a model folder with its
 * matrices frozen in BF16, runs one forward so that every weight page is touched, and prints its
 * resident-set figures from {@code /proc/self/status} (Linux).
 *
 * <p>What it is: a fresh JVM, started with a fixed, pre-touched Java heap ({@code -Xms = -Xmx},
 * {@code -XX:+AlwaysPreTouch}), so the heap is resident before the baseline and the figure counts what
 * lives outside it — the mapped checkpoint and native memory — while a load that copied the weights onto
 * the heap would not fit and fail. It first loads a tiny GPT-2 the same way and runs it for the given
 * seconds, so the kernels are compiled before the baseline: not-yet-compiled Vector API code allocates
 * every vector (gigabytes over a first GPT-2 forward, measured with JFR) and its compiler memory would
 * count. Then it GCs, resets the kernel's peak counter ({@code echo 5 > /proc/self/clear_refs} sets VmHWM
 * to the current VmRSS), reads VmRSS as the baseline, loads, runs the forward and reads VmHWM, the peak
 * since. What it is not: a timer.
 *
 * <p>Output, one line: {@code baseline_kb=… peak_kb=… peak_reset=true|false}; {@code peak_reset=false}
 * when clear_refs could not be written, so the peak may be the JVM's start-up peak instead.
 */
public final class LoadRssProbe {
    private LoadRssProbe() {}

    /** {@code LoadRssProbe MODEL_DIR TOKENS WARMUP_SECONDS}. */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        int tokens = Integer.parseInt(args[1]);
        long warmupEnd = System.nanoTime() + (long) (Double.parseDouble(args[2]) * 1e9);
        Path tiny = Files.createTempDirectory("align4j-rss-warmup");
        HfModels.save(Gpt2Model.random(new Gpt2Config(256, 64, 128, 1, 2, 512, 1e-5, "gelu_new"), 1, 0.02), tiny,
                SaveOptions.defaults().withDtype(DType.BF16));
        CausalLM warm = HfModels.load(tiny, LoadOptions.frozenBf16()).model();
        do run(warm, 32); while (System.nanoTime() < warmupEnd);
        try (var files = Files.list(tiny)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        Files.delete(tiny);
        System.gc();
        boolean reset = resetPeak();
        long baseline = statusKb("VmRSS");
        run(HfModels.load(folder, LoadOptions.frozenBf16()).model(), tokens);
        System.out.println("baseline_kb=" + baseline + " peak_kb=" + statusKb("VmHWM") + " peak_reset=" + reset);
    }

    /** One no-grad forward of {@code tokens} random tokens. */
    private static void run(CausalLM model, int tokens) {
        int[] ids = new SplittableRandom(1).ints(tokens, 0, model.vocabSize()).toArray();
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            Tensor logits = model.logits(PackedBatch.of(ids));
            if (!Float.isFinite(logits.get(tokens - 1, 0))) throw new IllegalStateException("non-finite logits");
        }
    }

    private static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** A {@code kB} field of {@code /proc/self/status}. */
    static long statusKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
        }
        throw new IOException("/proc/self/status has no " + field);
    }
}
