package dev.align4j.models.lora;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Linalg;
import dev.align4j.tensor.Tensor;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One LoRA adapter (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): the
 * update {@code ΔW = s·B·A} beside a frozen weight, with A {@code (r, in)}, B {@code (out, r)} and
 * {@code s = lora_alpha / r}, or {@code lora_alpha / √r} with rsLoRA (Kalajdzievski 2023). The
 * layer's output gains {@code s · dropout(x)·Aᵀ·Bᵀ}, as PEFT's {@code lora.Linear.forward} computes
 * it; dropout ({@code lora_dropout}) applies only in training mode ({@link LoraModel#setTraining},
 * PyTorch's {@code module.train()}), with a seed from the model's adapter set and this adapter's
 * index, so a recomputation (gradient checkpointing, which runs the forward without recording and
 * the recomputation with it) or a resumed run draws the same mask.
 *
 * <p>Initialisation as PEFT's default ({@code init_lora_weights=True}): A Kaiming-uniform with
 * {@code a = √5} — uniform in ±{@code 1/√in} — and B zero, so a fresh adapter changes nothing.
 * What it is not: DoRA, LoRA on embeddings or convolutions, or several adapters per layer.
 *
 * @param a       (r, in), trainable
 * @param b       (out, r), trainable
 * @param scale   s
 * @param dropout lora_dropout
 */
public record LoraAdapter(Tensor a, Tensor b, float scale, float dropout, long dropoutStream, BooleanSupplier enabledBy,
                          BooleanSupplier trainingBy, LongSupplier dropoutSeed) {

    public int rank() {
        return a.dim(0);
    }

    public int inFeatures() {
        return a.dim(1);
    }

    public int outFeatures() {
        return b.dim(0);
    }

    public boolean enabled() {
        return enabledBy.getAsBoolean();
    }

    /** {@code s · dropout(x)·Aᵀ·Bᵀ} for x (N, in): (N, out). */
    public Tensor forward(Tensor x) {
        Tensor h = Elementwise.dropout(x, dropout, dropoutSeed.getAsLong() * 1_000_003L + dropoutStream, trainingBy.getAsBoolean());
        return Elementwise.mulScalar(Linalg.linear(Linalg.linear(h, a, null), b, null), scale);
    }
}
