package dev.align4j.train.rewards;

import java.util.ArrayList;
import java.util.List;

/**
 * DAPO's soft overlong punishment (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement
 * Learning System at Scale", arXiv:2503.14476, Eq. 13), for a completion of |y| tokens:
 * <pre>
 * R_length(y) = 0                                  |y| ≤ L_max − L_cache
 *             = ((L_max − L_cache) − |y|) / L_cache  L_max − L_cache &lt; |y| ≤ L_max
 *             = −1                                  L_max &lt; |y|
 * </pre>
 * with L_max = {@code max_completion_length} and L_cache = {@code soft_punish_cache}. It only
 * punishes: 0 down to −1, reached at exactly L_max. E.g. L_max = 100, L_cache = 20: 80 tokens → 0,
 * 90 → −0.5, 100 → −1.
 *
 * <p>Based on {@code get_soft_overlong_punishment} (trl/rewards/other_rewards.py), whose boundaries
 * these are; its metric name is TRL's function name, {@code soft_overlong_punishment_reward}. The
 * length is {@link Sample#completionLength()} (TRL's {@code len(completion_ids)}); whether the
 * completion was truncated does not enter, as in TRL. With L_cache = 0 the middle case is empty:
 * 0 up to L_max, −1 beyond.
 */
public final class OverlongPenalty implements RewardFunction {
    private final int maxCompletionLength;
    private final int softPunishCache;

    /**
     * @param maxCompletionLength L_max, the trainer's {@code max_completion_length}
     * @param softPunishCache     L_cache, the length of the punished band below L_max, in [0, L_max]
     */
    public OverlongPenalty(int maxCompletionLength, int softPunishCache) {
        if (maxCompletionLength <= 0) {
            throw new IllegalArgumentException("max_completion_length must be positive for the overlong penalty, got " + maxCompletionLength);
        }
        if (softPunishCache < 0 || softPunishCache > maxCompletionLength) {
            throw new IllegalArgumentException("soft_punish_cache " + softPunishCache + " must be in [0, max_completion_length = "
                    + maxCompletionLength + "]; DAPO uses 20% of it (4096 of 20480)");
        }
        this.maxCompletionLength = maxCompletionLength;
        this.softPunishCache = softPunishCache;
    }

    @Override
    public String name() {
        return "soft_overlong_punishment_reward";
    }

    public int maxCompletionLength() {
        return maxCompletionLength;
    }

    public int softPunishCache() {
        return softPunishCache;
    }

    /** R_length for a completion of {@code length} tokens. */
    public double penalty(int length) {
        int free = maxCompletionLength - softPunishCache; // L_max − L_cache
        if (length <= free) return 0.0;
        if (length <= maxCompletionLength) return (double) (free - length) / softPunishCache;
        return -1.0;
    }

    @Override
    public List<Double> score(List<Sample> batch) {
        List<Double> out = new ArrayList<>(batch.size());
        for (Sample s : batch) out.add(penalty(s.completionLength()));
        return out;
    }

    @Override
    public String toString() {
        return "OverlongPenalty[L_max=" + maxCompletionLength + ", L_cache=" + softPunishCache + "]";
    }
}
