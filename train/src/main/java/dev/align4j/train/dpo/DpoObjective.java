package dev.align4j.train.dpo;

import dev.align4j.data.Batch;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.LabelledLogits;
import dev.align4j.train.Objective;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.PairLogps;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO's objective for the shared {@link dev.align4j.train.TrainerLoop}: a batch of preference
 * pairs through the policy and the reference, reduced to each completion's summed log-prob, into
 * {@link DpoLoss}, with TRL's {@code logits/chosen} and {@code logits/rejected} from the policy's
 * logits. The loop's items are pairs.
 *
 * <p>A batch packs each pair's chosen and rejected sequence in one forward pass
 * ({@link dev.align4j.train.PreferenceData#batch}: chosen 0, rejected 0, chosen 1, …), as TRL's
 * {@code concatenated_forward} does with its [chosen; rejected] rectangle, and their prompt once:
 * a shared prefix both sequences attend to (prefix sharing, F. Wang, S. Hegde, arXiv:2410.20305),
 * in the policy's pass and the reference's alike. A shared prompt's rows carry no label, so each
 * completion's log-probs, token counts and logits lie in its own segment and are those of the
 * unshared sequence; plainly packed batches work the same. One deviation: under
 * {@code lora_dropout} the prompt's rows draw one dropout mask for both completions, not one each.
 * The reference is a frozen model, or, under LoRA, the policy with its adapters off
 * ({@link LoraModel#disabled}), run without gradients: it never changes; or a table of its
 * log-probs computed before training ({@link ReferenceLogps}). With {@code reference_free} there
 * is none.
 *
 * <p>What it is not: the recipe (config, data loading, the choice of reference: {@link DpoTrainer}).
 */
public final class DpoObjective implements Objective<Batch> {
    private final CausalLM policy;
    private final Reference reference;
    private final PolicyPairObjective pairs; // the policy's pass, with DPO's loss over it and the reference

    /** Where the reference log-probs come from. */
    public sealed interface Reference {
        /** A separate frozen model (TRL's copy of the initial policy). */
        record Frozen(CausalLM model) implements Reference {}

        /** The LoRA policy with its adapters off: the base it started from. */
        record AdaptersOff(LoraModel lora) implements Reference {}

        /** No reference: {@code reference_free}. */
        record None() implements Reference {}

        /** The reference's log-probs computed before training ({@code precompute_ref_log_probs}). */
        record Precomputed(ReferenceLogps table) implements Reference {}
    }

    /**
     * @throws IllegalArgumentException when a frozen reference's vocabulary differs from the
     *                                  policy's (its log-probs would be of other tokens), or the
     *                                  reference does not match {@code reference_free}
     */
    public DpoObjective(CausalLM policy, Reference reference, DpoLoss.Options options) {
        if (options.referenceFree() != (reference instanceof Reference.None)) {
            throw new IllegalArgumentException(options.referenceFree() ? "reference_free is set: pass Reference.None"
                    : "DPO needs a reference model (or set reference_free)");
        }
        if (reference instanceof Reference.Frozen(CausalLM ref) && ref.vocabSize() != policy.vocabSize()) {
            throw new IllegalArgumentException("the reference model's vocabulary has " + ref.vocabSize() + " tokens, the policy's "
                    + policy.vocabSize() + "; the reference must share the policy's tokenizer (use the model DPO starts from)");
        }
        if (reference instanceof Reference.AdaptersOff(LoraModel lora) && lora.model() != policy) {
            throw new IllegalArgumentException("the LoRA reference must wrap the policy itself");
        }
        this.policy = policy;
        this.reference = reference;
        this.pairs = new PolicyPairObjective(policy, (b, logps) -> {
            DpoLoss.Result r = DpoLoss.compute(options, logps, referenceLogps(b));
            return new Loss(r.loss(), r.metricSums());
        });
    }

    @Override
    public long items(Batch b) {
        return pairs.items(b);
    }

    @Override
    public long tokens(Batch b) {
        return pairs.tokens(b);
    }

    @Override
    public Loss loss(Batch b) {
        return pairs.loss(b);
    }

    @Override
    public Map<String, Double> metrics(Map<String, Double> sums, long items) {
        return pairs.metrics(sums, items);
    }

    /** The reference's summed log-probs of the batch's pairs, without gradients; null under {@code reference_free}. */
    public PairLogps referenceLogps(Batch b) {
        return switch (reference) {
            case Reference.Frozen(CausalLM model) -> {
                try (var g = Autograd.noGrad()) {
                    yield pairLogps(b, model.tokenLogProbs(b.packed(), b.labels()));
                }
            }
            case Reference.AdaptersOff(LoraModel lora) -> {
                try (var g = Autograd.noGrad(); var off = lora.disabled()) {
                    yield pairLogps(b, policy.tokenLogProbs(b.packed(), b.labels()));
                }
            }
            case Reference.Precomputed(ReferenceLogps table) -> table.lookup(b);
            case Reference.None() -> null;
        };
    }

    /**
     * TRL 1.x's {@code logits/chosen} and {@code logits/rejected}: the mean over the vocabulary of
     * the logits at each position that predicts a completion token, averaged over those positions
     * of the batch's chosen (rejected) sequences; returned times the pairs, as the loop's per-item
     * sums want.
     */
    public static Map<String, Double> meanLogits(Batch b, Tensor logits) {
        int[] sequences = b.packed().segments().sequences();
        boolean[] chosen = new boolean[sequences.length];
        for (int i = 0; i < chosen.length; i += 2) chosen[i] = true; // pairs: chosen, rejected
        LabelledLogits l = LabelledLogits.of(b, logits, sequences, chosen);
        int pairs = b.sequences() / 2;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("logits/chosen", l.chosenRows() == 0 ? 0 : pairs * l.chosenSum() / l.chosenRows());
        m.put("logits/rejected", l.rejectedRows() == 0 ? 0 : pairs * l.rejectedSum() / l.rejectedRows());
        return m;
    }

    /**
     * The (B) summed target log-probs of the chosen (even) and rejected (odd) sequences, from the
     * (T) token log-probs: each over its sequence's own segment, where all its labels lie.
     */
    public static PairLogps pairLogps(Batch b, Tensor tokenLogProbs) {
        int pairs = b.sequences() / 2;
        int[] labels = b.labels();
        var segments = b.packed().segments();
        int[] sequences = segments.sequences();
        List<Tensor> chosen = new ArrayList<>(pairs), rejected = new ArrayList<>(pairs);
        int[] chosenTokens = new int[pairs], rejectedTokens = new int[pairs];
        for (int i = 0; i < 2 * pairs; i++) {
            int start = segments.start(sequences[i]), end = segments.end(sequences[i]), targets = 0;
            for (int t = start; t < end; t++) if (labels[t] != PackedBatch.IGNORE) targets++;
            Tensor sum = ShapeOps.reshape(Reductions.sum(ShapeOps.slice(tokenLogProbs, 0, start, end)), 1); // (1)
            (i % 2 == 0 ? chosen : rejected).add(sum);
            (i % 2 == 0 ? chosenTokens : rejectedTokens)[i / 2] = targets;
        }
        return new PairLogps(ShapeOps.concat(chosen, 0), ShapeOps.concat(rejected, 0), chosenTokens, rejectedTokens);
    }
}
