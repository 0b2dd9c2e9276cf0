package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Mask;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * KTO's loss on unpaired completions, each labelled desirable or undesirable, as a pure function
 * of the policy's and the reference's summed log-probs, built from tensor ops for backward.
 *
 * <p>The equations (Ethayarajh et al. 2024, "KTO: Model Alignment as Prospect Theoretic
 * Optimization", arXiv:2402.01306, Eq. 7), per completion y of prompt x with log-ratio
 * {@code ρ = log π(y|x) − log π_ref(y|x)}:
 * <pre>
 * desirable    λ_D · (1 − σ(β·(ρ − z₀)))
 * undesirable  λ_U · (1 − σ(β·(z₀ − ρ)))
 * </pre>
 * with the reference point {@code z₀ = max(0, mean_j (log π(y'_j|x_j) − log π_ref(y'_j|x_j)))}, an
 * estimate of {@code KL(π ‖ π_ref)} from the batch's mismatched pairs: each prompt with another
 * example's completion ({@link #referencePoint}). z₀ is a constant: no gradient flows through it,
 * as in the paper's implementation and TRL. The {@code apo_zero_unpaired} type (APO-zero,
 * D'Oosterlinck et al. 2024, arXiv:2408.06266, Eq. 7, unpaired) takes no reference point:
 * desirable {@code 1 − σ(βρ)}, undesirable {@code σ(βρ)}, both weighted as above. The loss is the
 * SUM over the batch's completions (TRL's {@code losses.nanmean()} is its mean).
 *
 * <p>Metrics: {@code kl} (z₀, times the batch size so the loop's mean over items gives the mean z₀)
 * and the per-label sums {@code rewards/chosen_sum}, {@code rewards/rejected_sum} (βρ),
 * {@code logps/chosen_sum}, {@code logps/rejected_sum}, {@code count/chosen},
 * {@code count/rejected}: TRL 0.2x's names. {@link #means} turns the sums of a logging window into
 * TRL 1.x's per-label means.
 *
 * <p>Based on {@code KTOTrainer.kto_loss} / {@code _compute_loss} (trl/trainer/kto_trainer.py,
 * TRL 0.2x and 1.x). What it is not: the pairing of prompts with other completions, which is the
 * data's ({@code dev.align4j.data.PreferenceProcessor#klSequences}).
 */
public final class KtoLoss {
    private KtoLoss() {}

    /** KTOConfig's {@code loss_type}. */
    public enum Type {
        /** KTO with the KL reference point. */
        KTO,
        /** Unpaired APO-zero, without a reference point. */
        APO_ZERO_UNPAIRED
    }

    /**
     * KTOConfig's names and defaults: beta 0.1, desirable_weight 1, undesirable_weight 1, loss_type kto.
     *
     * @param beta              β
     * @param desirableWeight   λ_D
     * @param undesirableWeight λ_U
     * @param lossType          the loss
     */
    public record Options(double beta, double desirableWeight, double undesirableWeight, Type lossType) {
        public static final Options DEFAULT = new Options(0.1, 1, 1, Type.KTO);

        public Options {
            if (!(beta > 0) || !Double.isFinite(beta)) throw new IllegalArgumentException("beta must be > 0, got " + beta);
            if (!(desirableWeight >= 0) || !(undesirableWeight >= 0)) {
                throw new IllegalArgumentException("desirable_weight and undesirable_weight must be ≥ 0, got "
                        + desirableWeight + " and " + undesirableWeight);
            }
            if (lossType == null) throw new IllegalArgumentException("loss_type is required");
        }
    }

    /**
     * @param loss       () the summed loss, recorded for backward
     * @param kl         the reference point z₀ used
     * @param metricSums the metrics of the class comment
     */
    public record Result(Tensor loss, double kl, Map<String, Double> metricSums) {}

    /**
     * KTO's reference point {@code z₀ = max(0, mean(policy − reference))} from the (B) summed
     * log-probs of the mismatched prompt-completion pairs, as a constant.
     */
    public static double referencePoint(Tensor policyMismatched, Tensor referenceMismatched) {
        float[] p = policyMismatched.toArray(), q = referenceMismatched.toArray();
        if (p.length != q.length || p.length == 0) {
            throw new IllegalArgumentException("referencePoint: " + p.length + " policy and " + q.length
                    + " reference log-probs; give one of each per mismatched pair");
        }
        double s = 0;
        for (int i = 0; i < p.length; i++) s += (double) p[i] - q[i];
        return Math.max(0, s / p.length);
    }

    /**
     * The loss of a batch.
     *
     * @param policy    (B) the policy's summed log-probs of each completion; may require gradients
     * @param reference (B) the reference's, constants
     * @param desirable (B) each completion's label
     * @param kl        z₀ from {@link #referencePoint}; must be 0 for {@code apo_zero_unpaired}
     */
    public static Result compute(Options o, Tensor policy, Tensor reference, boolean[] desirable, double kl) {
        int b = desirable.length;
        if (policy.rank() != 1 || policy.dim(0) != b || reference.rank() != 1 || reference.dim(0) != b) {
            throw new IllegalArgumentException("KtoLoss: policy " + policy.describe() + " and reference " + reference.describe()
                    + " must be (B) vectors for the " + b + " labels");
        }
        if (reference.requiresGrad()) {
            throw new IllegalArgumentException("the reference log-probs require gradients; compute them without gradients");
        }
        if (!(kl >= 0)) throw new IllegalArgumentException("the KL reference point must be ≥ 0, got " + kl);
        if (o.lossType() == Type.APO_ZERO_UNPAIRED && kl != 0) {
            throw new IllegalArgumentException("apo_zero_unpaired takes no KL reference point; pass 0");
        }
        double beta = o.beta();
        Tensor rho = Elementwise.sub(policy, reference); // (B)
        Tensor[] forms = switch (o.lossType()) { // (B) the desirable and the undesirable loss of every completion; the label picks one
            case KTO -> new Tensor[] {
                    oneMinusSigmoid(DpoLoss.scale(Elementwise.addScalar(rho, (float) -kl), beta)),
                    oneMinusSigmoid(DpoLoss.scale(Elementwise.addScalar(Elementwise.neg(rho), (float) kl), beta))};
            case APO_ZERO_UNPAIRED -> new Tensor[] {
                    oneMinusSigmoid(DpoLoss.scale(rho, beta)),
                    Elementwise.sigmoid(DpoLoss.scale(rho, beta))};
        };
        Tensor perExample = Elementwise.where(Mask.of(desirable, b), DpoLoss.scale(forms[0], o.desirableWeight()),
                DpoLoss.scale(forms[1], o.undesirableWeight()));

        float[] p = policy.toArray(), r = rho.toArray();
        double chosenRewards = 0, rejectedRewards = 0, chosenLogps = 0, rejectedLogps = 0, chosen = 0;
        for (int i = 0; i < b; i++) {
            if (desirable[i]) {
                chosen++;
                chosenRewards += beta * r[i];
                chosenLogps += p[i];
            } else {
                rejectedRewards += beta * r[i];
                rejectedLogps += p[i];
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("kl", kl * b);
        metrics.put("rewards/chosen_sum", chosenRewards);
        metrics.put("rewards/rejected_sum", rejectedRewards);
        metrics.put("logps/chosen_sum", chosenLogps);
        metrics.put("logps/rejected_sum", rejectedLogps);
        metrics.put("count/chosen", chosen);
        metrics.put("count/rejected", b - chosen);
        return new Result(Reductions.sum(perExample), kl, metrics);
    }

    /**
     * TRL 1.x's per-label means from per-label sums added up over a logging window:
     * {@code rewards/chosen = rewards/chosen_sum / count/chosen}, likewise {@code logps/}, and
     * {@code rejected}; {@code logits/chosen = logits/chosen_sum / count/chosen_tokens} where the
     * objective reports those (a mean over completion tokens, not examples, as TRL 1.x's
     * {@code _compute_loss} divides); {@code rewards/margins = rewards/chosen − rewards/rejected}.
     * As in TRL, a label without examples in the window has no means, and margins need both.
     *
     * <p>Deviation: TRL 1.x computes these means per batch and its {@code log} averages the
     * batches' means; here each is one ratio of the window's sums (TRL 0.2x's {@code log}), so a
     * batch with one chosen example weighs no more than one example.
     */
    public static Map<String, Double> means(Map<String, Double> sums) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String label : new String[] {"chosen", "rejected"}) {
            double count = sums.getOrDefault("count/" + label, 0.0);
            if (count > 0) {
                m.put("rewards/" + label, sums.get("rewards/" + label + "_sum") / count);
                m.put("logps/" + label, sums.get("logps/" + label + "_sum") / count);
            }
            double tokens = sums.getOrDefault("count/" + label + "_tokens", 0.0);
            if (tokens > 0) m.put("logits/" + label, sums.get("logits/" + label + "_sum") / tokens);
        }
        if (m.containsKey("rewards/chosen") && m.containsKey("rewards/rejected")) {
            m.put("rewards/margins", m.get("rewards/chosen") - m.get("rewards/rejected"));
        }
        return m;
    }

    private static Tensor oneMinusSigmoid(Tensor x) {
        return Elementwise.addScalar(Elementwise.neg(Elementwise.sigmoid(x)), 1f);
    }
}
