package dev.align4j.models;

import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.Map;

/**
 * A causal language model over packed batches: what every trainer, the generation engine and the
 * evaluators hold.
 *
 * <p>What it is: the hidden states and the output projection, separately, so heads (value head,
 * score head) can read the hidden states and losses can take fused per-token log-probs. What it is
 * not: a tokenizer, a sampler, or a loader — those are other layers. The cached forward
 * ({@link #hiddenStates(PackedBatch, KvCache, int[])}) runs the same layer code as the training one,
 * only its attention step reads and extends a {@link KvCache} ({@link LayerAttention}). Parameters are named as in the
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

    /**
     * The linear layers of the transformer blocks by module path, in order: where LoRA adapters
     * attach. The output head is not among them (PEFT's "all-linear" leaves it out too).
     */
    Map<String, Linear> linearLayers();

    /** The longest sequence the model takes, in tokens: n_positions or max_position_embeddings. */
    int contextLength();

    /** An empty {@link KvCache} shaped for this model's layers and key/value heads. */
    KvCache newKvCache();

    /**
     * Gradient checkpointing (transformers' {@code gradient_checkpointing_enable}): when on, training
     * forward passes keep only each layer's input and recompute the layer during backward
     * ({@link dev.align4j.tensor.Autograd#checkpoint}); gradients are unchanged.
     */
    void gradientCheckpointing(boolean enabled);

    /** The final hidden states after the last norm: (T, C). */
    Tensor hiddenStates(PackedBatch batch);

    /**
     * The final hidden states (T, C) of new tokens: segment {@code s} of {@code batch} continues the
     * sequence cached in {@code slots[s]} (its positions start at that slot's length), and every
     * layer's keys and values of the new tokens are appended to the cache. Without gradients: run
     * it inside {@code Autograd.noGrad()}.
     */
    Tensor hiddenStates(PackedBatch batch, KvCache cache, int[] slots);

    /** The output projection: hidden (T, C) → logits (T, V). */
    Tensor lmHead(Tensor hidden);

    /** Logits (T, V) for every token of the batch. */
    default Tensor logits(PackedBatch batch) {
        return lmHead(hiddenStates(batch));
    }

    /**
     * Logits (S, V) of the last new token of each of the S sequences — the rows sampling needs,
     * after a prefill (many tokens of a sequence) or a decode step (one token each) — extending the
     * cache as {@link #hiddenStates(PackedBatch, KvCache, int[])} does.
     */
    default Tensor logits(PackedBatch batch, KvCache cache, int[] slots) {
        Tensor hidden = hiddenStates(batch, cache, slots); // (T, C)
        int[] last = new int[slots.length];
        for (int s = 0; s < last.length; s++) last[s] = batch.segments().end(s) - 1;
        return lmHead(ShapeOps.indexSelect(hidden, 0, last));
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
