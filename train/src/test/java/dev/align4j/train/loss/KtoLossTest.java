package dev.align4j.train.loss;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * KTO against numbers worked out by hand from Eq. 7 of the KTO paper, the KL reference point from
 * mismatched pairs, and the gradient against central differences of the float64 equation.
 *
 * <p>The hand inputs, four completions, β = 0.5, λ_D = 1, λ_U = 1.5:
 * <pre>
 * i  label        log π   log π_ref  ρ
 * 0  desirable    −2      −2.5        0.5
 * 1  undesirable  −3      −2         −1
 * 2  desirable    −1      −1.25       0.25
 * 3  undesirable  −4      −3.75      −0.25
 * </pre>
 * Mismatched pairs (prompt i with another completion): policy (−3, −2, −2.5, −4), reference
 * (−3.5, −2.4, −2, −4.5), differences (0.5, 0.4, −0.5, 0.5), mean 0.225 = z₀.
 */
class KtoLossTest {
    static final boolean[] LABELS = {true, false, true, false};
    static final KtoLoss.Options OPTIONS = new KtoLoss.Options(0.5, 1, 1.5, KtoLoss.Type.KTO);

    static Tensor policy() {
        return Tensor.vector(-2f, -3f, -1f, -4f);
    }

    static Tensor reference() {
        return Tensor.vector(-2.5f, -2f, -1.25f, -3.75f);
    }

    /** z₀ = max(0, (0.5 + 0.4 − 0.5 + 0.5)/4) = 0.225; a negative mean is clamped to 0. */
    @Test
    void referencePointIsTheClampedMeanOfMismatchedLogRatios() {
        assertEquals(0.225, KtoLoss.referencePoint(Tensor.vector(-3f, -2f, -2.5f, -4f), Tensor.vector(-3.5f, -2.4f, -2f, -4.5f)), 1e-6);
        assertEquals(0.0, KtoLoss.referencePoint(Tensor.vector(-3f, -2f), Tensor.vector(-2f, -1f)), 0.0);
    }

    /**
     * Desirable: λ_D(1 − σ(β(ρ − z₀))), undesirable: λ_U(1 − σ(β(z₀ − ρ))), z₀ = 0.225:
     * 0: β(0.5 − 0.225) = 0.1375, σ = 0.534320944 → 0.465679056;
     * 1: β(0.225 + 1) = 0.6125, σ = 0.648510875 → 1.5·0.351489125 = 0.527233688;
     * 2: β(0.25 − 0.225) = 0.0125, σ = 0.503124959 → 0.496875041;
     * 3: β(0.225 + 0.25) = 0.2375, σ = 0.559097472 → 1.5·0.440902528 = 0.661353792;
     * sum 2.151141577.
     */
    @Test
    void ktoLossByHand() {
        KtoLoss.Result r = KtoLoss.compute(OPTIONS, policy(), reference(), LABELS, 0.225);
        assertEquals(2.151141577, r.loss().item(), 1e-5);
        assertEquals(0.225, r.kl(), 0.0);
    }

    /**
     * apo_zero_unpaired: desirable 1 − σ(βρ), undesirable λ_U·σ(βρ):
     * 0: 1 − σ(0.25) = 0.437823499; 1: 1.5·σ(−0.5) = 0.566311003; 2: 1 − σ(0.125) = 0.468790627;
     * 3: 1.5·σ(−0.125) = 0.703185940; sum 2.176111069.
     */
    @Test
    void apoZeroUnpairedByHand() {
        KtoLoss.Options apo = new KtoLoss.Options(0.5, 1, 1.5, KtoLoss.Type.APO_ZERO_UNPAIRED);
        assertEquals(2.176111069, KtoLoss.compute(apo, policy(), reference(), LABELS, 0).loss().item(), 1e-5);
        DpoLossTest.assertMessage("apo_zero_unpaired takes no KL reference point",
                () -> KtoLoss.compute(apo, policy(), reference(), LABELS, 0.1));
    }

    /**
     * Per-label sums: rewards βρ, chosen 0.5·(0.5 + 0.25) = 0.375, rejected 0.5·(−1 − 0.25) = −0.625;
     * logps chosen −3, rejected −7; two of each; kl 0.225·4 = 0.9.
     */
    @Test
    void metricsArePerLabelSums() {
        Map<String, Double> m = KtoLoss.compute(OPTIONS, policy(), reference(), LABELS, 0.225).metricSums();
        assertEquals(0.375, m.get("rewards/chosen_sum"), 1e-6);
        assertEquals(-0.625, m.get("rewards/rejected_sum"), 1e-6);
        assertEquals(-3.0, m.get("logps/chosen_sum"), 1e-6);
        assertEquals(-7.0, m.get("logps/rejected_sum"), 1e-6);
        assertEquals(2.0, m.get("count/chosen"));
        assertEquals(2.0, m.get("count/rejected"));
        assertEquals(0.9, m.get("kl"), 1e-9);
    }

    /**
     * TRL 1.x's means from the sums above: rewards chosen 0.375 / 2 = 0.1875, rejected −0.625 / 2 =
     * −0.3125, margins 0.5; logps −1.5 and −3.5. With logit sums, logits divide by completion tokens
     * (4.2 / 3 = 1.4), not examples. A label without examples has no means and no margins.
     */
    @Test
    void meansDivideEachLabelsSumsByItsCount() {
        Map<String, Double> sums = new HashMap<>(KtoLoss.compute(OPTIONS, policy(), reference(), LABELS, 0.225).metricSums());
        Map<String, Double> m = KtoLoss.means(sums);
        assertEquals(0.1875, m.get("rewards/chosen"), 1e-6);
        assertEquals(-0.3125, m.get("rewards/rejected"), 1e-6);
        assertEquals(0.5, m.get("rewards/margins"), 1e-6);
        assertEquals(-1.5, m.get("logps/chosen"), 1e-6);
        assertEquals(-3.5, m.get("logps/rejected"), 1e-6);
        assertNull(m.get("logits/chosen"), "no logit sums given");
        sums.put("logits/chosen_sum", 4.2);
        sums.put("count/chosen_tokens", 3.0);
        assertEquals(1.4, KtoLoss.means(sums).get("logits/chosen"), 1e-12);

        sums.put("count/rejected", 0.0);
        sums.put("rewards/rejected_sum", 0.0);
        m = KtoLoss.means(sums);
        assertEquals(Set.of("rewards/chosen", "logps/chosen", "logits/chosen"), m.keySet());
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        double kl = 0.3, beta = 0.8;
        double[] ref = {-1.7, -2.2, -0.4, -3.1, -2.0};
        boolean[] labels = {true, false, false, true, false};
        KtoLoss.Options o = new KtoLoss.Options(beta, 1.2, 0.7, KtoLoss.Type.KTO);
        Tensor p = Tensor.vector(-1.1f, -2.9f, -0.2f, -3.3f, -1.4f).requiresGrad(true);
        GradCheck.check("kto", in -> KtoLoss.compute(o, in[0], Tensor.of(DpoLossTest.floats(ref), 5), labels, kl).loss(), x -> {
            double s = 0;
            for (int i = 0; i < labels.length; i++) {
                double rho = x[0][i] - ref[i];
                s += labels[i] ? 1.2 * (1 - DpoLossTest.ReferenceDpo.sig(beta * (rho - kl)))
                        : 0.7 * (1 - DpoLossTest.ReferenceDpo.sig(beta * (kl - rho)));
            }
            return new double[] {s};
        }, p);
    }
}
