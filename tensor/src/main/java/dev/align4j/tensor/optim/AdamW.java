package dev.align4j.tensor.optim;

import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.OptimizerKernels;

import java.util.ArrayList;
import java.util.List;

/**
 * Adam with decoupled weight decay, with the exact semantics of PyTorch's {@code torch.optim.AdamW}
 * (non-amsgrad, non-fused, single-tensor path), as Hugging Face's Trainer runs it with
 * {@code optim="adamw_torch"}.
 *
 * <p>For each parameter {@code p} whose gradient {@code g} exists, at its own step {@code t}
 * (counting from 1):
 * <pre>
 * p ← p·(1 − lr·λ)                                       decoupled weight decay, first
 * m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 * step_size = lr / (1 − β1^t)    denom = sqrt(v) / sqrt(1 − β2^t) + eps
 * p ← p − step_size·m / denom
 * </pre>
 * This is {@code _single_tensor_adamw} in {@code torch/optim/adamw.py} (newer releases run the same
 * ops from {@code _single_tensor_adam} in {@code adam.py} with {@code decoupled_weight_decay=True}): the decay
 * {@code param.mul_(1 - lr * weight_decay)} precedes the moment updates; {@code eps} is added
 * <em>after</em> dividing {@code sqrt(v)} by {@code sqrt(bias_correction2)}, not inside the
 * square root; bias corrections, step size and {@code sqrt(bias_correction2)} are Python floats,
 * i.e. doubles, rounded to float32 only when they meet the tensors. The algorithm is Loshchilov
 * and Hutter, "Decoupled Weight Decay Regularization", arXiv:1711.05101, on Kingma and Ba's Adam,
 * arXiv:1412.6980. The float32 arithmetic, op by op, is in {@link OptimizerKernels#adamw}.
 *
 * <p>Defaults are Hugging Face {@code TrainingArguments}': {@code adam_beta1 = 0.9},
 * {@code adam_beta2 = 0.999}, {@code adam_epsilon = 1e-8}, {@code weight_decay = 0.0} (PyTorch's
 * own AdamW default is 0.01; HF passes 0.0 unless told). The learning rate has no default.
 *
 * <p>Like PyTorch, a parameter whose gradient is null is skipped: not decayed, its moments and
 * step count untouched. A parameter with an all-zero gradient buffer is <em>not</em> skipped: it
 * decays and coasts on its moments. {@link #zeroGrad()} keeps gradient buffers (PyTorch's
 * {@code set_to_none=False}) because the engine reuses gradient memory; PyTorch's default
 * {@code set_to_none=True} would instead skip a parameter that took no part in the last backward.
 * Freeze such parameters or leave them out of the optimizer.
 *
 * <p>What it is not: amsgrad, maximize, per-group learning rates, or a scheduler; the schedule
 * sets {@link #setLearningRate} before each {@link #step()}.
 */
public final class AdamW {
    /** Hugging Face's {@code adam_beta1}. */
    public static final double DEFAULT_BETA1 = 0.9;
    /** Hugging Face's {@code adam_beta2}. */
    public static final double DEFAULT_BETA2 = 0.999;
    /** Hugging Face's {@code adam_epsilon}. */
    public static final double DEFAULT_EPS = 1e-8;

    /**
     * One parameter's optimizer state, as PyTorch's {@code state_dict()["state"][i]}: the number of
     * steps taken and the two moments, each of the parameter's numel. Step 0 with zero moments is
     * the state of a parameter that has never had a gradient.
     */
    public record ParamState(long step, float[] expAvg, float[] expAvgSq) {}

    private final List<Tensor> params;
    private final double[] weightDecay; // per parameter
    private final double beta1, beta2, eps;
    private double lr;
    private final long[] steps;
    private final float[][] expAvg, expAvgSq; // per parameter, (numel)

    /** AdamW with Hugging Face's default betas and epsilon. */
    public AdamW(List<ParamGroup> groups, double learningRate) {
        this(groups, learningRate, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS);
    }

