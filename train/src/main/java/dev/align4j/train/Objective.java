package dev.align4j.train;

import dev.align4j.tensor.Tensor;

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

    /** The loss of one micro-batch: a scalar sum, and metric sums the loop turns into means per item. */
    record Loss(Tensor sum, Map<String, Double> metricSums) {}

    /** Items the batch's loss sums over. */
    long items(B batch);

    /** Tokens the batch feeds the model (TRL's {@code num_tokens}). */
    long tokens(B batch);

    /** The summed loss, recorded for backward. */
    Loss loss(B batch);
}
