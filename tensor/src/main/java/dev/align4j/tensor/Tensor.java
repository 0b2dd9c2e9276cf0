package dev.align4j.tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense float32 tensor: a shape and a contiguous row-major run of a {@code float[]}.
 *
 * <p>What it is: storage plus the autograd bookkeeping of one value in a define-by-run graph
 * (its gradient buffer and the {@link Autograd.Node} that produced it). What it is not: a
 * place for ops. Ops live in small families ({@link Elementwise}, {@link Linalg},
 * {@link Reductions}, …), each writing its forward and backward side by side as llm.c does.
 *
 * <p>Storage is always contiguous, so a kernel sees {@code data[offset .. offset + numel)}.
 * {@link #view} and {@link #row} are cheap views that share the array; everything that would
 * need strides (transpose, a column slice) copies. A trainable tensor ({@link #requiresGrad})
 * owns a gradient buffer of its own shape, allocated on first use; a frozen tensor never gets
 * one.
 */
public final class Tensor {
    private final int[] shape;
    private final int numel;
    final float[] data;
    final int offset;

    private boolean requiresGrad;
    private float[] grad; // same numel as this tensor, offset 0; lazily allocated
    Autograd.Node node; // the op that produced this tensor, when recorded; null for leaves
    private String name;

    Tensor(float[] data, int offset, int[] shape) {
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        if (offset < 0 || offset + numel > data.length) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " at offset " + offset
                    + " does not fit in storage of " + data.length + " floats");
        }
        this.data = data;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    /** A new tensor of zeros. */
    public static Tensor zeros(int... shape) {
        int[] s = Shapes.checked(shape);
        return new Tensor(new float[Shapes.numel(s)], 0, s);
    }

    /** A new tensor of ones. */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** A new tensor filled with {@code value}. */
    public static Tensor full(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    /** A scalar (shape {@code []}). */
    public static Tensor scalar(float value) {
        return new Tensor(new float[] {value}, 0, new int[0]);
    }

    /** Wraps {@code values} (not copied) as a tensor of the given shape. */
    public static Tensor of(float[] values, int... shape) {
        int[] s = Shapes.checked(shape);
        if (Shapes.numel(s) != values.length) {
            throw new IllegalArgumentException("Tensor.of: " + values.length + " values do not fill shape "
                    + Arrays.toString(s) + " (" + Shapes.numel(s) + " elements)");
        }
        return new Tensor(values, 0, s);
    }

    /** A 1-D tensor holding a copy of {@code values}. */
    public static Tensor vector(float... values) {
        return of(values.clone(), values.length);
    }

    /** Standard normal samples, reproducible from {@code seed}. */
    public static Tensor randn(long seed, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.numel; i++) t.data[i] = (float) rng.nextGaussian();
        return t;
    }

    /** Uniform samples in {@code [low, high)}, reproducible from {@code seed}. */
    public static Tensor uniform(long seed, float low, float high, int... shape) {
        Tensor t = zeros(shape);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < t.numel; i++) t.data[i] = low + (high - low) * (float) rng.nextDouble();
        return t;
    }

    // ---------------------------------------------------------------- shape and values

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The size of one axis; negative axes count from the end. */
    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length, "dim", shape)];
    }

    /** Number of axes. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public int numel() {
        return numel;
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel != 1) {
            throw new IllegalArgumentException("item() needs a one-element tensor, got shape " + Arrays.toString(shape));
        }
        return data[offset];
    }

    /** The element at a full index. */
    public float get(int... index) {
        return data[offset + Shapes.flatIndex(shape, index)];
    }

    /** Sets the element at a full index (no autograd: for building inputs). */
    public void set(float value, int... index) {
        data[offset + Shapes.flatIndex(shape, index)] = value;
    }

    /** A copy of the values, row-major. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + numel);
    }

    /** The storage array backing this tensor; elements start at {@link #offset()}. For kernels and loaders. */
    public float[] storage() {
        return data;
    }

    /** Where this tensor's elements start in {@link #storage()}. */
    public int offset() {
        return offset;
    }

    /** An optional name used in error messages (a parameter's Hugging Face name, say). */
    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    // ---------------------------------------------------------------- views

    /**
     * The same storage seen with another shape of the same size; one axis may be {@code -1}.
     * Gradients flow through it.
     */
    public Tensor view(int... newShape) {
        int[] s = Shapes.inferReshape(shape, newShape);
        Tensor out = new Tensor(data, offset, s);
        Autograd.record(out, "view", () -> Autograd.accumulate(this, out.gradOrNull(), 0), this);
        return out;
    }

    /**
     * Row {@code i} along the first axis, sharing storage: a tensor of shape {@code shape[1:]}.
     * Gradients flow through it into the matching slice of this tensor's gradient.
     */
    public Tensor row(int i) {
        if (shape.length == 0) throw new IllegalArgumentException("row(" + i + ") of a scalar");
        if (i < 0 || i >= shape[0]) {
            throw new IllegalArgumentException("row(" + i + ") out of range for shape " + Arrays.toString(shape));
        }
        int[] s = Arrays.copyOfRange(shape, 1, shape.length);
        int stride = numel / shape[0];
        Tensor out = new Tensor(data, offset + i * stride, s);
        Autograd.record(out, "row", () -> Autograd.accumulate(this, out.gradOrNull(), i * stride), this);
        return out;
    }

    /** A copy that shares nothing and is cut from the graph. */
    public Tensor copy() {
        Tensor t = new Tensor(toArray(), 0, shape.clone());
        t.name = name;
        return t;
    }

    /** The same storage, cut from the graph (no gradient flows back through it). */
    public Tensor detach() {
        return new Tensor(data, offset, shape);
    }

    // ---------------------------------------------------------------- autograd

    /** Whether gradients are computed for this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks this tensor trainable (a leaf whose gradient is accumulated) or frozen (it never gets
     * a gradient buffer). Only leaves can be marked.
     */
    public Tensor requiresGrad(boolean trainable) {
        if (node != null) {
            throw new IllegalArgumentException("requiresGrad(" + trainable + ") on the output of '" + node.op
                    + "': only leaf tensors are marked trainable or frozen; detach() it first");
        }
        this.requiresGrad = trainable;
        if (!trainable) grad = null;
        return this;
    }

    /** The gradient as a tensor (shares the buffer), or null when none has been computed. */
    public Tensor grad() {
        return grad == null ? null : new Tensor(grad, 0, shape);
    }

    /**
     * The gradient buffer (offset 0, this tensor's numel), allocated as zeros on first use. For op
     * authors: a backward accumulates into it with {@code +=}. Only for tensors that require grad.
     */
    public float[] gradBuffer() {
        if (!requiresGrad) {
            throw new IllegalStateException("tensor " + describe() + " does not require grad");
        }
        if (grad == null) grad = new float[numel];
        return grad;
    }

    /** The gradient buffer if one exists, else null. For op authors: a backward reads its upstream gradient here. */
    public float[] gradOrNull() {
        return grad;
    }

    void dropGrad() {
        grad = null;
    }

    /** Makes this tensor the recorded output of {@code node} (an interior tensor of the graph). */
    void attach(Autograd.Node node) {
        this.node = node;
        this.requiresGrad = true;
    }

    /** Sets this tensor's gradient to zero (keeps the buffer). */
    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0f);
    }

    /** Back-propagates from this scalar: every trainable tensor it depends on accumulates d(this)/d(it). */
    public void backward() {
        if (numel != 1) {
            throw new IllegalArgumentException("backward() needs a scalar, got " + describe()
                    + "; reduce it first (sum, mean) or call backward(gradient) with a gradient of the same shape");
        }
        Autograd.backward(this, new float[] {1f});
    }

    /** Back-propagates with an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        Shapes.requireSame("backward", shape, gradient.shape);
        Autograd.backward(this, gradient.toArray());
    }

    // ---------------------------------------------------------------- printing

    /** {@code name[shape]} for error messages. */
    public String describe() {
        return (name != null ? name : "tensor") + Arrays.toString(shape);
    }

    /** Values for small tensors (as PyTorch prints them), the shape alone for large ones. */
    @Override
    public String toString() {
        if (numel > 1000) {
            return "Tensor(shape=" + Arrays.toString(shape) + ", numel=" + numel + ")";
        }
        StringBuilder sb = new StringBuilder("tensor(");
        appendValues(sb, 0, offset, 7);
        sb.append(", shape=").append(Arrays.toString(shape));
        if (requiresGrad) sb.append(", requires_grad=true");
        return sb.append(')').toString();
    }

    private void appendValues(StringBuilder sb, int axis, int start, int indent) {
        if (axis == shape.length) {
            sb.append(String.format("%.4f", data[start]));
            return;
        }
        int stride = 1;
        for (int a = axis + 1; a < shape.length; a++) stride *= shape[a];
        sb.append('[');
        for (int i = 0; i < shape[axis]; i++) {
            if (i > 0) {
                sb.append(',');
                if (axis < shape.length - 1) sb.append('\n').append(" ".repeat(indent + axis + 1));
                else sb.append(' ');
            }
            appendValues(sb, axis + 1, start + i * stride, indent);
        }
        sb.append(']');
    }
}
