package dev.align4j.train.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/**
 * {@link DpoLoss} against TRL itself: {@code dev/make_golden_dpo.py} ran TRL 1.13's
 * {@code DPOTrainer._compute_loss} on fixed logits (4 pairs, completions of 2 to 5 tokens, reference
 * log-probs precomputed) for each of the 15 loss types — label smoothing 0.1 for the types that
 * read it — and for MPO's weighted combination {@code [sigmoid, bco_pair, sft]} with weights
 * {@code [0.8, 0.2, 1.0]}, and saved the per-sequence log-probs it summed, the token counts, its
 * loss and its reward metrics. Here the same log-probs go through {@link DpoLoss#compute}; TRL's
 * loss is a mean over pairs, ours a sum, and our metrics are sums over pairs, TRL's means.
 *
 * <p>{@link OrpoLoss} and {@link CpoLoss} against TRL itself: {@code dev/make_golden_orpo_cpo.py} ran
 * TRL 1.13's {@code ORPOTrainer.odds_ratio_loss} and {@code CPOTrainer.cpo_loss} on fixed log-probs
 * of 4 pairs and added the chosen NLL as their {@code get_batch_loss_metrics} do: ORPO with
 * β = 0.1; CPO's sigmoid (label smoothing 0.1), hinge, ipo and two SimPO settings (γ 0.5 at β 2,
 * and γ 1 at β 2.5 with label smoothing 0.1), each with {@code cpo_alpha} 1 and 0. TRL's losses are
 * means over pairs, ours sums.
 *
 * <p>{@link KtoLoss} against TRL 1.13's {@code KTOTrainer._compute_loss} ({@code dev/make_golden_kto.py}):
 * 6 unpaired completions (3 desirable), reference and mismatched-pair log-probs given, for
 * {@code kto} and {@code apo_zero_unpaired} with two weightings each: the KL reference point, the
 * loss (TRL's mean over the completions) and the per-label reward and log-prob means.
 */
class PreferenceLossGoldenTest {

