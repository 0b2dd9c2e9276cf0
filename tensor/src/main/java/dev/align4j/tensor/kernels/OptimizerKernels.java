package dev.align4j.tensor.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The in-place parameter updates of the optimizers (AdamW, SGD with momentum) and the two
 * passes of gradient-norm clipping (sum of squares, scale).
 *
 * <p>What it is: float32 elementwise loops over one parameter tensor, vectorised with a scalar
 * tail that computes exactly the same roundings, split across cores for big tensors. What it is
 * not: the bookkeeping (step counts, bias corrections, learning rate), which lives in
 * {@code dev.align4j.tensor.optim} and arrives here as ready float scalars.
 *
 * <p>Based on PyTorch's float32 CPU path, op by op, so the roundings follow the same sequence:
 * {@code torch/optim/adamw.py} {@code _single_tensor_adamw} and {@code torch/optim/sgd.py}
 * {@code _single_tensor_sgd} issue the ops; ATen's vectorised CPU kernels define each op's
 * arithmetic: {@code lerp_} as one fused multiply-add ({@code native/cpu/LerpKernel.cpp}
 * {@code lerp_vec}), {@code add(other, alpha)} as {@code fma(other, alpha, self)}
 * ({@code native/ufunc/add.h}), {@code addcmul} as {@code self + value·t1·t2} and {@code addcdiv}
 * as {@code self + value·t1/t2}, left to right, unfused ({@code native/cpu/PointwiseOpsKernel.cpp}).
 * Deviation: PyTorch's own scalar tails compute lerp and add-with-alpha unfused, so its results
 * can differ in the last bit between vector body and tail; here body and tail agree exactly,
 * so the result never depends on where a chunk or the tail starts.
 */
