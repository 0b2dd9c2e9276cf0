package dev.align4j.tensor.optim;

import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.OptimizerKernels;

import java.util.ArrayList;
import java.util.List;

/**
 * Stochastic gradient descent with optional momentum, with the semantics of PyTorch's
 * {@code torch.optim.SGD} (single-tensor path, {@code _single_tensor_sgd} in
 * {@code torch/optim/sgd.py}).
 *
 * <p>For each parameter {@code p} whose gradient {@code g} exists:
 * <pre>
 * g ← g + λ·p                                   weight decay as an L2 term (coupled), when λ ≠ 0
 * b ← g                                         the first time this parameter steps
 * b ← μ·b + (1 − τ)·g                           afterwards (dampening τ applies from step 2 on)
 * g ← nesterov ? g + μ·b : b                    when μ ≠ 0
 * p ← p − lr·g
 * </pre>
 * The momentum form is PyTorch's ({@code v ← μ·v + g; p ← p − lr·v}), not Sutskever et al.'s
 * ({@code v ← μ·v + lr·g}); the two differ when the learning rate changes. Nesterov momentum is
 * Sutskever et al., "On the importance of initialization and momentum in deep learning", ICML
 * 2013, in PyTorch's rewriting. The float32 arithmetic is in {@link OptimizerKernels#sgd}.
 *
 * <p>A parameter whose gradient is null is skipped, as in PyTorch, and its momentum buffer is
 * created at its first real step. Deviation: PyTorch accepts any dampening; here it must lie in
 * {@code [0, 1]}.
 *
 * <p>What it is not: maximize, per-group learning rates, or a scheduler.
 */
public final class Sgd {
    /**
     * One parameter's state, as PyTorch's {@code state_dict()["state"][i]["momentum_buffer"]}: the
     * momentum buffer of the parameter's numel, or null before its first step (and always when
     * momentum is 0).
     */
    public record ParamState(float[] momentumBuffer) {}

    private final List<Tensor> params;
    private final double[] weightDecay; // per parameter
    private final double momentum, dampening;
    private final boolean nesterov;
    private double lr;
    private final float[][] buffers; // per parameter, (numel) or null until its first step

    /** Plain momentum SGD: no dampening, no Nesterov. */
    public Sgd(List<ParamGroup> groups, double learningRate, double momentum) {
        this(groups, learningRate, momentum, 0, false);
    }

    /**
     * @param groups       the parameters, each group with its (coupled, L2) weight decay
     * @param learningRate {@code >= 0}
     * @param momentum     μ, {@code >= 0}; 0 turns momentum off
     * @param dampening    τ, in {@code [0, 1]}
     * @param nesterov     Nesterov momentum; needs {@code momentum > 0} and {@code dampening = 0}
     */
    public Sgd(List<ParamGroup> groups, double learningRate, double momentum, double dampening, boolean nesterov) {
        requireLearningRate(learningRate);
        if (!(momentum >= 0) || Double.isInfinite(momentum)) {
            throw new IllegalArgumentException("Sgd: momentum must be finite and >= 0, got " + momentum);
        }
        if (!(dampening >= 0 && dampening <= 1)) {
            throw new IllegalArgumentException("Sgd: dampening must be in [0, 1], got " + dampening);
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Sgd: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum "
                    + momentum + " and dampening " + dampening);
        }
        this.params = ParamGroup.flatten("Sgd", groups);
        this.weightDecay = ParamGroup.weightDecays(groups);
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.lr = learningRate;
        this.buffers = new float[params.size()][];
    }

    /** The parameters in state order (groups flattened). */
    public List<Tensor> params() {
        return params;
    }

    public double learningRate() {
        return lr;
    }

    /** Sets the learning rate the next {@link #step()} uses. */
    public void setLearningRate(double learningRate) {
        requireLearningRate(learningRate);
        this.lr = learningRate;
    }

    /** One update of every parameter that has a gradient, at the current learning rate. */
    public void step() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            float[] g = p.gradOrNull(); // (numel)
            if (g == null) continue;
            boolean first = false;
            if (momentum != 0 && buffers[i] == null) {
                buffers[i] = new float[p.numel()];
                first = true;
            }
            OptimizerKernels.sgd(p.storage(), p.offset(), buffers[i], g, p.numel(), (float) weightDecay[i],
                    (float) momentum, (float) (1 - dampening), first, nesterov, (float) -lr);
        }
    }

    /** Zeroes every parameter's gradient buffer (kept allocated; see {@link AdamW} for what that implies). */
    public void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    /** A copy of the state, one entry per parameter in {@link #params()} order. */
    public List<ParamState> state() {
        List<ParamState> out = new ArrayList<>(params.size());
        for (float[] b : buffers) out.add(new ParamState(b == null ? null : b.clone()));
        return List.copyOf(out);
    }

    /** Replaces the state with a copy of {@code state}, as exported by {@link #state()} for the same parameters. */
    public void loadState(List<ParamState> state) {
        if (state == null || state.size() != params.size()) {
            throw new IllegalArgumentException("Sgd.loadState: " + (state == null ? "null" : state.size() + " entries")
                    + " for " + params.size() + " parameters; load the state saved by an optimizer over the same parameters");
        }
        for (int i = 0; i < state.size(); i++) {
            ParamState s = state.get(i);
            float[] b = s == null ? null : s.momentumBuffer();
            int n = params.get(i).numel();
            if (s == null || (b != null && b.length != n) || (b != null && momentum == 0)) {
                throw new IllegalArgumentException("Sgd.loadState: entry " + i + " does not fit parameter "
                        + params.get(i).describe() + " (" + n + " elements, momentum " + momentum + "): "
                        + (s == null ? "null" : b == null ? "no buffer" : "buffer of " + b.length + " floats"));
            }
        }
        for (int i = 0; i < state.size(); i++) {
            float[] b = state.get(i).momentumBuffer();
            buffers[i] = b == null ? null : b.clone();
        }
    }

    private static void requireLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("Sgd: learning rate must be finite and >= 0, got " + lr);
        }
    }
}
