package dev.align4j.cli.bench;

import dev.align4j.models.gpt2.Gpt2Config;
import picocli.CommandLine.Option;

/** The GPT-2 shape options the model benches share (a picocli mixin); defaults are GPT-2 small, 124M. */
final class Gpt2Shape {
    @Option(names = "--n-layer", defaultValue = "12", description = "Layers (default: ${DEFAULT-VALUE}, GPT-2 small).")
    int nLayer;

    @Option(names = "--n-embd", defaultValue = "768", description = "Width C (default: ${DEFAULT-VALUE}).")
    int nEmbd;

    @Option(names = "--n-head", defaultValue = "12", description = "Heads (default: ${DEFAULT-VALUE}).")
    int nHead;

    @Option(names = "--vocab-size", defaultValue = "50257", description = "Vocabulary V (default: ${DEFAULT-VALUE}).")
    int vocabSize;

    /** The GPT-2 config of this shape with {@code positions} positions (n_inner 4·C, gelu_new, ε 1e-5, as GPT-2). */
    Gpt2Config config(int positions) {
        return new Gpt2Config(vocabSize, positions, nEmbd, nLayer, nHead, 4 * nEmbd, 1e-5, "gelu_new");
    }
}
