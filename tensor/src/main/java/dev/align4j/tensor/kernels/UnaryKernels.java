package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.align4j.tensor.kernels.ElementwiseKernels.CHEAP;
import static dev.align4j.tensor.kernels.ElementwiseKernels.TRANSCENDENTAL;
import static dev.align4j.tensor.kernels.ElementwiseKernels.grain;

/**
 * Unary elementwise functions (exp, log, sqrt, pow, the activations, clamp) and their
 * derivatives, as forward/backward kernel pairs.
 *
 * <p>Every forward is {@code (out, x, xOff, n)}; every backward is
 * {@code (gx, g, x, xOff, y, n)} and accumulates {@code gx += g · f'(x)}, reading the input
 * {@code x} or the saved output {@code y}, whichever gives the cheaper or more accurate
 * derivative. Transcendentals come from {@link VectorMath} (exactly rounded operations only, so
 * the bits do not depend on how warm the JIT is) and run their last partial vector with a lane
 * mask instead of a scalar tail, so every element goes through the same polynomial. Kernels made
 * of plain arithmetic keep a scalar tail that repeats the vector's operations in the same order.
 * What it is not: softmax and its relatives (they reduce along an axis) or anything fused with
 * a matmul.
 *
 * <p>Formulas follow PyTorch's documentation: {@code Softplus} (beta 1, threshold 20: linear
 * above 20, which the stable form below gives by rounding), {@code LogSigmoid} as
 * {@code min(x, 0) − log1p(exp(−|x|))}, {@code GELU} with {@code approximate='tanh'} (GPT-2's
 * {@code gelu_new}; Hendrycks and Gimpel 2016), {@code SiLU} (Elfwing et al. 2017), and
 * {@code clamp}, whose gradient passes where {@code min ≤ x ≤ max}.
 */
public final class UnaryKernels {
    private UnaryKernels() {}

