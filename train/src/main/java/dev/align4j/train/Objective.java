package dev.align4j.train;

import dev.align4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a trainer hands the loop: its loss on one micro-batch. This is where trainers differ (SFT's
 * cross-entropy, DPO's sigmoid of reward margins, …); the loop around it is shared ({@link TrainerLoop}).
 *
 * <p>A loss is a sum over the batch's items (label tokens for SFT, pairs for DPO); the loop divides
 * the step's summed loss by the number of items in all its micro-batches, so gradient accumulation
 * gives the same update as one big batch — transformers' {@code num_items_in_batch} normalisation,
 * which fixed the accumulation bug of per-micro-batch means (transformers PR #34198).
 *
 * @param <B> the trainer's batch type
 */
public interface Objective<B> {

    /** The loss of one micro-batch: a scalar sum, and metric sums the loop adds up over a window and hands to {@link #metrics}. */
    record Loss(Tensor sum, Map<String, Double> metricSums) {}

    /** Items the batch's loss sums over. */
    long items(B batch);

    /** Tokens the batch feeds the model (TRL's {@code num_tokens}). */
    long tokens(B batch);

    /** The summed loss, recorded for backward. */
    Loss loss(B batch);

    /**
     * The metrics a log record shows, from the metric sums of a window — every micro-batch of the
     * steps since the last record, or the whole eval set — over its {@code items} items: by default
     * each sum per item. An objective whose metrics are means over a part of the items (KTO's
     * per-label means) overrides this to divide its sums by counts it also sums, so that the mean
     * is over the whole window rather than a mean of per-batch ratios.
     */
    default Map<String, Double> metrics(Map<String, Double> sums, long items) {
        Map<String, Double> m = new LinkedHashMap<>();
        sums.forEach((k, v) -> m.put(k, v / Math.max(1, items)));
        return m;
    }
}
