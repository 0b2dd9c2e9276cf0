package dev.align4j.tensor;

import dev.align4j.tensor.kernels.ShapeKernels;

import java.util.Arrays;
import java.util.List;

/**
 * Shape ops and their backward: reshape, transpose, permute, concat, slice, index select and
 * explicit broadcasting ({@link #expand}).
 *
 * <p>What it is: checks (once, naming the op and the shapes) and calls into
 * {@link ShapeKernels}. Storage is always contiguous, so everything but {@link #reshape} copies;
 * each backward moves the gradient back the same way (scatter-adding where the forward read an
 * element more than once). What it is not: a strided-view system, or fancy indexing beyond one
 * axis. Semantics follow PyTorch's {@code reshape}, {@code transpose}, {@code permute},
 * {@code cat}, slicing with a step of 1, {@code index_select} and {@code expand} (NumPy's
 * broadcasting rules: new leading axes, size-1 axes stretched).
 */
public final class ShapeOps {
    private ShapeOps() {}

    /**
     * The same elements with another shape of the same size (one axis may be {@code -1}); a view, no
     * copy ({@link Tensor#view}, so a frozen BF16 tensor gives a BF16 view).
     */
    public static Tensor reshape(Tensor x, int... shape) {
        return x.view(shape);
    }

    /** Swaps two axes (a copy). */
    public static Tensor transpose(Tensor x, int axis0, int axis1) {
        Tensor.requireFloat32("transpose", x);
        int rank = x.rank();
        int a = Shapes.axis(axis0, rank, "transpose", x.shape()), b = Shapes.axis(axis1, rank, "transpose", x.shape());
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) axes[i] = i;
        axes[a] = b;
        axes[b] = a;
        return permute("transpose", x, axes);
    }

    /** Reorders the axes: output axis {@code i} is input axis {@code axes[i]} (a copy). */
    public static Tensor permute(Tensor x, int... axes) {
        Tensor.requireFloat32("permute", x);
        int rank = x.rank();
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute: " + Arrays.toString(axes) + " lists " + axes.length
                    + " axes for " + x.describe() + " of rank " + rank);
        }
        int[] perm = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = Shapes.axis(axes[i], rank, "permute", x.shape());
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute: axis " + axes[i] + " repeats in " + Arrays.toString(axes)
                        + " for " + x.describe());
            }
            seen[perm[i]] = true;
        }
        return permute("permute", x, perm);
    }

    private static Tensor permute(String op, Tensor x, int[] perm) {
        int[] shape = x.shape(), strides = strides(shape);
        int rank = shape.length;
        int[] outShape = new int[rank], readStrides = new int[rank], backStrides = new int[rank];
        for (int i = 0; i < rank; i++) {
            outShape[i] = shape[perm[i]];
            readStrides[i] = strides[perm[i]];
        }
        int[] outStrides = strides(outShape);
        for (int i = 0; i < rank; i++) backStrides[perm[i]] = outStrides[i];
        Tensor out = Tensor.forOverwrite(outShape);
        ShapeKernels.copyStrided(out.data, 0, x.data, x.offset, outShape, readStrides, false);
        Autograd.record(out, op, () -> {
            if (x.requiresGrad()) ShapeKernels.copyStrided(x.gradBuffer(), 0, out.gradOrNull(), 0, shape, backStrides, true);
        }, x);
        return out;
    }

    /** Joins tensors along {@code axis}; all other sizes must agree (PyTorch's {@code cat}). */
    public static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat: no tensors to join");
        Tensor[] in = parts.toArray(new Tensor[0]);
        Tensor.requireFloat32("concat", in);
        int[] first = in[0].shape();
        int a = Shapes.axis(axis, first.length, "concat", first);
        int total = 0;
        for (Tensor t : in) {
            int[] s = t.shape();
            boolean fits = s.length == first.length;
            for (int i = 0; fits && i < s.length; i++) fits = i == a || s[i] == first[i];
            if (!fits) {
                throw new IllegalArgumentException("concat: shapes " + shapes(in) + " differ outside axis " + axis);
            }
            total += s[a];
        }
        int[] outShape = first.clone();
        outShape[a] = total;
        int outer = Shapes.outer(first, a), inner = Shapes.inner(first, a), row = total * inner;
        Tensor out = Tensor.forOverwrite(outShape);
        int[] starts = new int[in.length];
        for (int p = 0, at = 0; p < in.length; at += in[p].dim(a) * inner, p++) {
            starts[p] = at;
            int block = in[p].dim(a) * inner;
            ShapeKernels.copyBlocks(out.data, at, row, in[p].data, in[p].offset, block, block, outer, false);
        }
        Autograd.record(out, "concat", () -> {
            float[] g = out.gradOrNull();
            for (int p = 0; p < in.length; p++) {
                if (!in[p].requiresGrad()) continue;
                int block = in[p].dim(a) * inner;
                ShapeKernels.copyBlocks(in[p].gradBuffer(), 0, block, g, starts[p], row, block, outer, true);
            }
        }, in);
        return out;
    }

    /** Elements {@code [start, end)} along {@code axis} (a copy; {@code 0 ≤ start ≤ end ≤ size}). */
    public static Tensor slice(Tensor x, int axis, int start, int end) {
        Tensor.requireFloat32("slice", x);
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length, "slice", shape);
        if (start < 0 || start > end || end > shape[a]) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") does not fit axis " + axis
                    + " of size " + shape[a] + " in " + x.describe());
        }
        int outer = Shapes.outer(shape, a), inner = Shapes.inner(shape, a), size = shape[a];
        int[] outShape = shape.clone();
        outShape[a] = end - start;
        int block = (end - start) * inner;
        Tensor out = Tensor.forOverwrite(outShape);
        ShapeKernels.copyBlocks(out.data, 0, block, x.data, x.offset + start * inner, size * inner, block, outer, false);
        Autograd.record(out, "slice", () -> {
            if (x.requiresGrad()) {
                float[] gx = x.gradBuffer();
                ShapeKernels.copyBlocks(gx, start * inner, size * inner, out.gradOrNull(), 0, block, block, outer, true);
            }
        }, x);
        return out;
    }

    /**
     * The entries {@code indices[j]} along {@code axis}, in that order (PyTorch's
     * {@code index_select}); indices may repeat, and their gradients then add up.
     */
    public static Tensor indexSelect(Tensor x, int axis, int... indices) {
        Tensor.requireFloat32("indexSelect", x);
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length, "indexSelect", shape);
        int size = shape[a];
        for (int j = 0; j < indices.length; j++) {
            if (indices[j] < 0 || indices[j] >= size) {
                throw new IllegalArgumentException("indexSelect: index " + indices[j] + " (position " + j
                        + ") out of range for axis " + axis + " of size " + size + " in " + x.describe());
            }
        }
        int[] index = indices.clone();
        int outer = Shapes.outer(shape, a), inner = Shapes.inner(shape, a);
        int[] outShape = shape.clone();
        outShape[a] = index.length;
        Tensor out = Tensor.forOverwrite(outShape);
        ShapeKernels.gatherRows(out.data, x.data, x.offset, index, outer, size, inner);
        Autograd.record(out, "indexSelect", () -> {
            if (x.requiresGrad()) ShapeKernels.scatterAddRows(x.gradBuffer(), out.gradOrNull(), index, outer, size, inner);
        }, x);
        return out;
    }

    /**
     * Broadcasts {@code x} to {@code shape} by NumPy's rules: {@code x}'s axes align with the
     * trailing axes of {@code shape}, each either equal or 1 (then stretched), and missing leading
     * axes are added. The result is a copy; the backward sums over the stretched axes.
     */
    public static Tensor expand(Tensor x, int... shape) {
        Tensor.requireFloat32("expand", x);
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("expand: negative size in " + Arrays.toString(shape) + " for " + x.describe());
            }
        }
        int[] from = x.shape(), to = Shapes.checked(shape);
        int lead = to.length - from.length;
        if (lead < 0) {
            throw new IllegalArgumentException("expand: cannot broadcast " + x.describe() + " to the lower-rank shape "
                    + Arrays.toString(to));
        }
        int[] fromStrides = strides(from), readStrides = new int[to.length];
        for (int i = 0; i < from.length; i++) {
            if (from[i] != to[lead + i] && from[i] != 1) {
                throw new IllegalArgumentException("expand: cannot broadcast " + x.describe() + " to " + Arrays.toString(to)
                        + ": axis " + i + " has size " + from[i] + ", which is neither " + to[lead + i] + " nor 1");
            }
            readStrides[lead + i] = from[i] == to[lead + i] ? fromStrides[i] : 0;
        }
        Tensor out = Tensor.forOverwrite(to);
        ShapeKernels.copyStrided(out.data, 0, x.data, x.offset, to, readStrides, false);
        Autograd.record(out, "expand", () -> {
            if (x.requiresGrad()) ShapeKernels.scatterAddStrided(x.gradBuffer(), 0, out.gradOrNull(), 0, to, readStrides);
        }, x);
        return out;
    }

    /** Row-major strides of a contiguous shape. */
    private static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        for (int i = shape.length - 1, st = 1; i >= 0; st *= shape[i], i--) s[i] = st;
        return s;
    }

    private static String shapes(Tensor[] ts) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : ts) sb.append(sb.isEmpty() ? "" : ", ").append(Arrays.toString(t.shape()));
        return sb.toString();
    }
}
