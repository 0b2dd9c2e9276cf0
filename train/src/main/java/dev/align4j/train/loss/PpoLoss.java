package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Mask;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO's loss on one micro-batch of response tokens: the clipped surrogate policy loss and the
 * clipped value loss, as pure functions built from tensor ops for backward, with TRL's statistics.
 *
 * <p>The equations, per response token t of the micro-batch's N tokens (flattened across its
 * responses), with {@code A_t} the whitened advantage and {@code R_t} the return from
 * {@link PpoAdvantages}, {@code ε} = cliprange, {@code c} = cliprange_value:
 * <pre>
 * ratio_t   = exp(log π(y_t) − log π_old(y_t))
 * pg1_t     = −A_t·ratio_t
 * pg2_t     = −A_t·clamp(ratio_t, 1 − ε, 1 + ε)
 * pg_loss   = mean_t max(pg1_t, pg2_t)
 * vclip_t   = clamp(v_t, v_old,t − c, v_old,t + c)        (bounds per token)
 * vf1_t     = (v_t − R_t)²,  vf2_t = (vclip_t − R_t)²
 * vf_loss   = ½·mean_t max(vf1_t, vf2_t)
 * loss      = pg_loss + vf_coef·vf_loss
 * </pre>
 * The policy loss is the negated clipped surrogate objective {@code L^CLIP} of Schulman et al.
 * 2017, "Proximal Policy Optimization Algorithms" (arXiv:1707.06347), Eq. 7: the max of the
 * negations is the min of the objectives, a pessimistic bound that clips only the side of the ratio
 * that would improve the objective. The value loss clips the new value around the rollout's, as
 * OpenAI's baselines PPO2 and TRL do (the paper's Eq. 9 uses the plain squared error). Clamp and max
 * back-propagate as PyTorch's {@code torch.clamp} (the gradient passes where the value is within
 * the bounds, bounds included) and {@code torch.max(a, b)} (to the larger; halved to each at a tie).
 *
 * <p>Statistics, each a mean over the micro-batch's tokens, under the names of TRL's per-micro-batch
 * stats: {@code loss/policy} (pg_loss), {@code loss/value} (vf_loss), {@code policy/clipfrac}
 * (the fraction with {@code pg2 > pg1}), {@code val/clipfrac} (with {@code vf2 > vf1}),
 * {@code policy/approxkl} ({@code ½·mean (log π − log π_old)²}) and {@code val/ratio} (mean ratio).
 * TRL logs their means over a step's micro-batches as {@code loss/policy_avg},
 * {@code loss/value_avg}, {@code policy/clipfrac_avg}, {@code val/clipfrac_avg},
 * {@code policy/approxkl_avg} and {@code val/ratio}, with {@code val/ratio_var} their variance.
 *
 * <p>Based on the PPO epochs of {@code PPOTrainer.train} (trl/experimental/ppo/ppo_trainer.py).
 * Like TRL's, the loss is a mean over the micro-batch's own tokens, not the sum that
 * {@link dev.align4j.train.Objective} takes: micro-batches weigh equally whatever their token
 * counts. What it is not: the advantages
 * ({@link PpoAdvantages}), the log-probs (the temperature-scaled, gathered log-softmax of the
 * policy's logits) or the value head; TRL's entropy statistic needs the logits and is the
 * trainer's. Deviation: none in the equations; the inputs are flat and unpadded, so no padding mask.
 */
public final class PpoLoss {
    private PpoLoss() {}

    /**
     * The loss's settings under PPOConfig's names.
     *
     * @param cliprange      ε, the policy ratio's clip range
     * @param cliprangeValue c, the value's clip range around the rollout's value
     * @param vfCoef         the value loss's weight in the total
     */
    public record Options(double cliprange, double cliprangeValue, double vfCoef) {
        /** PPOConfig's defaults: cliprange 0.2, cliprange_value 0.2, vf_coef 0.1. */
        public static final Options DEFAULT = new Options(0.2, 0.2, 0.1);

        public Options {
            requireClipRange("cliprange", cliprange);
            requireClipRange("cliprange_value", cliprangeValue);
            if (!(vfCoef >= 0) || !Double.isFinite(vfCoef)) throw new IllegalArgumentException("vf_coef must be ≥ 0, got " + vfCoef);
        }
    }

    /**
     * @param loss      () pg_loss, recorded for backward
     * @param clipfrac  the fraction of tokens whose clipped term won ({@code pg2 > pg1})
     * @param approxkl  {@code ½·mean (log π − log π_old)²}
     * @param ratioMean the mean probability ratio
     */
    public record PolicyLoss(Tensor loss, double clipfrac, double approxkl, double ratioMean) {}

    /**
     * @param loss     () vf_loss, recorded for backward
     * @param clipfrac the fraction of tokens whose clipped term won ({@code vf2 > vf1})
     */
    public record ValueLoss(Tensor loss, double clipfrac) {}

    /**
     * @param loss    () pg_loss + vf_coef·vf_loss, recorded for backward
     * @param policy  the policy term
     * @param value   the value term
     * @param metrics the statistics of the class comment
     */
    public record Result(Tensor loss, PolicyLoss policy, ValueLoss value, Map<String, Double> metrics) {}

    /**
     * The total loss of a micro-batch of N response tokens.
     *
     * @param newLogprobs (N) the policy's log-probs of the response tokens now, recorded for backward
     * @param oldLogprobs (N) the same at rollout time
     * @param advantages  (N) the whitened advantages
     * @param vpred       (N) the value head's values now, recorded for backward
     * @param oldValues   (N) the same at rollout time
     * @param returns     (N) the returns, the value targets
     */
    public static Result compute(Options o, Tensor newLogprobs, float[] oldLogprobs, float[] advantages,
                                 Tensor vpred, float[] oldValues, float[] returns) {
        if (vpred.rank() != newLogprobs.rank() || vpred.numel() != newLogprobs.numel()) {
            throw new IllegalArgumentException("PpoLoss: vpred is " + vpred.describe() + " and newLogprobs " + newLogprobs.describe()
                    + "; both hold one value per response token of the micro-batch");
        }
        PolicyLoss policy = policyLoss(newLogprobs, oldLogprobs, advantages, o.cliprange());
        ValueLoss value = valueLoss(vpred, oldValues, returns, o.cliprangeValue());
        Tensor loss = Elementwise.add(policy.loss(), Elementwise.mulScalar(value.loss(), (float) o.vfCoef()));

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss/policy", (double) policy.loss().item());
        metrics.put("loss/value", (double) value.loss().item());
        metrics.put("policy/clipfrac", policy.clipfrac());
        metrics.put("val/clipfrac", value.clipfrac());
        metrics.put("policy/approxkl", policy.approxkl());
        metrics.put("val/ratio", policy.ratioMean());
        return new Result(loss, policy, value, metrics);
    }

    /**
     * The clipped surrogate policy loss {@code mean max(−A·ratio, −A·clamp(ratio, 1 − ε, 1 + ε))}.
     *
     * @param newLogprobs (N) the policy's log-probs now, recorded for backward
     * @param oldLogprobs (N) at rollout time
     * @param advantages  (N) the whitened advantages
     * @param cliprange   ε
     */
    public static PolicyLoss policyLoss(Tensor newLogprobs, float[] oldLogprobs, float[] advantages, double cliprange) {
        requireClipRange("cliprange", cliprange);
        int n = requireTokens("newLogprobs", newLogprobs);
        requireLength("oldLogprobs", oldLogprobs, "newLogprobs", n);
        requireLength("advantages", advantages, "newLogprobs", n);

        Tensor logRatio = Elementwise.sub(newLogprobs, Tensor.of(oldLogprobs.clone(), n)); // (N)
        Tensor ratio = Elementwise.exp(logRatio);                                            // (N)
        float[] negA = new float[n];
        for (int i = 0; i < n; i++) negA[i] = -advantages[i];
        Tensor minusA = Tensor.of(negA, n);                                                  // (N)
        Tensor pg1 = Elementwise.mul(minusA, ratio);                                         // (N)
        Tensor pg2 = Elementwise.mul(minusA, Elementwise.clamp(ratio, (float) (1 - cliprange), (float) (1 + cliprange)));
        Tensor loss = Reductions.mean(maximum(pg1, pg2));

        float[] d = logRatio.toArray(), r = ratio.toArray();
        double squares = 0, ratios = 0;
        for (int i = 0; i < n; i++) {
            squares += (double) d[i] * d[i];
            ratios += r[i];
        }
        return new PolicyLoss(loss, fractionGreater(pg2, pg1), 0.5 * squares / n, ratios / n);
    }

    /**
     * The clipped value loss {@code ½·mean max((v − R)², (clamp(v, v_old − c, v_old + c) − R)²)}.
     *
     * @param vpred          (N) the value head's values now, recorded for backward
     * @param oldValues      (N) at rollout time
     * @param returns        (N) the returns
     * @param cliprangeValue c
     */
    public static ValueLoss valueLoss(Tensor vpred, float[] oldValues, float[] returns, double cliprangeValue) {
        requireClipRange("cliprange_value", cliprangeValue);
        int n = requireTokens("vpred", vpred);
        requireLength("oldValues", oldValues, "vpred", n);
        requireLength("returns", returns, "vpred", n);

        float[] v = vpred.toArray(), lo = new float[n], hi = new float[n];
        for (int i = 0; i < n; i++) {
            lo[i] = (float) (oldValues[i] - cliprangeValue);
            hi[i] = (float) (oldValues[i] + cliprangeValue);
        }
        // torch.clamp(v, lo, hi) with per-token bounds: the bound where v is outside (no gradient), v itself within.
        Tensor vClipped = Elementwise.where(Mask.of(i -> v[i] < lo[i], n), Tensor.of(lo, n),
                Elementwise.where(Mask.of(i -> v[i] > hi[i], n), Tensor.of(hi, n), vpred)); // (N)
        Tensor target = Tensor.of(returns.clone(), n);                                     // (N)
        Tensor vf1 = square(Elementwise.sub(vpred, target));                               // (N)
        Tensor vf2 = square(Elementwise.sub(vClipped, target));                            // (N)
        Tensor loss = Elementwise.mulScalar(Reductions.mean(maximum(vf1, vf2)), 0.5f);
        return new ValueLoss(loss, fractionGreater(vf2, vf1));
    }

    /**
     * (N) the elementwise maximum, back-propagating as {@code torch.max(a, b)}: to the larger
     * operand, and half to each where they are equal. NaN propagates.
     */
    private static Tensor maximum(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        int n = x.length;
        Tensor tie = Elementwise.mulScalar(Elementwise.add(a, b), 0.5f); // equals a (and b) where they tie
        return Elementwise.where(Mask.of(i -> x[i] > y[i], n), a, Elementwise.where(Mask.of(i -> x[i] < y[i], n), b, tie));
    }

    /** The fraction of elements with {@code a > b}. */
    private static double fractionGreater(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        int count = 0;
        for (int i = 0; i < x.length; i++) if (x[i] > y[i]) count++;
        return (double) count / x.length;
    }

    private static Tensor square(Tensor x) {
        return Elementwise.mul(x, x);
    }

    private static int requireTokens(String name, Tensor x) {
        if (x.rank() != 1 || x.dim(0) == 0) {
            throw new IllegalArgumentException("PpoLoss: " + name + " is " + x.describe() + "; it must be an (N) vector of the"
                    + " micro-batch's response tokens, N ≥ 1 (flatten the responses one after another)");
        }
        return x.dim(0);
    }

    private static void requireLength(String name, float[] x, String likeName, int n) {
        if (x.length != n) {
            throw new IllegalArgumentException("PpoLoss: " + name + " has " + x.length + " values, " + likeName + " " + n
                    + "; give one per response token of the micro-batch, in the same order");
        }
    }

    private static void requireClipRange(String name, double range) {
        if (!(range >= 0) || !Double.isFinite(range)) throw new IllegalArgumentException(name + " must be ≥ 0, got " + range);
    }
}
