package dev.align4j.io.safetensors;

import java.util.Arrays;

/**
 * The element types a safetensors header may name, with their widths.
 *
 * <p>What it is: the closed set of {@code dtype} strings of the reference implementation, declared
 * in its order, which is "increasing alignment" and is what the reference writer sorts by
 * (descending) when it lays tensors out. What it is not: a converter. Only {@link #F32},
 * {@link #BF16} and {@link #F16} can be read as (and written from) float32; the others are parsed
 * so that a header naming them is still understood, and reading them as floats is an error that
 * names the tensor and its dtype.
 *
 * <p>Based on: {@code safetensors/src/tensor.rs}, {@code enum Dtype} and {@code Dtype::bitsize}
 * (huggingface/safetensors). F4 and F6 are narrower than a byte; a tensor of them must fill whole
 * bytes, as the reference checks.
 */
public enum DType {
    BOOL(8), F4(4), F6_E2M3(6), F6_E3M2(6), U8(8), I8(8), F8_E5M2(8), F8_E4M3(8), F8_E8M0(8),
    I16(16), U16(16), F16(16), BF16(16), I32(32), U32(32), F32(32), C64(64), F64(64), I64(64), U64(64);

    private final int bits;

    DType(int bits) {
        this.bits = bits;
    }

    /** Width of one element in bits (4 and 6 for the sub-byte floats, else a multiple of 8). */
    public int bits() {
        return bits;
    }

    /** Whether {@link SafetensorsFile#readFloats} can widen this type to float32. */
    public boolean isReadableAsFloat() {
        return this == F32 || this == BF16 || this == F16;
    }

    /** The types that read as float32, for error messages. */
    static String floatTypes() {
        return "F32, BF16, F16";
    }

    /** The dtype spelled {@code name} in a header, or {@code null} when there is none. */
    static DType parse(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) return t;
        }
        return null;
    }

    /** All spellings, for error messages. */
    static String allNames() {
        return Arrays.toString(values());
    }
}
