package dev.align4j.train.reward;

import dev.align4j.models.ScoreModel;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.loss.RewardLoss;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reward trainer's objective: score both sequences of every pair in one forward pass of the
 * packed batch (each pair's prompt computed once) and take {@link RewardLoss} of the chosen and
 * rejected scores. Metrics per pair over a logging window: {@code accuracy}, {@code margin},
 * {@code mean_reward} (TRL's names) and {@code std_reward}, the standard deviation of every score in
 * the window.
 *
 * @param model  the reward model being trained
 * @param center center_rewards_coefficient, or null
 */
public record RewardObjective(ScoreModel model, Double center) implements Objective<RewardBatch> {

    @Override
    public long items(RewardBatch b) {
        return b.pairs();
    }

    @Override
    public long tokens(RewardBatch b) {
        return b.batch().sequenceTokens();
    }

    @Override
    public Loss loss(RewardBatch b) {
        Tensor scores = model.sequenceScores(b.batch().packed()); // (2B): chosen, rejected, chosen, rejected, ...
        int pairs = b.pairs();
        int[] chosen = new int[pairs], rejected = new int[pairs];
        for (int i = 0; i < pairs; i++) {
            chosen[i] = 2 * i;
            rejected[i] = 2 * i + 1;
        }
        RewardLoss.Result r = RewardLoss.compute(ShapeOps.indexSelect(scores, 0, chosen), ShapeOps.indexSelect(scores, 0, rejected),
                b.margins(), center);
        return new Loss(r.loss(), r.metricSums());
    }

    /** The means per pair, and the scores' standard deviation from their mean square. */
    @Override
    public Map<String, Double> metrics(Map<String, Double> sums, long items) {
        Map<String, Double> m = new LinkedHashMap<>();
        double n = Math.max(1, items), mean = sums.getOrDefault("mean_reward", 0.0) / n;
        m.put("accuracy", sums.getOrDefault("accuracy", 0.0) / n);
        m.put("margin", sums.getOrDefault("margin", 0.0) / n);
        m.put("mean_reward", mean);
        m.put("std_reward", Math.sqrt(Math.max(0, sums.getOrDefault("reward_sq", 0.0) / n - mean * mean)));
        return m;
    }
}
