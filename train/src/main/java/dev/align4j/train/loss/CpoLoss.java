package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;

import java.util.Locale;
import java.util.Map;

/**
 * CPO's losses and SimPO, reference-free preference losses on the policy's log-probs plus an NLL
 * term on the chosen completions, as one pure function built from tensor ops for backward.
 *
 * <p>With {@code z = c − r} (summed log-probs for {@code sigmoid} and {@code hinge}, per-token
 * averages {@code c/|yc| − r/|yr|} for {@code ipo} and {@code simpo}), per pair:
 * <pre>
 * sigmoid  (1−ε)·(−log σ(βz)) + ε·(−log σ(−βz))             CPO, Xu et al. 2024, arXiv:2401.08417, Eq. 3
 * hinge    max(0, 1 − βz)                                    SLiC's hinge, arXiv:2305.10425
 * ipo      (z − 1/(2β))²                                     IPO, arXiv:2310.12036, Eq. 17
 * simpo    (1−ε)·(−log σ(βz − γ)) + ε·(−log σ(γ − βz))       SimPO, Meng et al. 2024, arXiv:2405.14734, Eq. 6
 * loss     ℓ + α·NLL(chosen)
 * </pre>
 * with β = {@code beta}, ε = {@code label_smoothing}, γ = {@code simpo_gamma}, α =
 * {@code cpo_alpha} (CPO's behaviour-cloning term; SimPO proper has α = 0). The result is the SUM
 * over pairs, B times TRL's mean. Metrics as {@link DpoLoss}'s, with the rewards {@code β·c} and
 * {@code β·r} (averages where z is), {@code logps/chosen}, {@code logps/rejected} the same
 * log-probs, and {@code nll_loss}.
 *
 * <p>Based on {@code CPOTrainer.cpo_loss}, {@code concatenated_forward} (average log-probs for
 * ipo and simpo) and {@code get_batch_loss_metrics} (trl/trainer/cpo_trainer.py, TRL 0.2x).
 */
public final class CpoLoss {
    private CpoLoss() {}

    /** CPOConfig's {@code loss_type}. */
    public enum Type {
        SIGMOID, HINGE, IPO, SIMPO;

        /** TRL's name. */
        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The type TRL calls {@code name}. */
        public static Type of(String name) {
            for (Type t : values()) if (t.trlName().equals(name)) return t;
            throw new IllegalArgumentException("loss_type \"" + name + "\" is not a CPO loss type; use sigmoid, hinge, ipo or simpo");
        }
    }

    /**
     * CPOConfig's names; defaults beta 0.1, label_smoothing 0, loss_type sigmoid, cpo_alpha 1,
     * simpo_gamma 0.5.
     */
    public record Options(double beta, Type lossType, double labelSmoothing, double cpoAlpha, double simpoGamma) {
        public static final Options DEFAULT = new Options(0.1, Type.SIGMOID, 0, 1, 0.5);

        public Options {
            if (!(beta > 0) || !Double.isFinite(beta)) throw new IllegalArgumentException("beta must be > 0, got " + beta);
            if (lossType == null) throw new IllegalArgumentException("loss_type is required");
            if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
                throw new IllegalArgumentException("label_smoothing must be in [0, 0.5), got " + labelSmoothing);
            }
            if (labelSmoothing > 0 && (lossType == Type.HINGE || lossType == Type.IPO)) {
                throw new IllegalArgumentException("label_smoothing applies to the sigmoid and simpo losses, not " + lossType.trlName());
            }
            if (!(cpoAlpha >= 0)) throw new IllegalArgumentException("cpo_alpha must be ≥ 0, got " + cpoAlpha);
            if (!Double.isFinite(simpoGamma)) throw new IllegalArgumentException("simpo_gamma must be finite, got " + simpoGamma);
        }
    }

    /**
     * @param loss       () the summed loss, recorded for backward
     * @param metricSums the metrics of the class comment
     */
    public record Result(Tensor loss, Map<String, Double> metricSums) {}

    /** The loss of a batch of pairs. */
    public static Result compute(Options o, PairLogps policy) {
        int b = policy.pairs();
        double beta = o.beta();
        boolean averaged = o.lossType() == Type.IPO || o.lossType() == Type.SIMPO;
        Tensor c = averaged ? policy.chosenMean() : policy.chosen(), r = averaged ? policy.rejectedMean() : policy.rejected(); // (B)
        Tensor z = Elementwise.sub(c, r); // (B)
        Tensor l = switch (o.lossType()) {
            case SIGMOID -> DpoLoss.smoothedSigmoid(DpoLoss.scale(z, beta), o.labelSmoothing());
            case HINGE -> Elementwise.relu(Elementwise.addScalar(DpoLoss.scale(z, -beta), 1f));
            case IPO -> {
                Tensor d = Elementwise.addScalar(z, (float) (-1 / (2 * beta)));
                yield Elementwise.mul(d, d);
            }
            case SIMPO -> DpoLoss.smoothedSigmoid(Elementwise.addScalar(DpoLoss.scale(z, beta), (float) -o.simpoGamma()),
                    o.labelSmoothing());
        };
        Tensor nll = policy.chosenNll(); // ()
        Tensor perPair = o.cpoAlpha() == 0 ? l : Elementwise.add(l, PairLogps.perPair(DpoLoss.scale(nll, o.cpoAlpha()), b));

        Map<String, Double> metrics = DpoLoss.rewardMetrics(DpoLoss.scale(c.detach(), beta), DpoLoss.scale(r.detach(), beta));
        metrics.put("logps/chosen", DpoLoss.sum(c));
        metrics.put("logps/rejected", DpoLoss.sum(r));
        metrics.put("nll_loss", (double) nll.item() * b);
        return new Result(Reductions.sum(perPair), metrics);
    }
}
