package dev.align4j.train.reward;

import dev.align4j.data.Batch;

/**
 * A batch of reward pairs: each pair's chosen then rejected sequence, their prompt packed once, and
 * each pair's margin.
 *
 * @param batch   the packed sequences, 2 per pair
 * @param margins each pair's margin, or null when the data have no {@code margin} column
 */
public record RewardBatch(Batch batch, float[] margins) {

    public RewardBatch {
        if (batch.sequences() % 2 != 0) throw new IllegalArgumentException("a reward batch holds 2 sequences per pair, got " + batch.sequences());
        if (margins != null && margins.length != batch.sequences() / 2) {
            throw new IllegalArgumentException("a reward batch of " + batch.sequences() / 2 + " pairs has " + margins.length + " margins");
        }
    }

    /** Number of pairs. */
    public int pairs() {
        return batch.sequences() / 2;
    }
}
