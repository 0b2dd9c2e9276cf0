package dev.align4j.models.gpt2;

/**
 * GPT-2's hyper-parameters under the names of its {@code config.json} (transformers'
 * {@code GPT2Config}).
 *
 * @param vocabSize          vocab_size
 * @param nPositions         n_positions: the learned position table's length
 * @param nEmbd              n_embd: the width C
 * @param nLayer             n_layer
 * @param nHead              n_head
 * @param nInner             n_inner: the MLP width (transformers' null means 4·n_embd)
 * @param layerNormEpsilon   layer_norm_epsilon
 * @param activationFunction activation_function: only the tanh-approximated GELU variants
 *                           ("gelu_new", "gelu_pytorch_tanh", "gelu_fast") are supported
 */
public record Gpt2Config(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, int nInner,
                         double layerNormEpsilon, String activationFunction) {

    public Gpt2Config {
        positive("vocab_size", vocabSize);
        positive("n_positions", nPositions);
        positive("n_embd", nEmbd);
        positive("n_layer", nLayer);
        positive("n_head", nHead);
        positive("n_inner", nInner);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("gpt2 config: n_embd " + nEmbd + " is not divisible by n_head " + nHead);
        }
        if (!(layerNormEpsilon > 0)) throw new IllegalArgumentException("gpt2 config: layer_norm_epsilon must be > 0");
        if (!activationFunction.equals("gelu_new") && !activationFunction.equals("gelu_pytorch_tanh")
                && !activationFunction.equals("gelu_fast")) {
            throw new IllegalArgumentException("gpt2 config: activation_function \"" + activationFunction
                    + "\" is not supported; supported: gelu_new, gelu_pytorch_tanh, gelu_fast (the tanh approximation)");
        }
    }

    /** GPT-2 small (124M) shapes: 50257 tokens, 1024 positions, 12 layers of 768 with 12 heads. */
    public static Gpt2Config small() {
        return new Gpt2Config(50257, 1024, 768, 12, 12, 3072, 1e-5, "gelu_new");
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    private static void positive(String field, int value) {
        if (value <= 0) throw new IllegalArgumentException("gpt2 config: " + field + " must be positive, got " + value);
    }
}
