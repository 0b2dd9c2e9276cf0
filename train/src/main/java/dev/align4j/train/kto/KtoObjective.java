package dev.align4j.train.kto;

import dev.align4j.data.Batch;
import dev.align4j.data.PreferenceProcessor;
import dev.align4j.data.SftExample;
import dev.align4j.data.UnpairedExample;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.LabelledLogits;
import dev.align4j.train.Objective;
import dev.align4j.train.dpo.DpoObjective;
import dev.align4j.train.loss.KtoLoss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KTO's objective for the shared {@link dev.align4j.train.TrainerLoop}: a batch of labelled
 * completions and, for {@code loss_type kto}, the batch's mismatched prompt-completion sequences
 * (each prompt with the previous example's completion) whose policy − reference log-ratio
 * estimates the KL reference point z₀; all through the policy in one packed forward pass and
 * through the reference without gradients, into {@link KtoLoss}. The loop's items are completions.
 *
 * <p>As in TRL's {@code KTOTrainer.forward}, the mismatched sequences' policy log-probs take no
 * gradient (z₀ is a constant). The reference is a frozen model or the LoRA policy with its adapters
 * off, as for DPO; KTO has no reference-free or precomputed form here.
 *
 * <p>Metrics: {@link KtoLoss}'s per-label sums and counts, {@code kl}, and the sums behind
 * {@code logits/chosen} and {@code logits/rejected} ({@link #logitSums}); each log record adds
 * TRL 1.x's per-label means and {@code rewards/margins} computed over the whole logging window
 * ({@link #metrics}), with the {@code eval_} prefix in evaluation records.
 */
public final class KtoObjective implements Objective<KtoObjective.KtoBatch> {
    private final CausalLM policy;
    private final DpoObjective.Reference reference;
    private final KtoLoss.Options options;

    /**
     * A batch: B completion sequences, then (for {@code loss_type kto}) the B mismatched ones.
     *
     * @param sequences the packed sequences
     * @param desirable (B) each completion's label
     */
    public record KtoBatch(Batch sequences, boolean[] desirable) {}

    /** @throws IllegalArgumentException for a reference that is not a model (KTO needs one) */
    public KtoObjective(CausalLM policy, DpoObjective.Reference reference, KtoLoss.Options options) {
        if (!(reference instanceof DpoObjective.Reference.Frozen || reference instanceof DpoObjective.Reference.AdaptersOff)) {
            throw new IllegalArgumentException("KTO needs a reference model (a frozen model, or the base with the LoRA adapters off), got "
                    + reference);
        }
        this.policy = policy;
        this.reference = reference;
        this.options = options;
    }

    /** Packs examples as one batch: their sequences, then, for loss_type kto, their mismatched sequences. */
    public static KtoBatch batch(List<UnpairedExample> examples, PreferenceProcessor processor, KtoLoss.Type type) {
        List<SftExample> sequences = new ArrayList<>();
        boolean[] desirable = new boolean[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            sequences.add(processor.sequence(examples.get(i).promptIds(), examples.get(i).completionIds()));
            desirable[i] = examples.get(i).desirable();
        }
        if (type == KtoLoss.Type.KTO) sequences.addAll(processor.klSequences(examples));
        return new KtoBatch(Batch.of(sequences), desirable);
    }

    @Override
    public long items(KtoBatch b) {
        return b.desirable().length;
    }

    @Override
    public long tokens(KtoBatch b) {
        return b.sequences().size();
    }

    @Override
    public Loss loss(KtoBatch kb) {
        Batch b = kb.sequences();
        int n = kb.desirable().length;
        boolean kl = options.lossType() == KtoLoss.Type.KTO;
        if (b.sequences() != (kl ? 2 * n : n)) {
            throw new IllegalArgumentException("a KTO batch of " + n + " completions holds " + b.sequences() + " sequences, expected "
                    + (kl ? 2 * n : n));
        }
        Tensor logits = policy.logits(b.packed()); // (T, V)
        Tensor policyAll = sums(b, LogProbs.tokenLogProbs(logits, b.labels(), PackedBatch.IGNORE)); // (S)
        Tensor referenceAll; // (S)
        try (var g = Autograd.noGrad()) {
            referenceAll = switch (reference) {
                case DpoObjective.Reference.Frozen(CausalLM model) -> sums(b, model.tokenLogProbs(b.packed(), b.labels()));
                case DpoObjective.Reference.AdaptersOff(LoraModel lora) -> {
                    try (var off = lora.disabled()) {
                        yield sums(b, policy.tokenLogProbs(b.packed(), b.labels()));
                    }
                }
                case DpoObjective.Reference.None none -> throw new IllegalStateException("checked in the constructor");
                case DpoObjective.Reference.Precomputed p -> throw new IllegalStateException("checked in the constructor");
            };
        }
        double z0 = kl ? KtoLoss.referencePoint(ShapeOps.slice(policyAll, 0, n, 2 * n).detach(), ShapeOps.slice(referenceAll, 0, n, 2 * n)) : 0;
        KtoLoss.Result r = KtoLoss.compute(options, ShapeOps.slice(policyAll, 0, 0, n), ShapeOps.slice(referenceAll, 0, 0, n),
                kb.desirable(), z0);
        Map<String, Double> metrics = new LinkedHashMap<>(r.metricSums());
        metrics.putAll(logitSums(b, logits, kb.desirable()));
        return new Loss(r.loss(), metrics);
    }

    /** Each label's sums over the window, divided as TRL 1.x does ({@link KtoLoss#means}). */
    @Override
    public Map<String, Double> metrics(Map<String, Double> sums, long items) {
        Map<String, Double> m = Objective.super.metrics(sums, items);
        m.putAll(KtoLoss.means(sums));
        return m;
    }

    /**
     * The sums behind TRL 1.x's {@code logits/chosen} and {@code logits/rejected}: over the positions
     * that predict a completion token of the batch's desirable (undesirable) completions, the sum of
     * the vocabulary-mean logit, and the number of those positions ({@code count/chosen_tokens}).
     * The mismatched sequences are left out, as TRL takes the logits of the labelled ones only.
     */
    static Map<String, Double> logitSums(Batch b, Tensor logits, boolean[] desirable) {
        int[] labelled = Arrays.copyOf(b.packed().segments().sequences(), desirable.length); // the mismatched ones follow
        LabelledLogits l = LabelledLogits.of(b, logits, labelled, desirable);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("logits/chosen_sum", l.chosenSum());
        m.put("logits/rejected_sum", l.rejectedSum());
        m.put("count/chosen_tokens", (double) l.chosenRows());
        m.put("count/rejected_tokens", (double) l.rejectedRows());
        return m;
    }

    /** (S) each sequence's summed target log-probs, from the (T) token log-probs. */
    static Tensor sums(Batch b, Tensor tokenLogProbs) {
        var segments = b.packed().segments();
        List<Tensor> out = new ArrayList<>(b.sequences());
        for (int s = 0; s < b.sequences(); s++) {
            out.add(ShapeOps.reshape(Reductions.sum(ShapeOps.slice(tokenLogProbs, 0, segments.start(s), segments.end(s))), 1));
        }
        return ShapeOps.concat(out, 0);
    }
}
