package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Bf16Kernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense tensor: a shape and a contiguous row-major run of a {@code float[]}, or, for a frozen
 * weight kept in BF16, of a read-only {@link MemorySegment} of bfloat16 values.
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
 *
 * <p>Frozen BF16 tensors ({@link #frozenBf16}) hold 2 bytes per element, read in place (from a
 * memory-mapped checkpoint, say) and widened to float32 inside the kernels that take them:
 * {@link Linalg#linear}, {@link Linalg#conv1d}, {@link Linalg#matmul} as the B operand, and
 * {@link Embedding#lookup}. Gradients flow through them to the other operand, never into them:
 * they cannot require grad. Every other op rejects them by name ({@link #requireFloat32}), and
 * {@link #storage()} has no {@code float[]} to give. BF16 is the top half of a float32 (the same
 * exponent range, an 8-bit significand), so widening is exact: a BF16 tensor computes as the
 * float32 tensor of its widened values ({@link #toFloat32()}).
 *
 * <p>Frozen 4-bit tensors ({@link #quantize4Bit}) hold NF4 or FP4 codes with a scale per block of 64
 * ({@link Quant4Weight}, bitsandbytes' {@code Params4bit}), about 0.52 bytes per element, for the
 * base of QLoRA. They serve where a BF16 tensor serves except as an embedding table: the weight of
 * {@link Linalg#linear} and {@link Linalg#conv1d}, and {@link Linalg#matmul}'s B operand, dequantised
 * block by block inside the product; gradients flow through them, never into them. Their values are
 * the dequantised ones ({@link #toArray()}), and they compute as the float32 tensor of those values.
 */
public final class Tensor {
    private final int[] shape;
    private final int numel;
    final float[] data; // null for a BF16 or 4-bit tensor
    final int offset;
    private final MemorySegment bf16; // (numel) little-endian bfloat16, read-only; null for a float32 tensor
    private final Quant4Weight q4;    // 4-bit codes and scales; null unless a frozen 4-bit tensor

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
        this.bf16 = null;
        this.q4 = null;
    }

    private Tensor(MemorySegment bf16, int[] shape) {
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        if (bf16.byteSize() != 2L * numel) {
            throw new IllegalArgumentException("Tensor.frozenBf16: " + bf16.byteSize() + " bytes do not hold shape "
                    + Arrays.toString(shape) + " (" + numel + " BF16 elements = " + 2L * numel + " bytes)");
        }
        this.data = null;
        this.offset = 0;
        this.bf16 = bf16.isReadOnly() ? bf16 : bf16.asReadOnly();
        this.q4 = null;
    }

    private Tensor(Quant4Weight q4, int[] shape) {
        this.shape = shape;
        this.numel = Shapes.numel(shape);
        if (q4.numel() != numel) {
            throw new IllegalArgumentException("Tensor.frozen4Bit: a 4-bit weight of " + q4.numel() + " elements does not fill shape "
                    + Arrays.toString(shape) + " (" + numel + " elements)");
        }
        this.data = null;
        this.offset = 0;
        this.bf16 = null;
        this.q4 = q4;
    }

    // ---------------------------------------------------------------- creation

    /** A new tensor of zeros (its storage reused from the last inference step when one is open: {@link StepBuffers}). */
    public static Tensor zeros(int... shape) {
        int[] s = Shapes.checked(shape);
        return new Tensor(StepBuffers.zeros(Shapes.numel(s)), 0, s);
    }

    /**
     * A new tensor for an output its maker writes whole before anyone reads it: reused from the last
     * inference step without zeroing when one is open ({@link StepBuffers#overwritten}), else zeros.
     */
    static Tensor forOverwrite(int... shape) {
        int[] s = Shapes.checked(shape);
        return new Tensor(StepBuffers.overwritten(Shapes.numel(s)), 0, s);
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

    /**
     * A frozen BF16 tensor over {@code bits}: {@code numel} little-endian bfloat16 values, row-major,
     * not copied (the tensor keeps a read-only view and reads it on every use). The memory must stay
     * valid as long as the tensor is used: a segment of an automatic or global arena, a heap
     * segment, or a mapping whose arena outlives the tensor.
     */
    public static Tensor frozenBf16(MemorySegment bits, int... shape) {
        return new Tensor(bits, Shapes.checked(shape));
    }

    /** A frozen 4-bit tensor of the given shape over {@code weight} (shared: it is immutable). */
    public static Tensor frozen4Bit(Quant4Weight weight, int... shape) {
        return new Tensor(weight, Shapes.checked(shape));
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
        return value(0);
    }

    /** The element at a full index (widened from BF16 for a BF16 tensor). */
    public float get(int... index) {
        return value(Shapes.flatIndex(shape, index));
    }

    private float value(int i) {
        if (q4 != null) return q4.get(i);
        return bf16 == null ? data[offset + i] : Bf16Kernels.widen(bf16, i);
    }

    /** Sets the element at a full index (no autograd: for building inputs). A BF16 or 4-bit tensor is read-only. */
    public void set(float value, int... index) {
        if (data == null) {
            throw new IllegalArgumentException("set: " + describe() + " is a frozen " + dtype() + " tensor, which is read-only");
        }
        data[offset + Shapes.flatIndex(shape, index)] = value;
    }

    /** A copy of the values, row-major (widened to float32 for a BF16 tensor, dequantised for a 4-bit one). */
    public float[] toArray() {
        if (data != null) return Arrays.copyOfRange(data, offset, offset + numel);
        float[] out = new float[numel];
        if (q4 != null) q4.decodeAll(out, 0);
        else Bf16Kernels.widen(out, 0, bf16, 0, numel, 1, numel);
        return out;
    }

    /**
     * The storage array backing this float32 tensor; elements start at {@link #offset()}. For kernels
     * and loaders. A BF16 tensor has none ({@link #bf16Storage()}), nor has a 4-bit one ({@link #quant4Storage()}).
     */
    public float[] storage() {
        if (data == null) {
            throw new IllegalArgumentException("storage(): " + describe() + " is a frozen " + dtype() + " tensor and has no "
                    + "float[] storage; read " + (q4 != null ? "quant4Storage()" : "bf16Storage()")
                    + ", or get its float32 values with toArray() or toFloat32()");
        }
        return data;
    }

    /** Where this tensor's elements start in {@link #storage()}; 0 for a BF16 or 4-bit tensor, whose storage starts at its first. */
    public int offset() {
        return offset;
    }

    /** Whether this is a frozen 4-bit tensor ({@link #quantize4Bit}, {@link #frozen4Bit}). */
    public boolean is4Bit() {
        return q4 != null;
    }

    /** The codes and scales of a frozen 4-bit tensor. */
    public Quant4Weight quant4Storage() {
        if (q4 == null) {
            throw new IllegalArgumentException("quant4Storage(): " + describe() + " is a " + dtype() + " tensor, not a 4-bit one");
        }
        return q4;
    }

    /**
     * This float32 or BF16 tensor quantised to a frozen 4-bit tensor of the same shape and name, as
     * bitsandbytes' {@code quantize_4bit(blocksize=64, quant_type, compress_statistics=doubleQuant)}
     * over its row-major values ({@link Quant4Weight}). No float32 copy of a BF16 tensor is made.
     *
     * @throws IllegalArgumentException for a 4-bit tensor, an empty one, or one holding NaN or infinity
     */
    public Tensor quantize4Bit(QuantType type, boolean doubleQuant) {
        if (q4 != null) {
            throw new IllegalArgumentException("quantize4Bit: " + describe() + " is already a frozen 4-bit tensor");
        }
        Tensor t = new Tensor(Quant4Weight.quantize(this, type, doubleQuant), shape.clone());
        t.name = name;
        return t;
    }

    /** Whether this is a frozen BF16 tensor ({@link #frozenBf16}). */
    public boolean isBf16() {
        return bf16 != null;
    }

    /** The read-only little-endian bfloat16 values of a BF16 tensor, row-major: {@code 2·numel} bytes. */
    public MemorySegment bf16Storage() {
        if (bf16 == null) {
            throw new IllegalArgumentException("bf16Storage(): " + describe() + " is a float32 tensor; read storage()");
        }
        return bf16;
    }

    /** A float32 copy of the values (widened from BF16), cut from the graph; for a float32 tensor the same as {@link #copy()}. */
    public Tensor toFloat32() {
        Tensor t = new Tensor(toArray(), 0, shape.clone());
        t.name = name;
        return t;
    }

    /**
     * Rejects BF16 inputs of an op that computes in float32 only, naming the op and the tensor. Every op
     * of this package calls it on its entry for the inputs it does not widen itself. Null inputs (an
     * absent bias) pass.
     */
    static void requireFloat32(String op, Tensor... inputs) {
        for (Tensor t : inputs) {
            if (t != null && t.bf16 != null) {
                throw new IllegalArgumentException(op + ": " + t.describe() + " is a frozen BF16 tensor, which " + op
                        + " does not take (only Linalg.linear and Linalg.conv1d weights, Linalg.matmul's B operand and "
                        + "Embedding.lookup tables may be BF16); widen it with toFloat32(), or load the model in float32");
            }
            if (t != null && t.q4 != null) {
                throw new IllegalArgumentException(op + ": " + t.describe() + " is a frozen 4-bit (" + t.q4.type().bnbName()
                        + ") tensor, which " + op + " does not take (only Linalg.linear and Linalg.conv1d weights and "
                        + "Linalg.matmul's B operand may be 4-bit); dequantise it with toFloat32(), or load the model without "
                        + "load_in_4bit");
            }
        }
    }

    /** "float32", "BF16" or the 4-bit type's name, for messages. */
    String dtype() {
        return q4 != null ? "4-bit " + q4.type().bnbName() : bf16 != null ? "BF16" : "float32";
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
        if (bf16 != null) return new Tensor(bf16, s);
        if (q4 != null) return new Tensor(q4, s);
        Tensor out = new Tensor(data, offset, s);
        Autograd.record(out, "view", () -> Autograd.passThrough(this, out), this);
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
        if (bf16 != null) return new Tensor(bf16.asSlice(2L * i * stride, 2L * stride), s);
        if (q4 != null) {
            throw new IllegalArgumentException("row(" + i + "): " + describe() + " is a frozen 4-bit tensor, whose rows do not "
                    + "start on its blocks of " + Quant4Weight.BLOCK_SIZE + "; dequantise it with toFloat32() first");
        }
        Tensor out = new Tensor(data, offset + i * stride, s);
        Autograd.record(out, "row", () -> Autograd.accumulate(this, out.gradOrNull(), i * stride), this);
        return out;
    }

    /**
     * A copy that shares nothing and is cut from the graph; a BF16 tensor's copy is BF16, on the heap; a
     * 4-bit tensor's copy shares its immutable {@link Quant4Weight}.
     */
    public Tensor copy() {
        Tensor t = q4 != null ? new Tensor(q4, shape.clone()) : bf16 == null ? new Tensor(toArray(), 0, shape.clone())
                : new Tensor(MemorySegment.ofArray(new short[numel]).copyFrom(bf16), shape.clone());
        t.name = name;
        return t;
    }

    /** The same storage, cut from the graph (no gradient flows back through it). */
    public Tensor detach() {
        if (q4 != null) return new Tensor(q4, shape);
        return bf16 == null ? new Tensor(data, offset, shape) : new Tensor(bf16, shape);
    }

    // ---------------------------------------------------------------- autograd

    /** Whether gradients are computed for this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks this tensor trainable (a leaf whose gradient is accumulated) or frozen (it never gets
     * a gradient buffer). Only leaves can be marked; a BF16 or 4-bit tensor is always frozen.
     */
    public Tensor requiresGrad(boolean trainable) {
        if (trainable && data == null) {
            throw new IllegalArgumentException("requiresGrad(true) on " + describe() + ": frozen " + dtype() + " weights cannot "
                    + "be trained; load the model in float32, or train an adapter beside the frozen weight");
        }
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

    /** Takes {@code g} as this tensor's gradient buffer ({@link Autograd#passThrough}). */
    void adoptGrad(float[] g) {
        grad = g;
    }

    /** Makes this tensor the recorded output of {@code node} (an interior tensor of the graph). */
    void attach(Autograd.Node node) {
        if (data == null) {
            throw new IllegalArgumentException("Autograd.record: output " + describe() + " of '" + node.op
                    + "' is a frozen " + dtype() + " tensor; an op's output is a new float32 tensor");
        }
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
        appendValues(sb, 0, 0, 7);
        sb.append(", shape=").append(Arrays.toString(shape));
        if (bf16 != null) sb.append(", dtype=bf16");
        if (q4 != null) sb.append(", dtype=").append(q4.type().bnbName());
        if (requiresGrad) sb.append(", requires_grad=true");
        return sb.append(')').toString();
    }

    private void appendValues(StringBuilder sb, int axis, int start, int indent) {
        if (axis == shape.length) {
            sb.append(String.format("%.4f", value(start)));
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
