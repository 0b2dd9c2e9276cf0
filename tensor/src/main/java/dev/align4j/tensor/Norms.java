package dev.align4j.tensor;

import dev.align4j.tensor.kernels.NormKernels;

/**
 * Normalisation over the last axis — LayerNorm (GPT-2) and RMSNorm (Llama family) — with fused
 * backward.
 *
 * <p>Based on PyTorch {@code nn.LayerNorm} (Ba et al. 2016, biased variance, eps inside the square
 * root) and Hugging Face's {@code LlamaRMSNorm} (Zhang &amp; Sennrich 2019):
 * {@code x·rsqrt(mean(x²) + eps)·weight}. Hugging Face computes the RMSNorm statistic in float32
 * and multiplies by the weight after normalising; align4j is float32 throughout and multiplies in
 * the same order. The forward saves each row's mean and rstd for the backward, as llm.c's
 * {@code layernorm_forward} does; the kernels are in {@link NormKernels}.
 *
 * <p>What it is not: a module holding parameters (that is the nn layer), nor a norm over other
 * axes. Any leading axes are rows: {@code x} of shape (…, C) is normalised as (N, C), so the same
 * call serves hidden states (N, C) and Qwen3's per-head q/k norms (T, H, D).
 */
public final class Norms {
    private Norms() {}

    /**
     * LayerNorm over the last axis: {@code (x − mean)/√(var + eps)·weight + bias}.
     *
     * @param x      (…, C)
     * @param weight (C)
     * @param bias   (C), or null for none
     * @param eps    added to the variance, ≥ 0 (GPT-2: 1e-5)
     * @return (…, C)
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        int c = check("layerNorm", x, weight, bias, eps);
        int n = x.numel() / c;
        Tensor out = Tensor.forOverwrite(x.shape());
        float[] mean = new float[n], rstd = new float[n]; // (N)
        NormKernels.layerNormForward(out.data, mean, rstd, x.data, x.offset, weight.data, weight.offset,
                bias == null ? null : bias.data, bias == null ? 0 : bias.offset, n, c, eps);
        Autograd.record(out, "layerNorm", () -> NormKernels.normBackward(
                x.requiresGrad() ? x.gradBuffer() : null,
                weight.requiresGrad() ? weight.gradBuffer() : null,
                bias != null && bias.requiresGrad() ? bias.gradBuffer() : null,
                out.gradOrNull(), x.data, x.offset, weight.data, weight.offset, mean, rstd, n, c), x, weight, bias);
        return out;
    }

    /**
     * RMSNorm over the last axis: {@code x·rsqrt(mean(x²) + eps)·weight}.
     *
     * @param x      (…, C)
     * @param weight (C)
     * @param eps    added to the mean square, ≥ 0 (Llama: {@code rms_norm_eps}, often 1e-5 or 1e-6)
     * @return (…, C)
     */
    public static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        int c = check("rmsNorm", x, weight, null, eps);
        int n = x.numel() / c;
        Tensor out = Tensor.forOverwrite(x.shape());
        float[] rstd = new float[n]; // (N)
        NormKernels.rmsNormForward(out.data, rstd, x.data, x.offset, weight.data, weight.offset, n, c, eps);
        Autograd.record(out, "rmsNorm", () -> NormKernels.normBackward(
                x.requiresGrad() ? x.gradBuffer() : null,
                weight.requiresGrad() ? weight.gradBuffer() : null,
                null, out.gradOrNull(), x.data, x.offset, weight.data, weight.offset, null, rstd, n, c), x, weight);
        return out;
    }

    /** Checks shapes and eps once; returns C. */
    private static int check(String op, Tensor x, Tensor weight, Tensor bias, float eps) {
        Tensor.requireFloat32(op, x, weight, bias);
        if (x.rank() < 1 || x.dim(-1) == 0) {
            throw new IllegalArgumentException(op + ": input must have a non-empty last axis to normalise, got " + x.describe());
        }
        int c = x.dim(-1);
        if (weight == null) throw new IllegalArgumentException(op + ": weight is null; pass a (" + c + ") tensor of ones for none");
        if (weight.rank() != 1 || weight.dim(0) != c) {
            throw new IllegalArgumentException(op + ": weight must be (" + c + ") to match input " + x.describe()
                    + ", got " + weight.describe());
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != c)) {
            throw new IllegalArgumentException(op + ": bias must be (" + c + ") to match input " + x.describe()
                    + ", got " + bias.describe());
        }
        if (!(eps >= 0f) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and ≥ 0, got " + eps);
        }
        return c;
    }
}
