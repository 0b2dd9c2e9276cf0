package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reward model's loss on preference pairs: the Bradley–Terry model's negative log-likelihood of
 * the preferences (Ouyang et al. 2022, "Training language models to follow instructions with human
 * feedback", arXiv:2203.02155, Eq. 1), as a pure function of the scores.
 *
 * <p>Per pair, with scores {@code r_c} of the chosen and {@code r_r} of the rejected sequence and an
 * optional margin {@code m} (Llama 2's margin loss, Touvron et al. 2023, arXiv:2307.09288, Eq. 2):
 * <pre>
 * loss = −log σ(r_c − r_r − m) + λ·(r_c + r_r)²
 * </pre>
 * where λ is {@code center_rewards_coefficient} (Eisenstein et al. 2023, "Helping or Herding?",
 * arXiv:2312.09244, Eq. 2: it keeps rewards centred on zero; none when unset). The result is the
 * SUM over pairs, B times TRL's mean ({@code RewardTrainer.compute_loss}, trl/trainer/reward_trainer.py).
 *
 * <p>Metrics as sums over pairs, a mean per pair once divided by the pairs: {@code accuracy}
 * ({@code r_c > r_r}), {@code margin} ({@code r_c − r_r}), {@code mean_reward} (the pair's mean
 * score, so the window's mean is over every sequence, as TRL's) and {@code reward_sq} (the pair's
 * mean squared score, from which the trainer reports the scores' standard deviation).
 */
public final class RewardLoss {
    private RewardLoss() {}

    /**
     * @param loss       () the summed loss, recorded for backward
     * @param metricSums the metrics of the class comment, summed over pairs
     */
    public record Result(Tensor loss, Map<String, Double> metricSums) {}

    /**
     * The loss of B pairs.
     *
     * @param chosen   (B) the chosen sequences' scores
     * @param rejected (B) the rejected sequences' scores
     * @param margins  (B) each pair's margin, or null for none
     * @param center   center_rewards_coefficient, or null for none
     */
    public static Result compute(Tensor chosen, Tensor rejected, float[] margins, Double center) {
        int b = chosen.numel();
        if (rejected.numel() != b) throw new IllegalArgumentException("reward loss: " + b + " chosen but " + rejected.numel() + " rejected scores");
        if (margins != null && margins.length != b) throw new IllegalArgumentException("reward loss: " + b + " pairs but " + margins.length + " margins");
        if (center != null && !(center >= 0)) throw new IllegalArgumentException("center_rewards_coefficient must be ≥ 0, got " + center);
        Tensor diff = Elementwise.sub(chosen, rejected); // (B)
        Tensor logits = margins == null ? diff : Elementwise.sub(diff, Tensor.of(margins.clone(), b));
        Tensor loss = Reductions.sum(Elementwise.neg(Elementwise.logSigmoid(logits)));
        if (center != null && center > 0) {
            Tensor sum = Elementwise.add(chosen, rejected);
            loss = Elementwise.add(loss, Elementwise.mulScalar(Reductions.sum(Elementwise.mul(sum, sum)), center.floatValue()));
        }
        float[] c = chosen.detach().toArray(), r = rejected.detach().toArray();
        double accuracy = 0, margin = 0, mean = 0, square = 0;
        for (int i = 0; i < b; i++) {
            accuracy += c[i] > r[i] ? 1 : 0;
            margin += c[i] - r[i];
            mean += (c[i] + (double) r[i]) / 2;
            square += ((double) c[i] * c[i] + (double) r[i] * r[i]) / 2;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("accuracy", accuracy);
        metrics.put("margin", margin);
        metrics.put("mean_reward", mean);
        metrics.put("reward_sq", square);
        return new Result(loss, metrics);
    }
}
