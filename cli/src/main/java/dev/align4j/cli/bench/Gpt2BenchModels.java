package dev.align4j.cli.bench;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.safetensors.DType;
import dev.align4j.models.CausalLM;
import dev.align4j.models.gpt2.Gpt2Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * What the model benchmarks ({@code bench forward}, {@code bench generate}) share: a random GPT-2
 * checkpoint saved as BF16 in a folder, loaded back as a GPT-2 (widened to float32, or frozen BF16),
 * and timing in interleaved rounds with medians and ranges.
 *
 * <p>What it is not: a benchmark itself, or a place for a bench's own measurements.
 */
final class Gpt2BenchModels {
    private Gpt2BenchModels() {}

    /** Saves a GPT-2 with random weights N(0, 0.02), seed 1, n_positions 1024, as a BF16 checkpoint in {@code folder}. */
    static void writeRandomCheckpoint(Path folder, Gpt2Shape shape) throws IOException {
        HfModels.save(Gpt2Model.random(shape.config(1024), 1, 0.02), folder, SaveOptions.defaults().withDtype(DType.BF16));
    }

    /** Loads {@code folder} with {@code options}; it must hold a GPT-2, whose work {@code bench} counts. */
    static Gpt2Model load(Path folder, LoadOptions options, String bench) {
        try {
            CausalLM model = HfModels.load(folder, options).model();
            if (!(model instanceof Gpt2Model gpt2)) {
                throw new IllegalArgumentException(bench + ": " + folder + " holds a " + model.modelType()
                        + " model; the bench counts GPT-2's work, so give a GPT-2 folder");
            }
            return gpt2;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes of the folder's {@code .safetensors} files. */
    static long weightBytes(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            long sum = 0;
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).toList()) sum += Files.size(f);
            return sum;
        }
    }

    /** Deletes a flat folder and its files. */
    static void deleteFolder(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        Files.delete(folder);
    }

    /**
     * Each body's times in ms, in round order, over {@code runs} rounds after {@code warmup} rounds;
     * a round runs the bodies in turn, so drift on a shared machine hits them all alike.
     */
    static double[][] timesMs(Runnable[] bodies, int warmup, int runs) {
        for (int i = 0; i < warmup; i++) for (Runnable b : bodies) b.run();
        double[][] ms = new double[bodies.length][runs];
        for (int r = 0; r < runs; r++) {
            for (int b = 0; b < bodies.length; b++) {
                long start = System.nanoTime();
                bodies[b].run();
                ms[b][r] = (System.nanoTime() - start) / 1e6;
            }
        }
        return ms;
    }

    /** A sorted copy. */
    static double[] sorted(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s;
    }

    /** The median of sorted values. */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