    @Test
    void everyDpoLossTypeMatchesTrl() throws IOException {
        JsonNode golden;
        try (InputStream in = PreferenceLossGoldenTest.class.getResourceAsStream("/golden/dpo_losses.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        int pairs = golden.get("chosen_logps").size();
        PairLogps policy = new PairLogps(tensor(golden.get("chosen_logps")), tensor(golden.get("rejected_logps")),
                ints(golden.get("chosen_tokens")), ints(golden.get("rejected_tokens")));
        PairLogps reference = new PairLogps(tensor(golden.get("ref_chosen_logps")), tensor(golden.get("ref_rejected_logps")),
                ints(golden.get("chosen_tokens")), ints(golden.get("rejected_tokens")));
        int checked = 0;
        for (JsonNode c : golden.get("cases")) {
            List<DpoLossType> types = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            c.get("loss_type").forEach(t -> types.add(DpoLossType.of(t.asText())));
            c.get("loss_weights").forEach(w -> weights.add(w.asDouble()));
            DpoLoss.Options options = new DpoLoss.Options(c.get("beta").asDouble(), types, weights, c.get("label_smoothing").asDouble(),
                    false, OptionalDouble.empty(), false, golden.get("discopop_tau").asDouble());
            DpoLoss.Result result = DpoLoss.compute(options, policy, reference);
            String name = c.get("loss_type").toString();
            double trl = c.get("loss").asDouble();
            assertEquals(trl, result.loss().item() / pairs, 2e-6 * Math.max(1, Math.abs(trl)), name + " loss");
            Map<String, Double> sums = result.metricSums();
            c.get("metrics").fields().forEachRemaining(m ->
                    assertEquals(m.getValue().asDouble(), sums.get(m.getKey()) / pairs, 2e-6 * Math.max(1, Math.abs(m.getValue().asDouble())),
                            name + " " + m.getKey()));
            checked++;
        }
        assertEquals(16, checked, "the 15 loss types and one combination");
    }

    @Test
    void orpoAndEveryCpoTypeMatchTrl() throws IOException {
        JsonNode golden;
        try (InputStream in = PreferenceLossGoldenTest.class.getResourceAsStream("/golden/orpo_cpo_losses.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        PairLogps policy = new PairLogps(tensor(golden.get("chosen_logps")), tensor(golden.get("rejected_logps")),
                ints(golden.get("chosen_tokens")), ints(golden.get("rejected_tokens")));
        int pairs = policy.pairs(), checked = 0;
        for (JsonNode c : golden.get("cases")) {
            double ours;
            String name = c.toString();
            if (c.get("trainer").asText().equals("orpo")) {
                ours = OrpoLoss.compute(c.get("beta").asDouble(), policy).loss().item();
            } else {
                CpoLoss.Options o = new CpoLoss.Options(c.get("beta").asDouble(), CpoLoss.Type.of(c.get("loss_type").asText()),
                        c.get("label_smoothing").asDouble(), c.get("cpo_alpha").asDouble(), c.get("simpo_gamma").asDouble());
                ours = CpoLoss.compute(o, policy).loss().item();
            }
            double trl = c.get("loss").asDouble();
            assertEquals(trl, ours / pairs, 2e-6 * Math.max(1, Math.abs(trl)), name);
            checked++;
        }
        assertEquals(11, checked, "ORPO and five CPO settings, each with cpo_alpha 1 and 0");
    }

    @Test
    void ktoMatchesTrl() throws IOException {
        JsonNode golden;
        try (InputStream in = PreferenceLossGoldenTest.class.getResourceAsStream("/golden/kto_losses.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        Tensor policy = tensor(golden.get("logps")), reference = tensor(golden.get("ref_logps"));
        boolean[] desirable = new boolean[golden.get("labels").size()];
        for (int i = 0; i < desirable.length; i++) desirable[i] = golden.get("labels").get(i).asBoolean();
        double kl = KtoLoss.referencePoint(tensor(golden.get("kl_logps")), tensor(golden.get("ref_kl_logps")));
        int n = desirable.length, checked = 0;
        for (JsonNode c : golden.get("cases")) {
            String name = c.toString();
            assertEquals(c.get("kl").asDouble(), kl, 1e-6, "the reference point");
            KtoLoss.Type type = KtoLoss.Type.valueOf(c.get("loss_type").asText().toUpperCase(java.util.Locale.ROOT));
            KtoLoss.Options o = new KtoLoss.Options(c.get("beta").asDouble(), c.get("desirable_weight").asDouble(),
                    c.get("undesirable_weight").asDouble(), type);
            KtoLoss.Result result = KtoLoss.compute(o, policy, reference, desirable, type == KtoLoss.Type.KTO ? kl : 0);
            double trl = c.get("loss").asDouble();
            assertEquals(trl, result.loss().item() / n, 2e-6 * Math.max(1, Math.abs(trl)), name);
            Map<String, Double> means = KtoLoss.means(result.metricSums());
            for (String label : new String[] {"chosen", "rejected"}) {
                for (String metric : new String[] {"rewards/", "logps/"}) {
                    double expected = c.get("metrics").get(metric + label).asDouble();
                    assertEquals(expected, means.get(metric + label), 2e-6 * Math.max(1, Math.abs(expected)), name + " " + metric + label);
                }
            }
            checked++;
        }
        assertEquals(4, checked, "kto and apo_zero_unpaired, two weightings each");
    }

    private static Tensor tensor(JsonNode values) {
        float[] x = new float[values.size()];
        for (int i = 0; i < x.length; i++) x[i] = (float) values.get(i).asDouble();
        return Tensor.of(x, x.length);
    }

    private static int[] ints(JsonNode values) {
        int[] x = new int[values.size()];
        for (int i = 0; i < x.length; i++) x[i] = values.get(i).asInt();
        return x;
    }
}
