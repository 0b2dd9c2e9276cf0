package dev.align4j.tensor;

import dev.align4j.tensor.kernels.SoftmaxKernels;

/**
 * Softmax and log-softmax over one axis, and their backward.
 *
 * <p>What it is: the two normalisations every model and loss needs, numerically stable (the
 * maximum along the axis is subtracted first), over any axis; the last axis runs the vectorised
 * row kernels of {@link SoftmaxKernels}, other axes a scalar strided kernel. The backward needs
 * only the output, as in PyTorch ({@code torch.softmax}, {@code torch.log_softmax}):
 * <pre>
 *   y = softmax(x)       dx = y ⊙ (dy − Σ dy⊙y)
 *   y = log_softmax(x)   dx = dy − softmax(x) · Σ dy      with softmax(x) = exp(y)
 * </pre>
 * the sums running along the axis.
 *
 * <p>What it is not: a fused cross-entropy or a token log-prob gather (those should never build
 * the full probability tensor), nor attention's softmax, which is fused into {@link Attention}.
 * A slice that is all −∞ gives NaN, as in PyTorch.
 */
public final class Softmax {
    private Softmax() {}

    /** {@code exp(x − max) / Σ exp(x − max)} along {@code axis} (negative counts from the end). */
    public static Tensor softmax(Tensor x, int axis) {
        return normalise("softmax", x, axis, false);
    }

    /** {@code x − max − log Σ exp(x − max)} along {@code axis} (negative counts from the end). */
    public static Tensor logSoftmax(Tensor x, int axis) {
        return normalise("logSoftmax", x, axis, true);
    }

    private static Tensor normalise(String op, Tensor x, int axis, boolean log) {
        Tensor.requireFloat32(op, x);
        int[] shape = x.shape();
        int a = Shapes.axis(axis, shape.length, op, shape);
        int outer = Shapes.outer(shape, a), n = shape[a], inner = Shapes.inner(shape, a); // x: (outer, n, inner)
        Tensor out = Tensor.zeros(shape);
        if (inner == 1) {
            if (log) SoftmaxKernels.logSoftmaxRows(out.data, 0, x.data, x.offset, outer, n);
            else SoftmaxKernels.softmaxRows(out.data, 0, x.data, x.offset, outer, n);
        } else {
            SoftmaxKernels.softmaxStrided(out.data, 0, x.data, x.offset, outer, n, inner, log);
        }
        Autograd.record(out, op, () -> {
            if (!x.requiresGrad()) return;
            float[] dx = x.gradBuffer(), dy = out.gradOrNull();
            if (inner != 1) {
                SoftmaxKernels.softmaxStridedBackward(dx, 0, dy, 0, out.data, 0, outer, n, inner, log);
            } else if (log) {
                SoftmaxKernels.logSoftmaxRowsBackward(dx, 0, dy, 0, out.data, 0, outer, n);
            } else {
                SoftmaxKernels.softmaxRowsBackward(dx, 0, dy, 0, out.data, 0, outer, n);
            }
        }, x);
        return out;
    }
}
