package dev.align4j.tensor;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * An immutable boolean tensor: a shape and one bit per element, for {@link Elementwise#where}
 * and {@link Elementwise#maskedFill}.
 *
 * <p>What it is: the typed form of PyTorch's {@code torch.bool} masks, stored as a bitset
 * ({@code long[]}, element {@code i} at bit {@code i mod 64} of word {@code i / 64}) that the
 * kernels read a vector of lanes at a time. What it is not: a tensor that takes part in autograd
 * or arithmetic; masks are built once (from a {@code boolean[]} or a predicate on the flat index)
 * and only read.
 */
public final class Mask {
    private final int[] shape;
    private final int numel;
    final long[] bits; // ⌈numel / 64⌉ words, bits past numel are zero

    private Mask(int[] shape, long[] bits) {
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        this.bits = bits;
    }

    /** A mask of the given shape holding a copy of {@code values} (row-major). */
    public static Mask of(boolean[] values, int... shape) {
        int[] s = Shapes.checked(shape);
        if (Shapes.numel(s) != values.length) {
            throw new IllegalArgumentException("Mask.of: " + values.length + " values do not fill shape "
                    + Arrays.toString(s) + " (" + Shapes.numel(s) + " elements)");
        }
        return of(i -> values[i], s);
    }

    /** A mask whose element at flat (row-major) index {@code i} is {@code predicate.test(i)}. */
    public static Mask of(IntPredicate predicate, int... shape) {
        int[] s = Shapes.checked(shape);
        int n = Shapes.numel(s);
        long[] bits = new long[(n + 63) >>> 6];
        for (int i = 0; i < n; i++) if (predicate.test(i)) bits[i >>> 6] |= 1L << i;
        return new Mask(s, bits);
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int numel() {
        return numel;
    }

    /** The element at a full index. */
    public boolean get(int... index) {
        int i = Shapes.flatIndex(shape, index);
        return (bits[i >>> 6] >>> i & 1L) != 0;
    }

    /** How many elements are set. */
    public int count() {
        int c = 0;
        for (long w : bits) c += Long.bitCount(w);
        return c;
    }

    /** {@code mask[shape]} for error messages. */
    public String describe() {
        return "mask" + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        return "Mask(shape=" + Arrays.toString(shape) + ", set=" + count() + ")";
    }
}
