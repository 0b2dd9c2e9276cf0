package dev.align4j.train;

import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;

import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * An objective with LoRA's dropout switched as PyTorch's {@code train()} / {@code eval()} would:
 * on for training steps (gradients recorded), off for evaluation, its masks seeded from the run's
 * seed and the batch's content so a resumed run draws the same masks; every LoRA trainer's
 * objective runs inside it (SFT, DPO, KTO, ORPO, CPO).
 *
 * <p>What it is not: dropout itself, which is the adapters' ({@link LoraModel#setTraining}).
 *
 * @param inner     the objective
 * @param lora      the adapters being trained
 * @param seed      the run's seed
 * @param batchHash a hash of the batch's content (its tokens)
 * @param <B>       the batch type
 */
public record LoraDropout<B>(Objective<B> inner, LoraModel lora, long seed, ToLongFunction<B> batchHash) implements Objective<B> {
    @Override
    public long items(B batch) {
        return inner.items(batch);
    }

    @Override
    public long tokens(B batch) {
        return inner.tokens(batch);
    }

    @Override
    public Loss loss(B batch) {
        lora.setTraining(Autograd.isGradEnabled());
        lora.setDropoutSeed(seed * 31 + batchHash.applyAsLong(batch));
        return inner.loss(batch);
    }

    @Override
    public Map<String, Double> metrics(Map<String, Double> sums, long items) {
        return inner.metrics(sums, items);
    }
}
