package dev.align4j.models.llama;

import dev.align4j.tensor.Rope;

/**
 * The Llama family's hyper-parameters under the names of its {@code config.json}, with the switches
 * that tell the family's members apart.
 *
 * <p>Llama ({@code attention_bias} on all four projections, {@code mlp_bias}), Qwen2 (biases on q, k,
 * v only), Qwen3 (per-head RMSNorm on q and k, explicit {@code head_dim}), Mistral (Llama's layout
 * with an optional {@code sliding_window}); SmolLM checkpoints are {@code llama}. Based on
 * transformers' {@code configuration_llama.py}, {@code _qwen2}, {@code _qwen3}, {@code _mistral}.
 *
 * @param modelType             model_type
 * @param vocabSize             vocab_size
 * @param hiddenSize            hidden_size: the width C
 * @param intermediateSize      intermediate_size: the MLP width
 * @param numHiddenLayers       num_hidden_layers
 * @param numAttentionHeads     num_attention_heads
 * @param numKeyValueHeads      num_key_value_heads (grouped-query attention)
 * @param headDim               head_dim (hidden_size / num_attention_heads when the config has none)
 * @param rmsNormEps            rms_norm_eps
 * @param ropeTheta             rope_theta
 * @param ropeScaling           rope_scaling
 * @param maxPositionEmbeddings max_position_embeddings
 * @param tieWordEmbeddings     tie_word_embeddings: lm_head shares embed_tokens
 * @param qkvBias               biases on q_proj, k_proj, v_proj (Llama's attention_bias; always for Qwen2)
 * @param oBias                 a bias on o_proj (Llama's attention_bias; never for Qwen2)
 * @param mlpBias               mlp_bias
 * @param qkNorm                Qwen3's q_norm and k_norm
 * @param slidingWindow         Mistral's sliding_window, or 0 for none
 */
public record LlamaConfig(String modelType, int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps, double ropeTheta,
                          RopeScaling ropeScaling, int maxPositionEmbeddings, boolean tieWordEmbeddings,
                          boolean qkvBias, boolean oBias, boolean mlpBias, boolean qkNorm, int slidingWindow) {

    public LlamaConfig {
        positive(modelType, "vocab_size", vocabSize);
        positive(modelType, "hidden_size", hiddenSize);
        positive(modelType, "intermediate_size", intermediateSize);
        positive(modelType, "num_hidden_layers", numHiddenLayers);
        positive(modelType, "num_attention_heads", numAttentionHeads);
        positive(modelType, "num_key_value_heads", numKeyValueHeads);
        positive(modelType, "head_dim", headDim);
        positive(modelType, "max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException(modelType + " config: num_attention_heads " + numAttentionHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException(modelType + " config: head_dim " + headDim + " must be even for RoPE");
        if (!(rmsNormEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException(modelType + " config: rms_norm_eps and rope_theta must be > 0");
        }
        if (slidingWindow < 0) throw new IllegalArgumentException(modelType + " config: sliding_window must be >= 0");
        if (ropeScaling == null) ropeScaling = RopeScaling.NONE;
    }

    /** The same config with the output projection tied to the input embedding or not. */
    public LlamaConfig withTieWordEmbeddings(boolean tie) {
        return new LlamaConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim,
                rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, tie, qkvBias, oBias, mlpBias, qkNorm, slidingWindow);
    }

    /** A small Llama-architecture config for tests and examples. */
    public static LlamaConfig tiny(String modelType, int vocab, int hidden, int layers, int heads, int kvHeads) {
        boolean qwen2 = modelType.equals("qwen2");
        return new LlamaConfig(modelType, vocab, hidden, hidden * 8 / 3, layers, heads, kvHeads, hidden / heads, 1e-6, Rope.DEFAULT_THETA,
                RopeScaling.NONE, 512, false, qwen2, false, false, modelType.equals("qwen3"), 0);
    }

    private static void positive(String modelType, String field, int value) {
        if (value <= 0) throw new IllegalArgumentException(modelType + " config: " + field + " must be positive, got " + value);
    }
}
