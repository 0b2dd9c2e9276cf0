package dev.align4j.eval;

import dev.align4j.generate.text.TextModel;
import dev.align4j.io.Fixtures;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the eval tests share: the real stories260K model (llama2.c's TinyStories model from
 * {@code shared/fixtures}; tests skip with a message when the fixtures are absent), a context
 * around it, task configs, and an independent log-likelihood: one plain forward pass of the whole
 * sequence, no packing, no prefix sharing, summed in double.
 */
final class EvalTesting {
    private EvalTesting() {}

    static TextModel stories() throws IOException {
        return TextModel.load(Fixtures.path("models/stories260K"), LoadOptions.defaults());
    }

    static EvalContext context(TextModel model) {
        return new EvalContext(model, EvalContext.Options.DEFAULT, EvalProgress.NONE, null, null, null, null);
    }

    static TaskConfig task(String name, String type, Path data) {
        TaskConfig c = new TaskConfig();
        c.task = name;
        c.outputType = type;
        c.datasetPath = data.toString();
        c.validate("test");
        return c;
    }

    static Path jsonl(Path dir, String name, String... lines) throws IOException {
        return Files.write(dir.resolve(name), List.of(lines));
    }

    /** Σ log p(sequence[t] | sequence[..t]) for t in [from, sequence.length), from one unpacked forward pass. */
    static double logLikelihood(CausalLM model, int[] sequence, int from) {
        PackedBatch batch = PackedBatch.of(sequence);
        float[] lp;
        try (var g = Autograd.noGrad()) {
            lp = model.tokenLogProbs(batch, batch.nextTokenLabels()).toArray();
        }
        double sum = 0;
        for (int t = from; t < sequence.length; t++) sum += lp[t - 1];
        return sum;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
