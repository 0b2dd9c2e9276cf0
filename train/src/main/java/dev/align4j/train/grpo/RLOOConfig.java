package dev.align4j.train.grpo;

import java.util.List;

/**
 * TRL's {@code RLOOConfig} (trl/trainer/rloo_config.py, TRL 1.x): what {@link GroupConfig} shares with
 * GRPO, TRL's defaults {@code num_generations 2} and {@code beta 0.05}, and RLOO's own:
 * {@code normalize_advantages} (false) and {@code reward_clip_range} (unset).
 */
public class RLOOConfig extends GroupConfig {
    /** Normalise the advantages over the generation batch (mean 0, std 1). */
    public boolean normalizeAdvantages = false;
    /** [low, high]: each reward is clipped to this range before the KL penalty and the baseline; unset is none. */
    public List<Double> rewardClipRange;

    public RLOOConfig() {
        super(2, 0.05);
    }

    @Override
    public void validate() {
        super.validate();
        if (rewardClipRange != null && (rewardClipRange.size() != 2 || !(rewardClipRange.get(0) <= rewardClipRange.get(1)))) {
            throw bad("reward_clip_range", rewardClipRange, "must be [low, high] with low <= high");
        }
    }

    /** reward_clip_range as an array, or null. */
    public double[] clipRange() {
        return rewardClipRange == null ? null : new double[] {rewardClipRange.get(0), rewardClipRange.get(1)};
    }
}
