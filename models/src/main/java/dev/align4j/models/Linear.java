package dev.align4j.models;

import dev.align4j.models.lora.LoraAdapter;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Linalg;
import dev.align4j.tensor.Tensor;

/**
 * A linear layer of a model, named by its module path as PEFT names it
 * ({@code model.layers.0.self_attn.q_proj}, {@code transformer.h.0.attn.c_attn}), with its weight in
 * the layout the checkpoint stores: {@code [out, in]} for {@code nn.Linear}, {@code [in, out]} for
 * GPT-2's {@code Conv1D}. A LoRA adapter may be attached; its low-rank update is added to the
 * output while it is enabled ({@link LoraAdapter#forward}), without touching the weight, so the
 * same weights serve training, generation and (with adapters off) the reference policy.
 */
public final class Linear {

    /** How the weight is stored. */
    public enum Layout {
        /** {@code nn.Linear}: {@code [out, in]}, {@code y = x·Wᵀ + b}. */
        OUT_IN,
        /** GPT-2's {@code Conv1D}: {@code [in, out]}, {@code y = x·W + b}. */
        IN_OUT
    }

    private final String name;
    private final Tensor weight, bias;
    private final Layout layout;
    private LoraAdapter adapter;

    /** A layer named {@code name} over {@code weight} (and {@code bias}, which may be null). */
    public Linear(String name, Tensor weight, Tensor bias, Layout layout) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.layout = layout;
    }

    /** {@code x (N, in)} → {@code (N, out)}: the base projection plus the adapter's update, when one is attached and enabled. */
    public Tensor forward(Tensor x) {
        Tensor y = layout == Layout.OUT_IN ? Linalg.linear(x, weight, bias) : Linalg.conv1d(x, weight, bias);
        return adapter != null && adapter.enabled() ? Elementwise.add(y, adapter.forward(x)) : y;
    }

    public String name() {
        return name;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }

    public Layout layout() {
        return layout;
    }

    public int inFeatures() {
        return layout == Layout.OUT_IN ? weight.dim(1) : weight.dim(0);
    }

    public int outFeatures() {
        return layout == Layout.OUT_IN ? weight.dim(0) : weight.dim(1);
    }

    /** The attached adapter, or null. */
    public LoraAdapter adapter() {
        return adapter;
    }

    /**
     * {@code params} and the A and B of the adapters attached to {@code layers}: the tensors a
     * checkpointed block ({@link dev.align4j.tensor.Autograd#checkpoint}) must name, so that a block
     * whose input and base weights are frozen but whose adapters train is checkpointed too.
     */
    public static Tensor[] withAdapters(Tensor[] params, java.util.List<Linear> layers) {
        java.util.List<Tensor> all = new java.util.ArrayList<>(java.util.Arrays.asList(params));
        for (Linear l : layers) {
            if (l.adapter == null) continue;
            all.add(l.adapter.a());
            all.add(l.adapter.b());
        }
        return all.toArray(Tensor[]::new);
    }

    /** Attaches {@code adapter} (null detaches), checking its sizes against this layer's. */
    public void attach(LoraAdapter adapter) {
        if (adapter != null && (adapter.inFeatures() != inFeatures() || adapter.outFeatures() != outFeatures())) {
            throw new IllegalArgumentException(name + ": a LoRA adapter of " + adapter.inFeatures() + " → " + adapter.outFeatures()
                    + " features does not fit this layer's " + inFeatures() + " → " + outFeatures());
        }
        this.adapter = adapter;
    }
}
