package dev.align4j.io.hf;

import dev.align4j.models.CausalLM;

import java.nio.file.Path;
import java.util.Map;

/**
 * A model loaded from a Hugging Face folder, with the {@code config.json} it was built from.
 *
 * <p>What it is: what {@link HfModels#load} returns, so that {@link HfModels#save(LoadedModel, Path, SaveOptions)}
 * writes back every field of the original config (token ids, generation settings, fields align4j does
 * not read). What it is not: a handle on the files (float32 weights were copied into the model and the files
 * closed; frozen BF16 matrices read from BF16 files view the files' mappings, which the garbage collector
 * releases with the model) nor the tokenizer ({@code dev.align4j.io.tokenizer.Tokenizer#load} reads that from the same folder).
 *
 * @param model          the model, its parameters in float32, or its matrices frozen in BF16 ({@link LoadOptions})
 * @param config         the folder's {@code config.json}, whole
 * @param folder         where it was loaded from
 * @param ignoredTensors stored tensors that were not loaded, each with the reason (GPT-2's mask buffers,
 *                       a tied {@code lm_head.weight}, ...)
 */
public record LoadedModel(CausalLM model, HfConfig config, Path folder, Map<String, String> ignoredTensors) {
    public LoadedModel {
        ignoredTensors = Map.copyOf(ignoredTensors);
    }
}