    /**
     * @param groups       the parameters, each group with its weight decay
     * @param learningRate the initial learning rate, {@code >= 0}
     * @param beta1        first-moment decay, in {@code [0, 1)}
     * @param beta2        second-moment decay, in {@code [0, 1)}
     * @param eps          added to the denominator, {@code >= 0}
     */
    public AdamW(List<ParamGroup> groups, double learningRate, double beta1, double beta2, double eps) {
        requireLearningRate(learningRate);
        requireBeta("beta1", beta1);
        requireBeta("beta2", beta2);
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("AdamW: eps must be finite and >= 0, got " + eps);
        }
        this.params = ParamGroup.flatten("AdamW", groups);
        this.weightDecay = ParamGroup.weightDecays(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.lr = learningRate;
        int n = params.size();
        this.steps = new long[n];
        this.expAvg = new float[n][];
        this.expAvgSq = new float[n][];
        for (int i = 0; i < n; i++) {
            expAvg[i] = new float[params.get(i).numel()];
            expAvgSq[i] = new float[params.get(i).numel()];
        }
    }

    /** The parameters in state order (groups flattened). */
    public List<Tensor> params() {
        return params;
    }

    public double learningRate() {
        return lr;
    }

    /** Sets the learning rate the next {@link #step()} uses (a schedule calls this before each step). */
    public void setLearningRate(double learningRate) {
        requireLearningRate(learningRate);
        this.lr = learningRate;
    }

    /** One update of every parameter that has a gradient, at the current learning rate. */
    public void step() {
        step(1f, false);
    }

    /**
     * {@link #step()} on the gradients multiplied by {@code gradScale} (the coefficient of
     * {@link GradClip#coefficient}), then {@link #zeroGrad()}: what a trainer runs after
     * {@code clip_grad_norm_}, as one pass over memory instead of three, with the same result to
     * the bit ({@link OptimizerKernels#adamw} says why).
     */
    public void stepAndZeroGrad(float gradScale) {
        step(gradScale, true);
    }

    private void step(float gradScale, boolean zeroGrad) {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            float[] g = p.gradOrNull(); // (numel)
            if (g == null) continue;
            long t = ++steps[i];
            double biasCorrection1 = 1 - Math.pow(beta1, t);
            double biasCorrection2 = 1 - Math.pow(beta2, t);
            double stepSize = lr / biasCorrection1;
            double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
            OptimizerKernels.adamw(p.storage(), p.offset(), expAvg[i], expAvgSq[i], g, p.numel(), gradScale, zeroGrad,
                    (float) (1 - lr * weightDecay[i]), (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                    (float) -stepSize, (float) biasCorrection2Sqrt, (float) eps);
        }
    }

    /** Zeroes every parameter's gradient buffer (kept allocated). */
    public void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    /** A copy of the state, one entry per parameter in {@link #params()} order. */
    public List<ParamState> state() {
        List<ParamState> out = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            out.add(new ParamState(steps[i], expAvg[i].clone(), expAvgSq[i].clone()));
        }
        return List.copyOf(out);
    }

    /** Replaces the state with a copy of {@code state}, as exported by {@link #state()} for the same parameters. */
    public void loadState(List<ParamState> state) {
        if (state == null || state.size() != params.size()) {
            throw new IllegalArgumentException("AdamW.loadState: " + (state == null ? "null" : state.size() + " entries")
                    + " for " + params.size() + " parameters; load the state saved by an optimizer over the same parameters");
        }
        for (int i = 0; i < state.size(); i++) {
            ParamState s = state.get(i);
            int n = params.get(i).numel();
            if (s == null || s.step() < 0 || s.expAvg() == null || s.expAvgSq() == null
                    || s.expAvg().length != n || s.expAvgSq().length != n) {
                throw new IllegalArgumentException("AdamW.loadState: entry " + i + " does not fit parameter "
                        + params.get(i).describe() + " (" + n + " elements): " + describe(s));
            }
        }
        for (int i = 0; i < state.size(); i++) {
            ParamState s = state.get(i);
            steps[i] = s.step();
            System.arraycopy(s.expAvg(), 0, expAvg[i], 0, expAvg[i].length);
            System.arraycopy(s.expAvgSq(), 0, expAvgSq[i], 0, expAvgSq[i].length);
        }
    }

    private static String describe(ParamState s) {
        if (s == null) return "null";
        return "step " + s.step() + ", exp_avg " + (s.expAvg() == null ? "null" : s.expAvg().length + " floats")
                + ", exp_avg_sq " + (s.expAvgSq() == null ? "null" : s.expAvgSq().length + " floats");
    }

    private static void requireLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("AdamW: learning rate must be finite and >= 0, got " + lr);
        }
    }

    private static void requireBeta(String name, double beta) {
        if (!(beta >= 0 && beta < 1)) {
            throw new IllegalArgumentException("AdamW: " + name + " must be in [0, 1), got " + beta);
        }
    }
}
