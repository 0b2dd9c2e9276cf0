package dev.align4j.cli;

import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.SamplingOptions;
import dev.align4j.generate.text.TextModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/**
 * The sampling and model flags that {@code generate} and {@code chat} share (a picocli mixin), under
 * vLLM's and transformers' names. An unset flag takes the model's generation_config.json default,
 * then vLLM's; {@code --temperature 0} is greedy decoding.
 */
final class SamplingFlags {
    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, weights, tokenizer).")
    Path model;

    @Option(names = "--adapter", description = "A PEFT LoRA adapter folder to generate with, on the model.")
    Path adapter;

    @Option(names = "--temperature", description = "Sampling temperature, >= 0; 0 is greedy (default: the model's "
            + "generation_config.json, else 1).")
    Double temperature;

    @Option(names = "--top-k", description = "Keep the k most likely tokens; 0 keeps all.")
    Integer topK;

    @Option(names = "--top-p", description = "Nucleus sampling: keep the most likely tokens up to this probability, in (0, 1].")
    Double topP;

    @Option(names = "--min-p", description = "Drop tokens less likely than min-p times the most likely one, in [0, 1].")
    Double minP;

    @Option(names = "--repetition-penalty", description = "CTRL repetition penalty, > 0; 1 is off.")
    Double repetitionPenalty;

    @Option(names = "--seed", defaultValue = "0", description = "Seed: completion i of a prompt samples with seed + i, "
            + "the same tokens alone or in any batch (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-new-tokens", description = "Most tokens per completion (default: the model's "
            + "generation_config.json, else 256).")
    Integer maxNewTokens;

    @Option(names = "--stop", description = "A stop string (repeatable): the completion ends before it.")
    List<String> stop = List.of();

    @Option(names = "--max-num-seqs", defaultValue = "32", description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
    int maxNumSeqs;

    /** Completions per prompt ({@code n}); {@code chat} always asks for one. */
    SamplingParams params(TextModel model, int n) {
        SamplingOptions o = new SamplingOptions();
        o.n = n;
        o.maxNewTokens = maxNewTokens;
        o.temperature = temperature;
        o.topK = topK;
        o.topP = topP;
        o.minP = minP;
        o.repetitionPenalty = repetitionPenalty;
        o.seed = seed;
        return o.resolve(model.generation(), 256, model.stopTokenIds());
    }
}
