package dev.align4j.models;

import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.Tensor;

import java.util.Map;

/**
 * A causal language model over packed batches: what every trainer, the generation engine and the
 * evaluators hold.
 *
 * <p>What it is: the hidden states and the output projection, separately, so heads (value head,
 * score head) can read the hidden states and losses can take fused per-token log-probs. What it is
 * not: a tokenizer, a sampler, or a loader — those are other layers. Parameters are named as in the
 * Hugging Face checkpoint, so a saved model loads in transformers.
 */
public interface CausalLM {

    /** The Hugging Face {@code model_type}: "gpt2", "llama", "qwen2", "qwen3", "mistral". */
    String modelType();

    int vocabSize();

    int hiddenSize();

    /**
     * Every parameter by its Hugging Face name, in checkpoint order. A tied output embedding
     * appears once, under the input embedding's name.
     */
    Map<String, Tensor> parameters();

    /** The final hidden states after the last norm: (T, C). */
    Tensor hiddenStates(PackedBatch batch);

    /** The output projection: hidden (T, C) → logits (T, V). */
    Tensor lmHead(Tensor hidden);

    /** Logits (T, V) for every token of the batch. */
    default Tensor logits(PackedBatch batch) {
        return lmHead(hiddenStates(batch));
    }

    /**
     * {@code log p(labels[t] | tokens[..t])} for each token (T), fused so no (T, V) log-prob matrix is
     * kept; a label of {@link PackedBatch#IGNORE} gives 0 and no gradient. With
     * {@link PackedBatch#nextTokenLabels()} these are the next-token log-probs.
     */
    default Tensor tokenLogProbs(PackedBatch batch, int[] labels) {
        return LogProbs.tokenLogProbs(logits(batch), labels, PackedBatch.IGNORE);
    }
}
