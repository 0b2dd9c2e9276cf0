package dev.align4j.io.hf;

import dev.align4j.models.Quantization;

import java.util.Objects;

/**
 * How {@link HfModels#load(java.nio.file.Path, LoadOptions)} keeps a model's weights in memory.
 *
 * <p>What it is: the storage of the weight matrices. {@link Matrices#FLOAT32} (the default) widens every
 * tensor to float32, trainable once marked so. {@link Matrices#FROZEN_BF16} keeps every matrix — each
 * weight of rank 2 or more: projections, embeddings, an untied lm_head — as a frozen BF16 tensor
 * ({@link dev.align4j.tensor.Tensor#frozenBf16}), half the memory, for LoRA and generation: read in place
 * from the memory-mapped file when stored as BF16 (zero-copy; the model then keeps the mapping, which the
 * garbage collector unmaps once the model is unreachable), or rounded to nearest even from F32 and F16
 * into heap memory, as {@code tensor.to(torch.bfloat16)}. Norm weights and biases stay float32.
 *
 * <p>{@code load_in_4bit} ({@link #quantization}, transformers' {@code BitsAndBytesConfig}) then
 * quantises the weight of every linear layer of the transformer blocks to a frozen 4-bit tensor
 * ({@link Quantization}) as it is read, one tensor at a time: from its stored values (a BF16 file's
 * mapped bytes are read in chunks, an F32 or F16 tensor is widened alone and dropped once quantised),
 * so no float32 copy of the model is ever held; the other matrices are stored as {@link #matrices}
 * says. What it is not: a choice of compute precision (the kernels widen BF16 and dequantise 4-bit,
 * and compute in float32) or of device.
 *
 * @param matrices     how weight matrices are stored
 * @param quantization load_in_4bit: the linear layers' 4-bit quantisation, or null for none
 */
public record LoadOptions(Matrices matrices, Quantization quantization) {

    /** The storage of weight matrices. */
    public enum Matrices {
        /** float32, as every other tensor. */
        FLOAT32,
        /** frozen BF16, widened inside the kernels; it can never train. */
        FROZEN_BF16
    }

    public LoadOptions {
        Objects.requireNonNull(matrices, "matrices");
    }

    /** Everything in float32. */
    public static LoadOptions defaults() {
        return new LoadOptions(Matrices.FLOAT32, null);
    }

    /** Weight matrices frozen in BF16, the rest float32. */
    public static LoadOptions frozenBf16() {
        return new LoadOptions(Matrices.FROZEN_BF16, null);
    }

    /** These options with the linear layers quantised to 4 bits ({@code load_in_4bit}); null turns it off. */
    public LoadOptions withLoadIn4Bit(Quantization quantization) {
        return new LoadOptions(matrices, quantization);
    }
}