    private static final VectorSpecies<Float> S = ElementwiseKernels.S;
    private static final int L = ElementwiseKernels.L;

    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);
    private static final float GELU_K = 0.044715f;

    // ---------------------------------------------------------------- exp, log, sqrt, pow

    public static void exp(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                VectorMath.exp(load(x, xOff + i, m)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · y}. */
    public static void expBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        ElementwiseKernels.accumulateProduct(gx, g, y, 0, n);
    }

    public static void log(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                VectorMath.log(load(x, xOff + i, m)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g / x}. */
    public static void logBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        ElementwiseKernels.accumulateQuotient(gx, g, x, xOff, n);
    }

    public static void sqrt(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, x, xOff + i).lanewise(VectorOperators.SQRT).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = (float) Math.sqrt(x[xOff + i]);
        });
    }

    /** {@code gx += g · 0.5 / y}. */
    public static void sqrtBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector d = FloatVector.fromArray(S, g, i).mul(0.5f).div(FloatVector.fromArray(S, y, i));
                d.add(FloatVector.fromArray(S, gx, i)).intoArray(gx, i);
            }
            for (; i < e; i++) gx[i] += g[i] * 0.5f / y[i];
        });
    }

    /**
     * {@code out = x^p}, scalar {@link Math#pow} (one HotSpot stub serves the interpreter and
     * compiled code, so it is as deterministic as the vector code; pow is not on a hot path).
     */
    public static void pow(float[] out, float[] x, int xOff, float p, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i++) out[i] = (float) Math.pow(x[xOff + i], p);
        });
    }

    /** {@code gx += g · p · x^(p−1)}; nothing when {@code p = 0} (as PyTorch: the gradient is zero). */
    public static void powBackward(float[] gx, float[] g, float[] x, int xOff, float p, int n) {
        if (p == 0f) return;
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i++) gx[i] += g[i] * p * (float) Math.pow(x[xOff + i], p - 1f);
        });
    }

    // ---------------------------------------------------------------- sigmoid family

    public static void sigmoid(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                VectorMath.sigmoid(load(x, xOff + i, m)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · y · (1 − y)}. */
    public static void sigmoidBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector yv = FloatVector.fromArray(S, y, i);
                FloatVector d = FloatVector.fromArray(S, g, i).mul(yv).mul(yv.neg().add(1f));
                d.add(FloatVector.fromArray(S, gx, i)).intoArray(gx, i);
            }
            for (; i < e; i++) gx[i] += g[i] * y[i] * (-y[i] + 1f);
        });
    }

    /** {@code log σ(x) = min(x, 0) − log1p(exp(−|x|))}: finite for every finite x. */
    public static void logSigmoid(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector v = load(x, xOff + i, m);
                v.min(0f).sub(softplusOfMinusAbs(v)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · σ(−x)}. */
    public static void logSigmoidBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector d = VectorMath.sigmoid(load(x, xOff + i, m).neg());
                load(g, i, m).fma(d, load(gx, i, m)).intoArray(gx, i, m);
            }
        });
    }

    /**
     * {@code log(1 + exp(x)) = max(x, 0) + log1p(exp(−|x|))}. This equals PyTorch's beta = 1,
     * threshold = 20 rule without a branch: above 20, {@code log1p(e^−x) < 2.1e-9} is below half an
     * ulp of x, so the sum rounds to x itself (and the gradient σ(x) rounds to 1).
     */
    public static void softplus(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector v = load(x, xOff + i, m);
                v.max(0f).add(softplusOfMinusAbs(v)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · σ(x)}. */
    public static void softplusBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector d = VectorMath.sigmoid(load(x, xOff + i, m));
                load(g, i, m).fma(d, load(gx, i, m)).intoArray(gx, i, m);
            }
        });
    }

    /** {@code log1p(exp(−|x|))}, in (0, log 2]. */
    private static FloatVector softplusOfMinusAbs(FloatVector v) {
        return VectorMath.log1pUnit(VectorMath.exp(v.abs().neg()));
    }

    /** {@code x · σ(x)}. */
    public static void silu(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector v = load(x, xOff + i, m);
                v.mul(VectorMath.sigmoid(v)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · σ(x) · (1 + x · (1 − σ(x)))}. */
    public static void siluBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector v = load(x, xOff + i, m);
                FloatVector sg = VectorMath.sigmoid(v);
                FloatVector d = sg.mul(v.mul(sg.neg().add(1f)).add(1f));
                load(g, i, m).fma(d, load(gx, i, m)).intoArray(gx, i, m);
            }
        });
    }

    // ---------------------------------------------------------------- tanh, gelu

    public static void tanh(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                VectorMath.tanh(load(x, xOff + i, m)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · (1 − y²)}. */
    public static void tanhBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector yv = FloatVector.fromArray(S, y, i);
                FloatVector d = yv.neg().fma(yv, FloatVector.broadcast(S, 1f));
                FloatVector.fromArray(S, g, i).fma(d, FloatVector.fromArray(S, gx, i)).intoArray(gx, i);
            }
            for (; i < e; i++) gx[i] = Math.fma(g[i], Math.fma(-y[i], y[i], 1f), gx[i]);
        });
    }

    /** {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public static void gelu(float[] out, float[] x, int xOff, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector v = load(x, xOff + i, m);
                FloatVector t = VectorMath.tanh(geluInner(v));
                v.mul(0.5f).mul(t.add(1f)).intoArray(out, i, m);
            }
        });
    }

    /** {@code gx += g · (0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²))}, {@code t} the tanh above. */
    public static void geluBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, TRANSCENDENTAL), (s, e) -> {
            for (int i = s; i < e; i += L) {
                VectorMask<Float> m = S.indexInRange(i, e);
                FloatVector v = load(x, xOff + i, m);
                FloatVector t = VectorMath.tanh(geluInner(v));
                FloatVector du = v.mul(v).mul(3 * GELU_K).add(1f).mul(GELU_C);
                FloatVector d = t.add(1f).add(v.mul(t.neg().fma(t, FloatVector.broadcast(S, 1f))).mul(du)).mul(0.5f);
                load(g, i, m).fma(d, load(gx, i, m)).intoArray(gx, i, m);
            }
        });
    }

    private static FloatVector geluInner(FloatVector v) {
        return v.mul(v).mul(v).mul(GELU_K).add(v).mul(GELU_C);
    }

    private static FloatVector load(float[] a, int off, VectorMask<Float> m) {
        return FloatVector.fromArray(S, a, off, m);
    }

    // ---------------------------------------------------------------- relu, clamp

    public static void relu(float[] out, float[] x, int xOff, int n) {
        clamp(out, x, xOff, 0f, Float.POSITIVE_INFINITY, n);
    }

    /** {@code gx += g} where {@code x > 0} (zero at the kink, as PyTorch). */
    public static void reluBackward(float[] gx, float[] g, float[] x, int xOff, float[] y, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                VectorMask<Float> pass = FloatVector.fromArray(S, x, xOff + i).compare(VectorOperators.GT, 0f);
                FloatVector gxv = FloatVector.fromArray(S, gx, i);
                gxv.add(FloatVector.fromArray(S, g, i), pass).intoArray(gx, i);
            }
            for (; i < e; i++) if (x[xOff + i] > 0f) gx[i] += g[i];
        });
    }

    /** {@code out = min(max(x, lo), hi)}; NaN stays NaN. */
    public static void clamp(float[] out, float[] x, int xOff, float lo, float hi, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector.fromArray(S, x, xOff + i).max(lo).min(hi).intoArray(out, i);
            }
            for (; i < e; i++) out[i] = Math.min(Math.max(x[xOff + i], lo), hi);
        });
    }

    /** {@code gx += g} where {@code lo ≤ x ≤ hi}. */
    public static void clampBackward(float[] gx, float[] g, float[] x, int xOff, float lo, float hi, int n) {
        Parallel.forRange(n, grain(n, CHEAP), (s, e) -> {
            int i = s;
            for (int end = s + S.loopBound(e - s); i < end; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i);
                VectorMask<Float> pass = v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LE, hi));
                FloatVector.fromArray(S, gx, i).add(FloatVector.fromArray(S, g, i), pass).intoArray(gx, i);
            }
            for (; i < e; i++) {
                float v = x[xOff + i];
                if (v >= lo && v <= hi) gx[i] += g[i];
            }
        });
    }
}