public final class OptimizerKernels {
    private OptimizerKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Doubles in a vector of the same bit size: half as many lanes as {@link #F}. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    /** Elements per partial sum in {@link #sumOfSquares}: fixed, so the order never depends on the thread count. */
    private static final int REDUCE_CHUNK = 1 << 15;
    /** Approximate float operations per element of the AdamW update, for {@link Parallel#grain}. */
    private static final int ADAMW_WORK = 16;

    /**
     * One AdamW step for one parameter, in place ({@code _single_tensor_adamw}, non-amsgrad), on the
     * gradient scaled first as gradient clipping scales it:
     * <pre>
     * g ← g·gradScale                     clip_grad_norm_'s grad.mul_(clip_coef), 1 when not clipping
     * p ← p·decay                         param.mul_(1 − lr·λ)
     * m ← lerp(m, g, lerpWeight)          exp_avg.lerp_(grad, 1 − β1)
     * v ← v·β2 + ((1−β2)·g)·g             exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 − β2)
     * d ← sqrt(v) / bc2Sqrt + eps         (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
     * p ← p + (negStepSize·m) / d         param.addcdiv_(exp_avg, denom, value=−lr/bias_correction1)
     * </pre>
     * with {@code lerp(a, b, w) = fma(w, b − a, a)} for {@code |w| < 0.5}, else
     * {@code fma(w − 1, b − a, b)}. With {@code zeroGrad} the gradient is then set to zero
     * ({@code zero_grad(set_to_none=False)}).
     *
     * <p>Why scaling and zeroing are here: clipping's scale pass reads and writes every gradient
     * and zeroing writes it once more, each a full pass over memory as large as the model; done in
     * this pass, where the gradient is read anyway, they cost no traffic of their own. GPT-2 124M,
     * B=4×T=64, 2 threads: clip 52 ms + step 78 ms + zero 52 ms a step as separate passes. Scaling
     * in a register is the same float product as scaling in place, so the result is bit-identical
     * to the separate passes, and a scale of 1 leaves every gradient as it is.
     *
     * @param param       the parameter's storage, elements {@code [paramOff, paramOff + n)}; updated
     * @param expAvg      first moment m, {@code [0, n)}; updated
     * @param expAvgSq    second moment v, {@code [0, n)}; updated
     * @param grad        the gradient g, {@code [0, n)}; set to zero when {@code zeroGrad}
     */
    public static void adamw(float[] param, int paramOff, float[] expAvg, float[] expAvgSq, float[] grad, int n,
                             float gradScale, boolean zeroGrad, float decay, float lerpWeight, float beta2, float oneMinusBeta2,
                             float negStepSize, float bc2Sqrt, float eps) {
        requireRange("adamw", "param", param, paramOff, n);
        requireRange("adamw", "exp_avg", expAvg, 0, n);
        requireRange("adamw", "exp_avg_sq", expAvgSq, 0, n);
        requireRange("adamw", "grad", grad, 0, n);
        boolean small = Math.abs(lerpWeight) < 0.5f;
        float coeff = small ? lerpWeight : lerpWeight - 1f;
        Parallel.forRange(n, Parallel.grain(n, ADAMW_WORK), (start, end) -> {
            FloatVector coeffV = FloatVector.broadcast(F, coeff);
            int i = start;
            FloatVector zero = FloatVector.zero(F);
            for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
                FloatVector g = FloatVector.fromArray(F, grad, i).mul(gradScale);
                if (zeroGrad) zero.intoArray(grad, i);
                FloatVector m = FloatVector.fromArray(F, expAvg, i);
                FloatVector p = FloatVector.fromArray(F, param, paramOff + i).mul(decay);
                m = g.sub(m).fma(coeffV, small ? m : g);
                FloatVector v = FloatVector.fromArray(F, expAvgSq, i).mul(beta2).add(g.mul(oneMinusBeta2).mul(g));
                FloatVector denom = v.sqrt().div(bc2Sqrt).add(eps);
                p = p.add(m.mul(negStepSize).div(denom));
                m.intoArray(expAvg, i);
                v.intoArray(expAvgSq, i);
                p.intoArray(param, paramOff + i);
            }
            for (; i < end; i++) {
                float g = grad[i] * gradScale;
                if (zeroGrad) grad[i] = 0f;
                float m = expAvg[i];
                float p = param[paramOff + i] * decay;
                m = Math.fma(g - m, coeff, small ? m : g);
                float v = expAvgSq[i] * beta2 + g * oneMinusBeta2 * g;
                float denom = (float) Math.sqrt(v) / bc2Sqrt + eps;
                expAvg[i] = m;
                expAvgSq[i] = v;
                param[paramOff + i] = p + m * negStepSize / denom;
            }
        });
    }

