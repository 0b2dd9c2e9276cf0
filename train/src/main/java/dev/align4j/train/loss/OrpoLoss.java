package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;

import java.util.Map;

/**
 * ORPO's loss: the chosen completions' NLL plus β times an odds-ratio term, with no reference model,
 * as a pure function of the policy's log-probs, built from tensor ops for backward.
 *
 * <p>The equations (Hong et al. 2024, "ORPO: Monolithic Preference Optimization without Reference
 * Model", arXiv:2403.07691, Eqs. 6–9), per pair with the per-token average log-probs
 * {@code c̄ = c/|yc|}, {@code r̄ = r/|yr|} (so {@code P = e^c̄} is the length-normalised likelihood):
 * <pre>
 * log odds(y)  = c̄ − log(1 − e^c̄)
 * ℓ_OR         = −log σ(log odds(yc) − log odds(yr))
 * loss         = NLL(chosen) + β·ℓ_OR
 * </pre>
 * where NLL(chosen) is the chosen completions' negative log-likelihood per token over the batch
 * ({@link PairLogps#chosenNll}). β is ORPOConfig's {@code beta} (λ in the paper, default 0.1). The
 * result is the SUM over pairs of {@code NLL + β·ℓ_OR}, B times TRL's mean.
 *
 * <p>Metrics as sums over pairs: the rewards ({@code βc̄}, {@code βr̄}) as {@link DpoLoss} reports
 * them, {@code logps/chosen} {@code c̄}, {@code logps/rejected} {@code r̄}, {@code nll_loss},
 * {@code log_odds_ratio} {@code log σ(log odds(yc) − log odds(yr))} and {@code log_odds_chosen}
 * {@code log odds(yc) − log odds(yr)} (TRL's names, which it gives in this crossed way).
 *
 * <p>Based on {@code ORPOTrainer.odds_ratio_loss} and {@code get_batch_loss_metrics}
 * (trl/trainer/orpo_trainer.py). Deviation: {@code 1 − e^c̄} is kept at least the smallest normal
 * float, so a chosen completion the model already predicts with certainty (c̄ = 0) gives a large
 * finite log odds instead of TRL's infinity.
 */
public final class OrpoLoss {
    private OrpoLoss() {}

    /**
     * @param loss       () the summed loss, recorded for backward
     * @param metricSums the metrics of the class comment
     */
    public record Result(Tensor loss, Map<String, Double> metricSums) {}

    /** The loss of a batch of pairs with ORPOConfig's {@code beta}. */
    public static Result compute(double beta, PairLogps policy) {
        if (!(beta >= 0) || !Double.isFinite(beta)) throw new IllegalArgumentException("beta must be ≥ 0, got " + beta);
        int b = policy.pairs();
        Tensor cMean = policy.chosenMean(), rMean = policy.rejectedMean(); // (B)
        Tensor logOdds = Elementwise.sub(Elementwise.sub(cMean, rMean),
                Elementwise.sub(log1mExp(cMean), log1mExp(rMean)));        // (B)
        Tensor ratio = Elementwise.logSigmoid(logOdds);                    // (B)
        Tensor nll = policy.chosenNll();                                   // ()
        Tensor perPair = Elementwise.add(PairLogps.perPair(nll, b), DpoLoss.scale(ratio, -beta));

        Map<String, Double> metrics = DpoLoss.rewardMetrics(DpoLoss.scale(cMean.detach(), beta), DpoLoss.scale(rMean.detach(), beta));
        metrics.put("logps/chosen", DpoLoss.sum(cMean));
        metrics.put("logps/rejected", DpoLoss.sum(rMean));
        metrics.put("nll_loss", (double) nll.item() * b);
        metrics.put("log_odds_ratio", DpoLoss.sum(ratio));
        metrics.put("log_odds_chosen", DpoLoss.sum(logOdds));
        return new Result(Reductions.sum(perPair), metrics);
    }

    /** {@code log(1 − eˣ)} for {@code x ≤ 0}, the argument kept at least the smallest normal float. */
    private static Tensor log1mExp(Tensor x) {
        Tensor oneMinus = Elementwise.addScalar(Elementwise.neg(Elementwise.exp(x)), 1f);
        return Elementwise.log(Elementwise.clamp(oneMinus, Float.MIN_NORMAL, Float.POSITIVE_INFINITY));
    }
}
