package dev.align4j.tensor;

import dev.align4j.tensor.kernels.ElementwiseKernels;
import dev.align4j.tensor.kernels.ReductionKernels;

import java.util.Arrays;

/**
 * Reductions (sum, mean, max, argmax) over all elements or one axis, and their backward.
 *
 * <p>What it is: autograd wrappers over {@link ReductionKernels}, which view the input as
 * {@code (outer, size, inner)} around the reduced axis and sum in a fixed order, so results are
 * bit-identical whatever the thread count. What it is not: softmax, log-sum-exp or norms (fused
 * ops elsewhere own them). Semantics follow PyTorch's {@code sum}, {@code mean}, {@code max(dim)}
 * (the gradient goes to the first maximal element; NaN propagates) and {@code argmax}. Axes may be
 * negative, counting from the end.
 */
public final class Reductions {
    private Reductions() {}

    /** Sum of all elements, a scalar. Accumulated in double, in index order. */
    public static Tensor sum(Tensor x) {
        return total("sum", x, false);
    }

    /** Mean of all elements, a scalar (NaN for an empty tensor, as PyTorch). Accumulated in double, in index order. */
    public static Tensor mean(Tensor x) {
        return total("mean", x, true);
    }

    private static Tensor total(String op, Tensor x, boolean mean) {
        Tensor.requireFloat32(op, x);
        int n = x.numel();
        double s = 0;
        for (int i = 0; i < n; i++) s += x.data[x.offset + i];
        Tensor out = Tensor.scalar((float) (mean ? s / n : s));
        float scale = mean ? 1f / n : 1f;
        Autograd.record(out, op, () -> {
            if (!x.requiresGrad()) return;
            float g = out.gradOrNull()[0] * scale;
            float[] gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g;
        }, x);
        return out;
    }

    /** Sum along {@code axis}; the axis is dropped, or kept with size 1 when {@code keepDim}. */
    public static Tensor sum(Tensor x, int axis, boolean keepDim) {
        return alongAxis("sum", x, axis, keepDim, false);
    }

    /** Mean along {@code axis}; the axis is dropped, or kept with size 1 when {@code keepDim}. */
    public static Tensor mean(Tensor x, int axis, boolean keepDim) {
        return alongAxis("mean", x, axis, keepDim, true);
    }

    private static Tensor alongAxis(String op, Tensor x, int axis, boolean keepDim, boolean mean) {
        Tensor.requireFloat32(op, x);
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length, op, shape);
        int outer = Shapes.outer(shape, a), size = shape[a], inner = Shapes.inner(shape, a);
        Tensor out = Tensor.zeros(Shapes.reduced(shape, a, keepDim));
        ReductionKernels.sum(out.data, x.data, x.offset, outer, size, inner);
        float scale = mean ? 1f / size : 1f;
        if (mean) ElementwiseKernels.affine(out.data, out.data, 0, scale, 0f, out.numel());
        Autograd.record(out, op, () -> {
            if (x.requiresGrad()) ReductionKernels.sumBackward(x.gradBuffer(), out.gradOrNull(), scale, outer, size, inner);
        }, x);
        return out;
    }

    /**
     * Maximum along {@code axis}; the axis is dropped, or kept with size 1 when {@code keepDim}.
     * The gradient flows to the first element that attains the maximum.
     */
    public static Tensor max(Tensor x, int axis, boolean keepDim) {
        int[] shape = x.shape();
        int a = nonEmptyAxis("max", x, axis);
        int outer = Shapes.outer(shape, a), size = shape[a], inner = Shapes.inner(shape, a);
        Tensor out = Tensor.zeros(Shapes.reduced(shape, a, keepDim));
        int[] arg = new int[out.numel()];
        ReductionKernels.max(out.data, arg, x.data, x.offset, outer, size, inner);
        Autograd.record(out, "max", () -> {
            if (x.requiresGrad()) ReductionKernels.maxBackward(x.gradBuffer(), out.gradOrNull(), arg, outer, size, inner);
        }, x);
        return out;
    }

    /**
     * Index of the first maximum along {@code axis}, for each position of the other axes in
     * row-major order (the shape of {@code max(x, axis, false)}). Not differentiable.
     */
    public static int[] argmax(Tensor x, int axis) {
        int[] shape = x.shape();
        int a = nonEmptyAxis("argmax", x, axis);
        int outer = Shapes.outer(shape, a), size = shape[a], inner = Shapes.inner(shape, a);
        int[] arg = new int[outer * inner];
        ReductionKernels.max(null, arg, x.data, x.offset, outer, size, inner);
        return arg;
    }

    private static int nonEmptyAxis(String op, Tensor x, int axis) {
        Tensor.requireFloat32(op, x);
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length, op, shape);
        if (shape[a] == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + Arrays.toString(shape)
                    + " is empty; a maximum needs at least one element");
        }
        return a;
    }
}
