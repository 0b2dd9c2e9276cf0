package dev.align4j.train.kto;

import dev.align4j.data.Batch;
import dev.align4j.data.SftExample;
import dev.align4j.models.CausalLM;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.train.Objective;
import dev.align4j.train.dpo.DpoObjective;
import dev.align4j.train.loss.KtoLoss;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * KtoObjective's metrics on a tiny random Llama: the logit sums behind TRL 1.x's
 * {@code logits/chosen} and {@code logits/rejected} worked out from the logits by hand, and the
 * record's per-label means divided by the label's count (examples, or completion tokens for logits).
 */
class KtoObjectiveTest {
    static final int VOCAB = 16;

    /**
     * Three labelled completions (desirable, undesirable, desirable) and three mismatched sequences.
     * The positions predicting completion tokens are rows 2, 3 (sequence 0), 6, 7 (sequence 1, from
     * row 5) and 11, 12, 13 (sequence 2, from row 9); the mismatched sequences' must not count.
     */
    @Test
    void logitMetricsAreTheMeanLogitOverEachLabelsCompletionTokens() {
        CausalLM m = LlamaModel.random(LlamaConfig.tiny("llama", VOCAB, 16, 2, 2, 1), 7, 0.2);
        boolean[] three = {false, false, false, true, true}, two = {false, false, true, true}, six = {false, false, false, true, true, true};
        Batch b = Batch.of(List.of(new SftExample(new int[] {8, 9, 10, 2, 1}, three), new SftExample(new int[] {11, 12, 3, 1}, two),
                new SftExample(new int[] {13, 14, 15, 4, 5, 1}, six),
                new SftExample(new int[] {8, 9, 10, 3, 1}, three), new SftExample(new int[] {11, 12, 4, 5, 1}, new boolean[] {false, false, true, true, true}),
                new SftExample(new int[] {13, 14, 15, 2, 1}, three)));
        boolean[] desirable = {true, false, true};
        float[] logits = m.logits(b.packed()).toArray(); // (T, V) row-major
        double chosen = rowMean(logits, 2) + rowMean(logits, 3) + rowMean(logits, 11) + rowMean(logits, 12) + rowMean(logits, 13);
        double rejected = rowMean(logits, 6) + rowMean(logits, 7);

        KtoObjective objective = new KtoObjective(m, new DpoObjective.Reference.Frozen(m), KtoLoss.Options.DEFAULT);
        Objective.Loss loss;
        try (var g = Autograd.noGrad()) {
            loss = objective.loss(new KtoObjective.KtoBatch(b, desirable));
        }
        Map<String, Double> sums = loss.metricSums();
        assertEquals(chosen, sums.get("logits/chosen_sum"), 1e-5);
        assertEquals(rejected, sums.get("logits/rejected_sum"), 1e-5);
        assertEquals(5.0, sums.get("count/chosen_tokens"));
        assertEquals(2.0, sums.get("count/rejected_tokens"));

        Map<String, Double> record = objective.metrics(sums, 3);
        assertEquals(chosen / 5, record.get("logits/chosen"), 1e-6, "per chosen completion token");
        assertEquals(rejected / 2, record.get("logits/rejected"), 1e-6);
        assertEquals(sums.get("logps/chosen_sum") / 2, record.get("logps/chosen"), 1e-9, "per chosen example");
        assertEquals(sums.get("logps/rejected_sum"), record.get("logps/rejected"), 1e-9, "one rejected example");
        assertEquals(0.0, record.get("rewards/margins"), 1e-6, "policy = reference");
        assertEquals(2.0 / 3, record.get("count/chosen"), 1e-9, "the sums themselves stay per item");
    }

    static double rowMean(float[] logits, int row) {
        double s = 0;
        for (int v = 0; v < VOCAB; v++) s += logits[row * VOCAB + v];
        return s / VOCAB;
    }
}
