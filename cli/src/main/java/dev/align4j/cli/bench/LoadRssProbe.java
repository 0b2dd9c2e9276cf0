package dev.align4j.cli.bench;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
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
 * <p>What it is: a fresh JVM, so that heap pages touched by earlier work (the float32 model of the
 * speed runs) cannot absorb the load's allocations and hide them. After a GC it resets the kernel's
 * peak counter ({@code echo 5 > /proc/self/clear_refs} sets VmHWM to the current VmRSS) and reads
 * VmRSS as the baseline; after the load and the forward it reads VmHWM, the peak since. Both count
 * every resident page: heap, native memory, and the mapped file's pages. What it is not: a timer.
 *
 * <p>Output, one line: {@code baseline_kb=… peak_kb=… peak_reset=true|false}; {@code peak_reset=false}
 * when clear_refs could not be written, so the peak may be the JVM's start-up peak instead.
 */
public final class LoadRssProbe {
    private LoadRssProbe() {}

    /** {@code LoadRssProbe MODEL_DIR TOKENS}. */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args[0]);
        int tokens = Integer.parseInt(args[1]);
        System.gc();
        boolean reset = resetPeak();
        long baseline = statusKb("VmRSS");
        CausalLM model = HfModels.load(folder, LoadOptions.frozenBf16()).model();
        int[] ids = new SplittableRandom(1).ints(tokens, 0, model.vocabSize()).toArray();
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            Tensor logits = model.logits(PackedBatch.of(ids));
            if (!Float.isFinite(logits.get(tokens - 1, 0))) throw new IllegalStateException("non-finite logits");
        }
        System.out.println("baseline_kb=" + baseline + " peak_kb=" + statusKb("VmHWM") + " peak_reset=" + reset);
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
