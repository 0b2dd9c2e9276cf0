package dev.align4j.models.llama;

import dev.align4j.tensor.Rope;

/**
 * The {@code rope_scaling} entry of a Llama-family config, turned into RoPE inverse frequencies.
 *
 * <p>Based on transformers' {@code modeling_rope_utils.py}: {@code _compute_default_rope_parameters}
 * ({@code 1 / theta^(2i/d)}), {@code _compute_linear_scaling_rope_parameters} (divide by
 * {@code factor}) and {@code _compute_llama3_parameters} (Llama 3.1/3.2: long wavelengths divided by
 * {@code factor}, short ones kept, the band between blended smoothly). The blend is computed in
 * double from the float32 default frequencies and rounded once. What it is not: dynamic NTK, YaRN
 * or LongRoPE (a config naming them is rejected by the loader).
 *
 * @param type                          none, linear or llama3
 * @param factor                        {@code factor}
 * @param lowFreqFactor                 llama3's {@code low_freq_factor}
 * @param highFreqFactor                llama3's {@code high_freq_factor}
 * @param originalMaxPositionEmbeddings llama3's {@code original_max_position_embeddings}
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {

    /** The supported {@code rope_type} values. */
    public enum Type { NONE, LINEAR, LLAMA3 }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 0, 0, 0);

    public RopeScaling {
        if (type != Type.NONE && !(factor > 0)) {
            throw new IllegalArgumentException("rope_scaling: factor must be > 0, got " + factor);
        }
        if (type == Type.LLAMA3 && (!(highFreqFactor > lowFreqFactor) || originalMaxPositionEmbeddings <= 0)) {
            throw new IllegalArgumentException("rope_scaling (llama3): need high_freq_factor > low_freq_factor and "
                    + "original_max_position_embeddings > 0, got " + this);
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {
        return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    /** The inverse frequencies (headDim / 2) for {@code theta}, scaled as this entry says. */
    public float[] inverseFrequencies(int headDim, double theta) {
        float[] f = Rope.inverseFrequencies(headDim, theta);
        switch (type) {
            case NONE -> { }
            case LINEAR -> {
                for (int i = 0; i < f.length; i++) f[i] = (float) (f[i] / factor);
            }
            case LLAMA3 -> {
                double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
                double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
                for (int i = 0; i < f.length; i++) {
                    double wavelen = 2 * Math.PI / f[i];
                    if (wavelen > lowFreqWavelen) {
                        f[i] = (float) (f[i] / factor);
                    } else if (wavelen >= highFreqWavelen) { // medium band: blend
                        double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        f[i] = (float) ((1 - smooth) * f[i] / factor + smooth * f[i]);
                    }
                }
            }
        }
        return f;
    }
}
