package dev.align4j.tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * The 4-bit data types of bitsandbytes' {@code quantize_4bit} ({@code quant_type}): each is 16
 * values in [−1, 1] that a code of 4 bits indexes, scaled by the absolute maximum of its block.
 *
 * <p>Based on bitsandbytes' {@code functional.get_4bit_type} and the CPU backend's code tables
 * ({@code backends/utils.py}). {@link #NF4}, 4-bit NormalFloat (Dettmers et al. 2023, "QLoRA:
 * Efficient Finetuning of Quantized LLMs", §3): quantiles of N(0, 1) normalised to [−1, 1], eight
 * positive and seven negative with an exact zero, ascending, so each code carries the same
 * probability mass for normally distributed weights. {@link #FP4}: bitsandbytes' E2M1 float (sign,
 * two exponent bits, one mantissa bit; the values 0, 0.0625, 8, 12, 4, 6, 2, 3 and their negatives
 * in code order) divided by its maximum 12, in float32 as {@code data.div_(data.abs().max())}
 * computes it. What it is not: the 8-bit dynamic map that double quantisation uses for the
 * absmax values ({@link Quant4Weight}), nor a compute type: dequantised values are float32.
 */
public enum QuantType {
    /** 4-bit NormalFloat, the QLoRA paper's data type (bitsandbytes' {@code "nf4"}). */
    NF4(new float[] {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f}),
    /** bitsandbytes' 4-bit float ({@code "fp4"}), E2M1 with a subnormal, normalised by 12. */
    FP4(normalised(0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, -0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f));

    private final float[] code;

    QuantType(float[] code) {
        this.code = code;
    }

    /** The 16 values a 4-bit code stands for, indexed by the code (a copy). */
    public float[] code() {
        return code.clone();
    }

    /** The value of code {@code c} (0 to 15). */
    public float value(int c) {
        return code[c];
    }

    /** bitsandbytes' name: {@code "nf4"} or {@code "fp4"}. */
    public String bnbName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The type named as bitsandbytes and TRL's {@code bnb_4bit_quant_type} name it ({@code nf4} or
     * {@code fp4}, any case).
     */
    public static QuantType fromBnbName(String name) {
        for (QuantType t : values()) if (t.bnbName().equalsIgnoreCase(name)) return t;
        throw new IllegalArgumentException("bnb_4bit_quant_type must be one of "
                + Arrays.stream(values()).map(QuantType::bnbName).toList() + ", got " + name);
    }

    float[] table() {
        return code;
    }

    private static float[] normalised(float... values) {
        float max = 0;
        for (float v : values) max = Math.max(max, Math.abs(v));
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = values[i] / max;
        return out;
    }
}
