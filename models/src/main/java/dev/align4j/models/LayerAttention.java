package dev.align4j.models;

import dev.align4j.tensor.Attention;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.Tensor;

/**
 * The attention step of one layer, the only part of a forward pass that differs between training
 * (every token of every sequence at once) and generation (new tokens over a {@link KvCache}).
 *
 * <p>What it is: the seam that lets each model keep one forward pass for both: the model computes
 * q, k and v (after RoPE or norms) and hands them here with the layer's index. What it is not: the
 * projections around attention, which stay in the model.
 */
@FunctionalInterface
public interface LayerAttention {

    /**
     * Attention of layer {@code layer}: {@code q} (T, H, D), {@code k} and {@code v} (T, Hkv, D) of
     * the batch's tokens; returns (T, H, D).
     */
    Tensor attend(int layer, Tensor q, Tensor k, Tensor v);

    /** Causal attention within each segment of the batch and its shared prefix, with gradients: the training path. */
    static LayerAttention causal(PackedSegments segments) {
        return (layer, q, k, v) -> Attention.causal(q, k, v, segments);
    }
}
