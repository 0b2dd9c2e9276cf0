package dev.align4j.cli;

import dev.align4j.io.hf.HfConfig;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.safetensors.DType;
import dev.align4j.io.safetensors.SafetensorsSource;
import dev.align4j.io.safetensors.TensorInfo;
import dev.align4j.models.CausalLM;
import dev.align4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code align4j inspect}: what a model folder holds — architecture, parameter count, stored dtypes,
 * tied embeddings — and what it costs in memory to run and to train.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Describe a model folder: architecture, parameters, dtypes, tied embeddings, memory estimate.")
public final class InspectCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model folder.")
    Path model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<DType, long[]> stored = new TreeMap<>(); // dtype → {tensors, elements, bytes}
        try (SafetensorsSource source = SafetensorsSource.openFolder(model)) {
            for (String name : source.names()) {
                TensorInfo info = source.info(name);
                long[] s = stored.computeIfAbsent(info.dtype(), d -> new long[3]);
                s[0]++;
                s[1] += info.numel();
                s[2] += info.byteLength();
            }
        }
        LoadedModel loaded = HfModels.load(model);
        CausalLM lm = loaded.model();
        HfConfig config = loaded.config();
        long params = 0;
        for (Tensor t : lm.parameters().values()) params += t.numel();
        boolean tied = !lm.parameters().containsKey("lm_head.weight");
        PrintWriter out = spec.commandLine().getOut();

        out.println("model:          " + model.toAbsolutePath().normalize());
        out.println("architecture:   " + lm.modelType() + (config.has("architectures") ? " " + config.json().get("architectures") : ""));
        out.printf("parameters:     %,d (%s)%n", params, human(params));
        out.println("hidden size:    " + lm.hiddenSize() + ", vocabulary " + lm.vocabSize());
        out.println("tied embeddings: " + (tied ? "yes (the output projection shares the input embedding)" : "no"));
        stored.forEach((dtype, s) -> out.printf("stored %-5s     %d tensors, %,d values, %s%n", dtype, s[0], s[1], bytes(s[2])));
        if (!loaded.ignoredTensors().isEmpty()) out.println("ignored:        " + loaded.ignoredTensors());
        out.println("memory estimate (weights only; activations grow with the batch):");
        out.printf("  inference, float32 weights:           %s%n", bytes(4 * params));
        out.printf("  inference, frozen BF16 weights:       %s%n", bytes(2 * params));
        out.printf("  full fine-tuning with AdamW (float32 weights, gradients, two moments): %s%n", bytes(16 * params));
        out.flush();
        return 0;
    }

    private static String human(long n) {
        if (n >= 1_000_000_000) return String.format("%.2fB", n / 1e9);
        if (n >= 1_000_000) return String.format("%.1fM", n / 1e6);
        if (n >= 1_000) return String.format("%.1fK", n / 1e3);
        return Long.toString(n);
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) return String.format("%.2f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format("%.1f MiB", b / (double) (1L << 20));
        return String.format("%.1f KiB", b / 1024.0);
    }
}
