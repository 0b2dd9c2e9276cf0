package dev.align4j.tensor.optim;

import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trainable parameters that share a weight decay: PyTorch's "parameter group" reduced to the one
 * per-group setting Hugging Face varies. The Trainer builds two groups, decayed weights and the
 * rest (biases and norm weights, {@code weight_decay = 0}); which names fall into which group is
 * the model layer's business, not this one.
 *
 * <p>What it is not: a place for per-group learning rates or betas (no trainer here uses them).
 *
 * @param params      trainable tensors ({@link Tensor#requiresGrad()}), each at most once per optimizer
 * @param weightDecay the weight decay λ of this group, {@code >= 0}: decoupled for {@link AdamW},
 *                    an L2 term added to the gradient for {@link Sgd}
 */
public record ParamGroup(List<Tensor> params, double weightDecay) {
    public ParamGroup {
        if (params == null) throw new IllegalArgumentException("ParamGroup: params is null");
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("ParamGroup: weight decay must be finite and >= 0, got " + weightDecay);
        }
        for (int i = 0; i < params.size(); i++) {
            Tensor t = params.get(i);
            if (t == null) throw new IllegalArgumentException("ParamGroup: parameter " + i + " is null");
            if (!t.requiresGrad()) {
                throw new IllegalArgumentException("ParamGroup: parameter " + i + " (" + t.describe()
                        + ") does not require grad; mark it trainable with requiresGrad(true) or leave it out");
            }
        }
        params = List.copyOf(params);
    }

    /** All groups' parameters in order (the numbering of a PyTorch optimizer's state dict); rejects repeats. */
    static List<Tensor> flatten(String optimizer, List<ParamGroup> groups) {
        if (groups == null || groups.isEmpty()) {
            throw new IllegalArgumentException(optimizer + ": no parameter groups; give at least one ParamGroup");
        }
        List<Tensor> all = new ArrayList<>();
        Map<Tensor, Integer> seen = new IdentityHashMap<>();
        for (ParamGroup g : groups) {
            if (g == null) throw new IllegalArgumentException(optimizer + ": a parameter group is null");
            for (Tensor t : g.params) {
                Integer before = seen.put(t, all.size());
                if (before != null) {
                    throw new IllegalArgumentException(optimizer + ": parameter " + t.describe() + " appears twice (indices "
                            + before + " and " + all.size() + "); give each tensor to exactly one group");
                }
                all.add(t);
            }
        }
        return List.copyOf(all);
    }

    /** Each flattened parameter's weight decay, parallel to {@link #flatten}. */
    static double[] weightDecays(List<ParamGroup> groups) {
        int n = 0;
        for (ParamGroup g : groups) n += g.params.size();
        double[] wd = new double[n];
        int i = 0;
        for (ParamGroup g : groups) {
            for (int j = 0; j < g.params.size(); j++) wd[i++] = g.weightDecay;
        }
        return wd;
    }
}
