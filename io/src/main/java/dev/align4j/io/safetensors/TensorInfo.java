package dev.align4j.io.safetensors;

import java.util.Arrays;

/**
 * Where one tensor lives in a safetensors file: its name, dtype, shape, and the byte range of its
 * data counted from the start of the file (not of the data buffer, as the header's
 * {@code data_offsets} are).
 *
 * <p>What it is: validated, immutable header facts; every field is long so that files and tensors
 * past 2 GB are described exactly. What it is not: the data itself (see
 * {@link SafetensorsFile#segment} and {@link SafetensorsFile#readFloats}).
 *
 * @param name       the tensor's name in the header (a Hugging Face parameter name)
 * @param dtype      its element type
 * @param shape      its sizes, row-major; {@code []} for a scalar
 * @param byteOffset the file offset of its first byte
 * @param byteLength its size in bytes ({@code numel × bits / 8})
 */
public record TensorInfo(String name, DType dtype, long[] shape, long byteOffset, long byteLength) {

    public TensorInfo {
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (the header validation guarantees it fits in a long). */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /**
     * The element count as an int, rejecting (with the tensor's name) tensors larger than an in-memory
     * float32 tensor holds (2^31 - 9 elements).
     */
    public int intNumel() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException("tensor \"" + name + "\" of shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than an in-memory float32 tensor holds (2^31 - 9)");
        }
        return (int) n;
    }

    /** The shape as ints, for a {@link dev.align4j.tensor.Tensor}; checked as {@link #intNumel()}. */
    public int[] intShape() {
        intNumel();
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE - 8) {
                throw new SafetensorsException("tensor \"" + name + "\" of shape " + Arrays.toString(shape)
                        + " has a size past an int, more than an in-memory tensor holds");
            }
            s[i] = (int) shape[i];
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && byteOffset == t.byteOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @" + byteOffset + "+" + byteLength;
    }
}
