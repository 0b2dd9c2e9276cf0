package dev.align4j.tensor;

import java.util.Arrays;

/** Shape arithmetic and the checks every op makes once, with messages that name the op and the shapes. */
public final class Shapes {
    private Shapes() {}

    /** A defensive copy of {@code shape}, rejecting negative sizes and element counts past an int. */
    public static int[] checked(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative size in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31 elements");
            }
        }
        return shape.clone();
    }

    public static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Normalises a possibly negative axis, naming the op and the shape when it is out of range. */
    public static int axis(int axis, int rank, String op, int[] shape) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for shape " + Arrays.toString(shape));
        }
        return a;
    }

    /** Product of the sizes before {@code axis}. */
    public static int outer(int[] shape, int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) n *= shape[i];
        return n;
    }

    /** Product of the sizes after {@code axis}. */
    public static int inner(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    /** The shape without {@code axis} (or with it as 1 when {@code keep}). */
    public static int[] reduced(int[] shape, int axis, boolean keep) {
        if (keep) {
            int[] s = shape.clone();
            s[axis] = 1;
            return s;
        }
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != axis) s[j++] = shape[i];
        return s;
    }

    public static int flatIndex(int[] shape, int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " axes, shape " + Arrays.toString(shape) + " has " + shape.length);
        }
        int flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IllegalArgumentException("index " + Arrays.toString(index) + " out of range for shape "
                        + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }

    /** Resolves a reshape target with at most one {@code -1}. */
    public static int[] inferReshape(int[] from, int[] to) {
        int n = numel(from);
        int known = 1, unknown = -1;
        for (int i = 0; i < to.length; i++) {
            if (to[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("view: more than one -1 in " + Arrays.toString(to));
                unknown = i;
            } else if (to[i] < 0) {
                throw new IllegalArgumentException("view: negative size in " + Arrays.toString(to));
            } else {
                known *= to[i];
            }
        }
        int[] s = to.clone();
        if (unknown >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("view: cannot reshape " + Arrays.toString(from) + " into " + Arrays.toString(to));
            }
            s[unknown] = n / known;
        }
        if (numel(s) != n) {
            throw new IllegalArgumentException("view: cannot reshape " + Arrays.toString(from) + " (" + n + " elements) into "
                    + Arrays.toString(to));
        }
        return s;
    }

    /** Requires two shapes to be equal: elementwise ops never broadcast unless asked ({@link ShapeOps#expand}). */
    public static void requireSame(String op, int[] a, int[] b) {
        if (!Arrays.equals(a, b)) {
            throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + " differ; broadcast explicitly with ShapeOps.expand if that is meant");
        }
    }

    public static void requireRank(String op, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": expected a rank-" + rank + " tensor, got " + t.describe());
        }
    }
}
