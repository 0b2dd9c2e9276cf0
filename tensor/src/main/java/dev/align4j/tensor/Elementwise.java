package dev.align4j.tensor;

import dev.align4j.tensor.kernels.ElementwiseKernels;
import dev.align4j.tensor.kernels.MaskKernels;
import dev.align4j.tensor.kernels.UnaryKernels;

import java.util.Arrays;

/**
 * Elementwise ops and their backward: arithmetic, scalar ops, the pointwise activations, clamp,
 * mask selects and dropout.
 *
 * <p>What it is: thin autograd wrappers that check shapes once and call the Vector API kernels
 * in {@code kernels} ({@link ElementwiseKernels}, {@link UnaryKernels}, {@link MaskKernels}).
 * What it is not: a broadcasting library. Binary ops need equal shapes; broadcasting is explicit
 * ({@link ShapeOps#expand}), so a wrong shape is an error rather than a silent stretch.
 *
 * <p>Semantics follow PyTorch's documentation for each op ({@code torch.nn.functional.softplus},
 * {@code logsigmoid}, {@code gelu(approximate='tanh')}, {@code silu}, {@code clamp},
 * {@code where}, {@code masked_fill}, {@code dropout}); each kernel's Javadoc gives its formula.
 */
public final class Elementwise {
    private Elementwise() {}

    // ---------------------------------------------------------------- binary

