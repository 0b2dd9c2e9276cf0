package dev.align4j.models;

import dev.align4j.tensor.QuantType;
import dev.align4j.tensor.Tensor;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * 4-bit quantisation of a model's linear layers, the frozen base of QLoRA: transformers'
 * {@code BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type, bnb_4bit_use_double_quant)}
 * with compute in float32.
 *
 * <p>What it is: the weight of each linear layer of the transformer blocks (PEFT's "all-linear":
 * attention and MLP projections; {@code CausalLM#linearLayers}) becomes a frozen 4-bit tensor
 * ({@link Tensor#quantize4Bit}); embeddings, norms, biases and the output head stay as they are, as
 * transformers' bitsandbytes integration leaves the head and every non-linear module. GPT-2's Conv1D
 * weights are quantised in their stored {@code [in, out]} order (bitsandbytes transposes them to
 * {@code [out, in]} first, so its blocks of 64 group other elements; the method is the same).
 *
 * <p>Quantisation happens on the named weights before a model is built ({@link #quantizeLayers}),
 * as transformers quantises each parameter while {@code from_pretrained} loads it: the model then
 * never holds a float32 copy of a quantised weight, and its {@code parameters()} map holds the 4-bit
 * tensors. Such a model trains adapters only and is not saved (the savers reject 4-bit tensors):
 * what a QLoRA run writes is its adapter. What it is not: 8-bit quantisation
 * ({@code load_in_8bit}), or a loader of checkpoints bitsandbytes serialised in 4 bits.
 *
 * @param quantType   bnb_4bit_quant_type: NF4 (the QLoRA paper's) or FP4
 * @param doubleQuant bnb_4bit_use_double_quant (TRL's use_bnb_nested_quant): the block absmax values
 *                    quantised again to 8 bits
 */
public record Quantization(QuantType quantType, boolean doubleQuant) {

    public Quantization {
        Objects.requireNonNull(quantType, "quantType");
    }

    /** {@code weight} (float32 or BF16) as a frozen 4-bit tensor of the same shape and name. */
    public Tensor quantize(Tensor weight) {
        return weight.quantize4Bit(quantType, doubleQuant);
    }

    /**
     * Replaces {@code path + ".weight"} for each of {@code layerPaths} in {@code weights} by its 4-bit
     * quantisation, one at a time, so each float weight can be freed as soon as it is replaced (when
     * nothing else holds it). Biases and every other entry are left as they are.
     *
     * @throws IllegalArgumentException naming the layer when its weight is missing or not a matrix
     */
    public void quantizeLayers(Map<String, Tensor> weights, Collection<String> layerPaths) {
        for (String path : layerPaths) {
            String name = path + ".weight";
            Tensor w = weights.get(name);
            if (w == null) {
                throw new IllegalArgumentException("load_in_4bit: linear layer " + path + " has no tensor " + name);
            }
            if (w.rank() != 2) throw new IllegalArgumentException("load_in_4bit: " + w.describe() + " of " + path + " is not a matrix");
            weights.put(name, quantize(w.named(name)));
        }
    }
}