    /**
     * One SGD step for one parameter, in place ({@code _single_tensor_sgd}):
     * <pre>
     * d ← fma(p, weightDecay, g)          grad.add(param, alpha=λ)          only when λ ≠ 0
     * b ← d                               first step: buf = grad.clone()
     * b ← fma(d, 1 − τ, b·μ)              later: buf.mul_(μ).add_(grad, alpha=1 − τ)
     * d ← nesterov ? fma(b, μ, d) : b     grad.add(buf, alpha=μ)
     * p ← fma(d, −lr, p)                  param.add_(grad, alpha=−lr)
     * </pre>
     *
     * @param momentumBuffer the buffer b, {@code [0, n)}, updated; null when momentum is 0
     * @param firstStep      whether the buffer is new (it is then set to d, undamped)
     */
    public static void sgd(float[] param, int paramOff, float[] momentumBuffer, float[] grad, int n,
                           float weightDecay, float momentum, float oneMinusDampening, boolean firstStep,
                           boolean nesterov, float negLr) {
        requireRange("sgd", "param", param, paramOff, n);
        requireRange("sgd", "grad", grad, 0, n);
        if (momentumBuffer != null) requireRange("sgd", "momentum_buffer", momentumBuffer, 0, n);
        boolean decay = weightDecay != 0f;
        boolean useBuffer = momentumBuffer != null;
        Parallel.forRange(n, Parallel.grain(n, 8), (start, end) -> {
            FloatVector wdV = FloatVector.broadcast(F, weightDecay);
            FloatVector muV = FloatVector.broadcast(F, momentum);
            FloatVector dampV = FloatVector.broadcast(F, oneMinusDampening);
            FloatVector negLrV = FloatVector.broadcast(F, negLr);
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
                FloatVector p = FloatVector.fromArray(F, param, paramOff + i);
                FloatVector d = FloatVector.fromArray(F, grad, i);
                if (decay) d = p.fma(wdV, d);
                if (useBuffer) {
                    FloatVector b = firstStep ? d
                            : d.fma(dampV, FloatVector.fromArray(F, momentumBuffer, i).mul(momentum));
                    b.intoArray(momentumBuffer, i);
                    d = nesterov ? b.fma(muV, d) : b;
                }
                d.fma(negLrV, p).intoArray(param, paramOff + i);
            }
            for (; i < end; i++) {
                float p = param[paramOff + i];
                float d = grad[i];
                if (decay) d = Math.fma(p, weightDecay, d);
                if (useBuffer) {
                    float b = firstStep ? d : Math.fma(d, oneMinusDampening, momentumBuffer[i] * momentum);
                    momentumBuffer[i] = b;
                    d = nesterov ? Math.fma(b, momentum, d) : b;
                }
                param[paramOff + i] = Math.fma(d, negLr, p);
            }
        });
    }

    /**
     * {@code Σ x[i]²} over {@code x[off .. off+n)}, accumulated in double. The elements are cut into
     * fixed chunks of {@value #REDUCE_CHUNK} summed in parallel and then added in chunk order;
     * inside a chunk each double lane accumulates with fused multiply-adds and the lanes are added
     * in lane order. Same input, same bits, whatever the thread count.
     */
    public static double sumOfSquares(float[] x, int off, int n) {
        requireRange("sumOfSquares", "x", x, off, n);
        int chunks = (n + REDUCE_CHUNK - 1) / REDUCE_CHUNK;
        double[] partial = new double[chunks];
        Parallel.forEach(chunks, c -> {
            int start = off + c * REDUCE_CHUNK;
            partial[c] = sumOfSquaresRange(x, start, start + Math.min(REDUCE_CHUNK, n - c * REDUCE_CHUNK));
        });
        double total = 0;
        for (double s : partial) total += s;
        return total;
    }

    private static double sumOfSquaresRange(float[] x, int start, int end) {
        DoubleVector lo = DoubleVector.zero(D), hi = DoubleVector.zero(D);
        int i = start;
        for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            DoubleVector a = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector b = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
            lo = a.fma(a, lo);
            hi = b.fma(b, hi);
        }
        double[] lanes = lo.add(hi).toArray();
        double s = 0;
        for (double lane : lanes) s += lane;
        for (; i < end; i++) s = Math.fma((double) x[i], x[i], s);
        return s;
    }

    /** {@code x[i] *= factor} over {@code x[off .. off+n)}. */
    public static void scale(float[] x, int off, int n, float factor) {
        requireRange("scale", "x", x, off, n);
        Parallel.forRange(n, Parallel.grain(n, 1), (start, end) -> {
            int i = start;
            for (int bound = start + F.loopBound(end - start); i < bound; i += F.length()) {
                FloatVector.fromArray(F, x, off + i).mul(factor).intoArray(x, off + i);
            }
            for (; i < end; i++) x[off + i] *= factor;
        });
    }

    private static void requireRange(String op, String what, float[] a, int off, int n) {
        if (n < 0 || off < 0 || (long) off + n > a.length) {
            throw new IllegalArgumentException(op + ": " + what + " holds " + a.length + " floats, cannot hold "
                    + n + " elements at offset " + off);
        }
    }
}