    /** {@code a + b}. */
    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = binaryOutput("add", a, b);
        int n = out.numel();
        ElementwiseKernels.add(out.data, a.data, a.offset, b.data, b.offset, n);
        Autograd.record(out, "add", () -> {
            float[] g = out.gradOrNull();
            if (a.requiresGrad()) ElementwiseKernels.accumulate(a.gradBuffer(), 0, g, 0, 1f, n);
            if (b.requiresGrad()) ElementwiseKernels.accumulate(b.gradBuffer(), 0, g, 0, 1f, n);
        }, a, b);
        return out;
    }

    /** {@code a - b}. */
    public static Tensor sub(Tensor a, Tensor b) {
        Tensor out = binaryOutput("sub", a, b);
        int n = out.numel();
        ElementwiseKernels.sub(out.data, a.data, a.offset, b.data, b.offset, n);
        Autograd.record(out, "sub", () -> {
            float[] g = out.gradOrNull();
            if (a.requiresGrad()) ElementwiseKernels.accumulate(a.gradBuffer(), 0, g, 0, 1f, n);
            if (b.requiresGrad()) ElementwiseKernels.accumulate(b.gradBuffer(), 0, g, 0, -1f, n);
        }, a, b);
        return out;
    }

    /** {@code a * b}. */
    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binaryOutput("mul", a, b);
        int n = out.numel();
        ElementwiseKernels.mul(out.data, a.data, a.offset, b.data, b.offset, n);
        Autograd.record(out, "mul", () -> {
            float[] g = out.gradOrNull();
            if (a.requiresGrad()) ElementwiseKernels.accumulateProduct(a.gradBuffer(), g, b.data, b.offset, n);
            if (b.requiresGrad()) ElementwiseKernels.accumulateProduct(b.gradBuffer(), g, a.data, a.offset, n);
        }, a, b);
        return out;
    }

    /** {@code a / b}. */
    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = binaryOutput("div", a, b);
        int n = out.numel();
        ElementwiseKernels.div(out.data, a.data, a.offset, b.data, b.offset, n);
        Autograd.record(out, "div", () -> {
            float[] g = out.gradOrNull();
            if (a.requiresGrad()) ElementwiseKernels.accumulateQuotient(a.gradBuffer(), g, b.data, b.offset, n);
            if (b.requiresGrad()) ElementwiseKernels.divBackwardDenominator(b.gradBuffer(), g, out.data, b.data, b.offset, n);
        }, a, b);
        return out;
    }

    private static Tensor binaryOutput(String op, Tensor a, Tensor b) {
        Tensor.requireFloat32(op, a, b);
        Shapes.requireSame(op, a.shape(), b.shape());
        return Tensor.forOverwrite(a.shape());
    }

    // ---------------------------------------------------------------- with a scalar

    /** {@code x + s}. */
    public static Tensor addScalar(Tensor x, float s) {
        return affine("addScalar", x, 1f, s);
    }

    /** {@code x · s}. */
    public static Tensor mulScalar(Tensor x, float s) {
        return affine("mulScalar", x, s, 0f);
    }

    /** {@code −x}. */
    public static Tensor neg(Tensor x) {
        return affine("neg", x, -1f, 0f);
    }

    private static Tensor affine(String op, Tensor x, float scale, float shift) {
        Tensor.requireFloat32(op, x);
        Tensor out = Tensor.forOverwrite(x.shape());
        int n = out.numel();
        ElementwiseKernels.affine(out.data, x.data, x.offset, scale, shift, n);
        Autograd.record(out, op, () -> {
            if (x.requiresGrad()) ElementwiseKernels.accumulate(x.gradBuffer(), 0, out.gradOrNull(), 0, scale, n);
        }, x);
        return out;
    }

    /** {@code x^p} for a constant exponent ({@link Math#pow} semantics: NaN for a negative base and a fractional p). */
    public static Tensor pow(Tensor x, float p) {
        Tensor.requireFloat32("pow", x);
        return unary("pow", x, (out, in, off, n) -> UnaryKernels.pow(out, in, off, p, n),
                (gx, g, in, off, y, n) -> UnaryKernels.powBackward(gx, g, in, off, p, n));
    }

    // ---------------------------------------------------------------- unary

    /** {@code eˣ}. */
    public static Tensor exp(Tensor x) {
        return unary("exp", x, UnaryKernels::exp, UnaryKernels::expBackward);
    }

    /** Natural logarithm. */
    public static Tensor log(Tensor x) {
        return unary("log", x, UnaryKernels::log, UnaryKernels::logBackward);
    }

    /** {@code √x}. */
    public static Tensor sqrt(Tensor x) {
        return unary("sqrt", x, UnaryKernels::sqrt, UnaryKernels::sqrtBackward);
    }

    /** {@code σ(x) = 1 / (1 + e⁻ˣ)}. */
    public static Tensor sigmoid(Tensor x) {
        return unary("sigmoid", x, UnaryKernels::sigmoid, UnaryKernels::sigmoidBackward);
    }

    /** {@code log σ(x) = −softplus(−x)}, computed as {@code min(x, 0) − log1p(e^−|x|)}: finite for all finite x. */
    public static Tensor logSigmoid(Tensor x) {
        return unary("logSigmoid", x, UnaryKernels::logSigmoid, UnaryKernels::logSigmoidBackward);
    }

    /**
     * {@code log(1 + eˣ)}, computed as {@code max(x, 0) + log1p(e^−|x|)}; for {@code x > 20} it is
     * exactly {@code x} with gradient exactly 1 (PyTorch's beta = 1, threshold = 20).
     */
    public static Tensor softplus(Tensor x) {
        return unary("softplus", x, UnaryKernels::softplus, UnaryKernels::softplusBackward);
    }

    /** Hyperbolic tangent. */
    public static Tensor tanh(Tensor x) {
        return unary("tanh", x, UnaryKernels::tanh, UnaryKernels::tanhBackward);
    }

    /** {@code max(x, 0)}; the gradient at 0 is 0, as PyTorch's. */
    public static Tensor relu(Tensor x) {
        return unary("relu", x, UnaryKernels::relu, UnaryKernels::reluBackward);
    }

    /** GELU, tanh approximation (GPT-2's {@code gelu_new}): {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public static Tensor gelu(Tensor x) {
        return unary("gelu", x, UnaryKernels::gelu, UnaryKernels::geluBackward);
    }

    /** SiLU (swish): {@code x·σ(x)}. */
    public static Tensor silu(Tensor x) {
        return unary("silu", x, UnaryKernels::silu, UnaryKernels::siluBackward);
    }

    /**
     * {@code min(max(x, min), max)}; use infinities for a one-sided clamp. The gradient passes
     * where {@code min ≤ x ≤ max} (bounds included), as PyTorch's.
     */
    public static Tensor clamp(Tensor x, float min, float max) {
        Tensor.requireFloat32("clamp", x);
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min " + min + " must not exceed max " + max + " (for " + x.describe()
                    + "); pass Float.NEGATIVE_INFINITY or POSITIVE_INFINITY for an open side");
        }
        return unary("clamp", x, (out, in, off, n) -> UnaryKernels.clamp(out, in, off, min, max, n),
                (gx, g, in, off, y, n) -> UnaryKernels.clampBackward(gx, g, in, off, min, max, n));
    }

    /** A forward kernel {@code (out, x, xOff, n)}. */
    @FunctionalInterface
    private interface Forward {
        void run(float[] out, float[] x, int xOff, int n);
    }

    /** A backward kernel {@code gx += g·f'(x)}, given the input {@code x} and the saved output {@code y}. */
    @FunctionalInterface
    private interface Backward {
        void run(float[] gx, float[] g, float[] x, int xOff, float[] y, int n);
    }

    private static Tensor unary(String op, Tensor x, Forward forward, Backward backward) {
        Tensor.requireFloat32(op, x);
        Tensor out = Tensor.forOverwrite(x.shape());
        int n = out.numel();
        forward.run(out.data, x.data, x.offset, n);
        Autograd.record(out, op, () -> {
            if (x.requiresGrad()) backward.run(x.gradBuffer(), out.gradOrNull(), x.data, x.offset, out.data, n);
        }, x);
        return out;
    }

    // ---------------------------------------------------------------- masks

    /** {@code mask ? a : b}, elementwise; all three of one shape (PyTorch's {@code torch.where}). */
    public static Tensor where(Mask mask, Tensor a, Tensor b) {
        Tensor.requireFloat32("where", a, b);
        Shapes.requireSame("where", a.shape(), b.shape());
        requireMaskShape("where", mask, a);
        Tensor out = Tensor.zeros(a.shape());
        int n = out.numel();
        MaskKernels.select(out.data, mask.bits, a.data, a.offset, b.data, b.offset, n);
        Autograd.record(out, "where", () -> {
            float[] g = out.gradOrNull();
            if (a.requiresGrad()) MaskKernels.accumulateWhere(a.gradBuffer(), mask.bits, true, g, 1f, n);
            if (b.requiresGrad()) MaskKernels.accumulateWhere(b.gradBuffer(), mask.bits, false, g, 1f, n);
        }, a, b);
        return out;
    }

    /** {@code x} with {@code value} where the mask is set (PyTorch's {@code masked_fill}); no gradient flows there. */
    public static Tensor maskedFill(Tensor x, Mask mask, float value) {
        Tensor.requireFloat32("maskedFill", x);
        requireMaskShape("maskedFill", mask, x);
        Tensor out = Tensor.zeros(x.shape());
        int n = out.numel();
        MaskKernels.fill(out.data, mask.bits, x.data, x.offset, value, n);
        Autograd.record(out, "maskedFill", () -> {
            if (x.requiresGrad()) MaskKernels.accumulateWhere(x.gradBuffer(), mask.bits, false, out.gradOrNull(), 1f, n);
        }, x);
        return out;
    }

    private static void requireMaskShape(String op, Mask mask, Tensor x) {
        if (!Arrays.equals(mask.shape(), x.shape())) {
            throw new IllegalArgumentException(op + ": " + mask.describe() + " does not match " + x.describe()
                    + "; build the mask with the tensor's shape");
        }
    }

    /**
     * Inverted dropout (PyTorch's {@code F.dropout}): in training, each element is zeroed with
     * probability {@code p} and the others are scaled by {@code 1/(1−p)}; otherwise, or with
     * {@code p = 0}, {@code x} itself is returned. The mask is a function of {@code seed} and the
     * element index alone (see {@link MaskKernels#dropoutMask}), so the same seed gives the same
     * mask whatever the thread count; draw a fresh seed per call site and step. Backward applies
     * the same mask and scale, kept as a bitset.
     */
    public static Tensor dropout(Tensor x, float p, long seed, boolean training) {
        Tensor.requireFloat32("dropout", x);
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1], got " + p + " for " + x.describe());
        }
        if (!training || p == 0f) return x;
        int n = x.numel();
        long[] bits = new long[(n + 63) >>> 6];
        MaskKernels.dropoutMask(bits, seed, p, n);
        float scale = p == 1f ? 0f : 1f / (1f - p);
        Tensor out = Tensor.zeros(x.shape());
        MaskKernels.keep(out.data, bits, x.data, x.offset, scale, n);
        Autograd.record(out, "dropout", () -> {
            if (x.requiresGrad()) MaskKernels.accumulateWhere(x.gradBuffer(), bits, true, out.gradOrNull(), scale, n);
        }, x);
        return out;
    }
}
