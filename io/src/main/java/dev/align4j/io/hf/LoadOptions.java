package dev.align4j.io.hf;

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
 * into heap memory, as {@code tensor.to(torch.bfloat16)}. Norm weights and biases stay float32. What it
 * is not: a choice of compute precision (the kernels widen BF16 and compute in float32) or of device.
 *
 * @param matrices how weight matrices are stored
 */
public record LoadOptions(Matrices matrices) {

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
        return new LoadOptions(Matrices.FLOAT32);
    }

    /** Weight matrices frozen in BF16, the rest float32. */
    public static LoadOptions frozenBf16() {
        return new LoadOptions(Matrices.FROZEN_BF16);
    }
}
