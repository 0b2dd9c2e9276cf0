package dev.align4j.train.dpo;

import dev.align4j.data.Batch;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.loss.PairLogps;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The objective of the reference-free pair methods (ORPO, CPO, SimPO) for the shared
 * {@link dev.align4j.train.TrainerLoop}: a batch of pairs (chosen 0, rejected 0, chosen 1, …, their
 * prompt packed once, as {@link DpoObjective} reads them) through the policy alone, reduced to each
 * completion's summed log-prob and handed to the method's loss, with TRL's {@code logits/chosen}
 * and {@code logits/rejected} beside its metrics. The loop's items are pairs.
 *
 * DPO's objective is this one with a loss that also runs the reference ({@link DpoObjective}).
 */
public final class PolicyPairObjective implements Objective<Batch> {
    private final CausalLM policy;
    private final PairLoss loss;

    /** A method's loss on the policy's log-probs of a batch's pairs: the summed loss and its metric sums. */
    public interface PairLoss {
        Objective.Loss compute(Batch batch, PairLogps policy);
    }

    public PolicyPairObjective(CausalLM policy, PairLoss loss) {
        this.policy = policy;
        this.loss = loss;
    }

    @Override
    public long items(Batch b) {
        return b.sequences() / 2;
    }

    @Override
    public long tokens(Batch b) {
        return b.sequenceTokens();
    }

    @Override
    public Loss loss(Batch b) {
        if (b.sequences() % 2 != 0) throw new IllegalArgumentException("a pair batch holds an even number of sequences, got " + b.sequences());
        Tensor logits = policy.logits(b.packed()); // (T, V)
        Objective.Loss l = loss.compute(b, DpoObjective.pairLogps(b, LogProbs.tokenLogProbs(logits, b.labels(), PackedBatch.IGNORE)));
        Map<String, Double> metrics = new LinkedHashMap<>(l.metricSums());
        metrics.putAll(DpoObjective.meanLogits(b, logits));
        return new Loss(l.sum(), metrics);
    }
}
