package dev.align4j.train.loss;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every DPO loss type against numbers worked out by hand from its equation (the arithmetic is in
 * each test's comment), its gradient against central differences of a float64 reference, and the
 * step-0 identity: a policy equal to its reference gives the sigmoid loss ln 2 and margins 0.
 *
 * <p>The hand inputs, two pairs, β = 0.5, ε = 0.1:
 * <pre>
 * pair  c     r     c₀    r₀    |yc| |yr|   ρc = c−c₀  ρr = r−r₀  Δ = ρc−ρr  βΔ
 * 0    −2    −3    −2.5  −2     2    4       0.5       −1         1.5        0.75
 * 1    −4    −3.5  −3    −3     4    2      −1         −0.5      −0.5       −0.25
 * </pre>
 * Values used below: σ(0.75) = 0.679178699, σ(−0.25) = 0.437823499, σ(0.25) = 0.562176501,
 * σ(0.125) = 0.531209373, σ(−0.5) = 0.377540669, σ(0.5) = 0.622459331, σ(15) = 0.999999694,
 * σ(−5) = 0.006692851; −log σ(0.75) = 0.386871006, −log σ(−0.75) = 1.136871006,
 * −log σ(−0.25) = 0.825939420, −log σ(0.25) = 0.575939420, −log σ(0.125) = 0.632599035,
 * −log σ(−0.125) = 0.757599035, −log σ(0.5) = 0.474076984, −log σ(−0.5) = 0.974076984,
 * −log σ(0) = ln 2 = 0.693147181; NLL(chosen) = −(−2 − 4)/(2 + 4) = 1.
 */
class DpoLossTest {
    static final double BETA = 0.5, EPS = 0.1;

    static PairLogps policy() {
        return new PairLogps(Tensor.vector(-2f, -4f), Tensor.vector(-3f, -3.5f), new int[] {2, 4}, new int[] {4, 2});
    }

    static PairLogps reference() {
        return new PairLogps(Tensor.vector(-2.5f, -3f), Tensor.vector(-2f, -3f), new int[] {2, 4}, new int[] {4, 2});
    }

    static DpoLoss.Options options(DpoLossType type) {
        double eps = switch (type) {
            case ROBUST, EXO_PAIR, AOT, AOT_UNPAIRED -> EPS;
            default -> 0;
        };
        return new DpoLoss.Options(BETA, List.of(type), List.of(1.0), eps, false, OptionalDouble.empty(), false, 0.05);
    }

    static void assertPairs(DpoLoss.Options o, double first, double second) {
        DpoLoss.Result result = DpoLoss.compute(o, policy(), reference());
        float[] perPair = result.perPair().toArray();
        assertEquals(first, perPair[0], 1e-5, "pair 0");
        assertEquals(second, perPair[1], 1e-5, "pair 1");
        assertEquals(first + second, result.loss().item(), 2e-5, "the loss is the sum over pairs");
    }

    /** sigmoid: −log σ(βΔ) = −log σ(0.75) = 0.386871006 and −log σ(−0.25) = 0.825939420. */
    @Test
    void sigmoid() {
        assertPairs(options(DpoLossType.SIGMOID), 0.386871006, 0.825939420);
    }

    /**
     * cDPO (cdpo with ε = 0.1): 0.9·(−log σ(βΔ)) + 0.1·(−log σ(−βΔ));
     * pair 0: 0.9·0.386871006 + 0.1·1.136871006 = 0.461871006;
     * pair 1: 0.9·0.825939420 + 0.1·0.575939420 = 0.800939420.
     */
    @Test
    void conservativeDpoSmoothsTheSigmoid() {
        assertPairs(options(DpoLossType.SIGMOID).withLabelSmoothing(EPS, true), 0.461871006, 0.800939420);
    }

    /** hinge: max(0, 1 − βΔ) = 1 − 0.75 = 0.25 and 1 + 0.25 = 1.25. */
    @Test
    void hinge() {
        assertPairs(options(DpoLossType.HINGE), 0.25, 1.25);
    }

    /**
     * ipo: (ρc/|yc| − ρr/|yr| − 1/(2β))², 1/(2β) = 1;
     * pair 0: (0.5/2 + 1/4 − 1)² = (−0.5)² = 0.25; pair 1: (−1/4 + 0.5/2 − 1)² = 1.
     */
    @Test
    void ipoOnPerTokenLogRatios() {
        assertPairs(options(DpoLossType.IPO), 0.25, 1.0);
    }

    /**
     * exo_pair, ε = 0.1: σ(βΔ)(log σ(βΔ) − log 0.9) + σ(−βΔ)(log σ(−βΔ) − log 0.1), log 0.9 = −0.105360516,
     * log 0.1 = −2.302585093;
     * pair 0: 0.679178699·(−0.386871006 + 0.105360516) + 0.320821301·(−1.136871006 + 2.302585093)
     * = −0.191196 + 0.373986 = 0.182789981;
     * pair 1: 0.437823499·(−0.825939420 + 0.105360516) + 0.562176501·(−0.575939420 + 2.302585093)
     * = −0.315486 + 0.970680 = 0.655193246.
     */
    @Test
    void exoPair() {
        assertPairs(options(DpoLossType.EXO_PAIR), 0.182789981, 0.655193246);
    }

    /**
     * nca_pair: −log σ(βρc) − ½ log σ(−βρc) − ½ log σ(−βρr);
     * pair 0 (βρc = 0.25, βρr = −0.5): 0.575939420 + ½·0.825939420 + ½·0.474076984 = 1.225947622;
     * pair 1 (βρc = −0.5, βρr = −0.25): 0.974076984 + ½·0.474076984 + ½·0.575939420 = 1.499085186.
     */
    @Test
    void ncaPair() {
        assertPairs(options(DpoLossType.NCA_PAIR), 1.225947622, 1.499085186);
    }

    /**
     * robust, ε = 0.1: (0.9·(−log σ(βΔ)) − 0.1·(−log σ(−βΔ))) / 0.8;
     * pair 0: (0.9·0.386871006 − 0.1·1.136871006)/0.8 = 0.293121006;
     * pair 1: (0.9·0.825939420 − 0.1·0.575939420)/0.8 = 0.857189420.
     */
    @Test
    void robustIsTrlsCurrentLabelSmoothing() {
        assertPairs(options(DpoLossType.ROBUST), 0.293121006, 0.857189420);
    }

    /**
     * bco_pair: −log σ(βρc) − log σ(−βρr);
     * pair 0: −log σ(0.25) − log σ(0.5) = 0.575939420 + 0.474076984 = 1.050016404;
     * pair 1: −log σ(−0.5) − log σ(0.25) = 0.974076984 + 0.575939420 = 1.550016404.
     */
    @Test
    void bcoPair() {
        assertPairs(options(DpoLossType.BCO_PAIR), 1.050016404, 1.550016404);
    }

    /** sppo_hard: (ρc − 1/(2β))² + (ρr + 1/(2β))²; pair 0: (0.5 − 1)² + (−1 + 1)² = 0.25; pair 1: (−2)² + (0.5)² = 4.25. */
    @Test
    void sppoHard() {
        assertPairs(options(DpoLossType.SPPO_HARD), 0.25, 4.25);
    }

    /**
     * aot, ε = 0.1: d = sort(c − r) − sort(c₀ − r₀) = sort(1, −0.5) − sort(−0.5, 0) = (−0.5, 1) − (−0.5, 0) = (0, 1);
     * d = 0: 0.9·ln 2 + 0.1·ln 2 = 0.693147181; d = 1 (βd = 0.5): 0.9·0.474076984 + 0.1·0.974076984 = 0.524076984.
     */
    @Test
    void aotSortsTheBatch() {
        assertPairs(options(DpoLossType.AOT), 0.693147181, 0.524076984);
    }

    /**
     * aot_unpaired, ε = 0.1: d = sort(ρc) − sort(ρr) = (−1, 0.5) − (−1, −0.5) = (0, 1): the same two values as aot here.
     */
    @Test
    void aotUnpairedSortsEachSide() {
        assertPairs(options(DpoLossType.AOT_UNPAIRED), 0.693147181, 0.524076984);
    }

    /**
     * apo_zero: 1 − σ(βρc) + σ(βρr);
     * pair 0: 1 − σ(0.25) + σ(−0.5) = 1 − 0.562176501 + 0.377540669 = 0.815364168;
     * pair 1: 1 − σ(−0.5) + σ(−0.25) = 1 − 0.377540669 + 0.437823499 = 1.060282830.
     */
    @Test
    void apoZero() {
        assertPairs(options(DpoLossType.APO_ZERO), 0.815364168, 1.060282830);
    }

    /**
     * apo_down: σ(βρc) + 1 − σ(βΔ);
     * pair 0: 0.562176501 + 1 − 0.679178699 = 0.882997802; pair 1: 0.377540669 + 1 − 0.437823499 = 0.939717170.
     */
    @Test
    void apoDown() {
        assertPairs(options(DpoLossType.APO_DOWN), 0.882997802, 0.939717170);
    }

    /**
     * discopop, τ = 0.05: m = σ(βΔ/τ), (1 − m)·(−log σ(βΔ)) + m·e^(−βΔ);
     * pair 0: m = σ(15) = 0.999999694, e^(−0.75) = 0.472366553 → 3.06e−7·0.386871006 + 0.999999694·0.472366553 = 0.472366527;
     * pair 1: m = σ(−5) = 0.006692851, e^(0.25) = 1.284025417 → 0.993307149·0.825939420 + 0.006692851·1.284025417 = 0.829005321.
     */
    @Test
    void discopop() {
        assertPairs(options(DpoLossType.DISCOPOP), 0.472366527, 0.829005321);
    }

    /** sft: the chosen NLL per token over the batch, −(−2 − 4)/(2 + 4) = 1, for each pair. */
    @Test
    void sftIsTheBatchNllOnEachPair() {
        assertPairs(options(DpoLossType.SFT), 1.0, 1.0);
    }

    /**
     * sigmoid_norm: −log σ(β(ρc/|yc| − ρr/|yr|)); pair 0: β(0.25 + 0.25) = 0.25 → 0.575939420;
     * pair 1: β(−0.25 + 0.25) = 0 → ln 2 = 0.693147181.
     */
    @Test
    void sigmoidNorm() {
        assertPairs(options(DpoLossType.SIGMOID_NORM), 0.575939420, 0.693147181);
    }

    /**
     * MPO-style combination, loss_type [sigmoid, hinge, sft] with weights [0.8, 0.2, 1]:
     * pair 0: 0.8·0.386871006 + 0.2·0.25 + 1 = 1.359496805; pair 1: 0.8·0.825939420 + 0.2·1.25 + 1 = 1.910751536.
     */
    @Test
    void lossWeightsCombineSeveralTypes() {
        DpoLoss.Options o = DpoLoss.Options.DEFAULT.withBeta(BETA).withLossTypes(
                List.of(DpoLossType.SIGMOID, DpoLossType.HINGE, DpoLossType.SFT), List.of(0.8, 0.2, 1.0));
        assertPairs(o, 1.359496805, 1.910751536);
    }

    /** rpo_alpha 0.5 adds 0.5·NLL = 0.5 to each pair's sigmoid loss: 0.886871006 and 1.325939420; nll_loss sums to 2·1. */
    @Test
    void rpoAlphaAddsTheChosenNll() {
        DpoLoss.Options o = options(DpoLossType.SIGMOID).withRpoAlpha(0.5);
        assertPairs(o, 0.886871006, 1.325939420);
        assertEquals(2.0, DpoLoss.compute(o, policy(), reference()).metricSums().get("nll_loss"), 1e-6);
    }

    /**
     * Metrics as sums over the two pairs: rewards βρc = (0.25, −0.5), βρr = (−0.5, −0.25); chosen −0.25,
     * rejected −0.75, margins 0.75 − 0.25 = 0.5, accuracies 1 (only pair 0's chosen reward is higher),
     * logps/chosen −6, logps/rejected −6.5.
     */
    @Test
    void metricsAreTrlsSummedOverPairs() {
        Map<String, Double> m = DpoLoss.compute(options(DpoLossType.SIGMOID), policy(), reference()).metricSums();
        assertEquals(-0.25, m.get("rewards/chosen"), 1e-6);
        assertEquals(-0.75, m.get("rewards/rejected"), 1e-6);
        assertEquals(0.5, m.get("rewards/margins"), 1e-6);
        assertEquals(1.0, m.get("rewards/accuracies"));
        assertEquals(-6.0, m.get("logps/chosen"), 1e-6);
        assertEquals(-6.5, m.get("logps/rejected"), 1e-6);
        assertTrue(!m.containsKey("nll_loss"), "no NLL term, no nll_loss");
    }

    /** reference_free: ρ = the policy's log-probs; Δ = (−2 + 3, −4 + 3.5) = (1, −0.5), βΔ = (0.5, −0.25) → 0.474076984, 0.825939420. */
    @Test
    void referenceFreeTakesAZeroReference() {
        DpoLoss.Result r = DpoLoss.compute(options(DpoLossType.SIGMOID).withReferenceFree(true), policy(), null);
        assertArrayEquals(new float[] {0.474076984f, 0.825939420f}, r.perPair().toArray(), 1e-5f);
        assertEquals(-3.0, r.metricSums().get("rewards/chosen"), 1e-6, "β·(−2 − 4)");
    }

    /** At step 0 the policy is its reference: Δ = 0, so the sigmoid loss is ln 2 per pair, margins and accuracies 0. */
    @Test
    void policyEqualToReferenceGivesLn2AndZeroMargins() {
        DpoLoss.Result r = DpoLoss.compute(DpoLoss.Options.DEFAULT, policy(), policy());
        assertEquals(2 * Math.log(2), r.loss().item(), 1e-6);
        assertEquals(0.0, r.metricSums().get("rewards/margins"), 0.0);
        assertEquals(0.0, r.metricSums().get("rewards/accuracies"), 0.0);
    }

    /** Every type's gradient with respect to the policy's chosen and rejected log-probs, against central differences of the float64 equations. */
    @ParameterizedTest
    @EnumSource(DpoLossType.class)
    void gradientMatchesFiniteDifferences(DpoLossType type) {
        double beta = 0.7, eps = 0.15;
        double[] c0 = {-3.1, -1.2, -5.0}, r0 = {-2.2, -2.9, -4.1};
        int[] lc = {3, 2, 5}, lr = {4, 1, 6};
        DpoLoss.Options o = options(type).withBeta(beta);
        if (o.labelSmoothing() > 0) o = o.withLabelSmoothing(eps, false);
        DpoLoss.Options opts = o;
        Tensor c = Tensor.vector(-2.3f, -1.9f, -4.4f).requiresGrad(true), r = Tensor.vector(-2.0f, -3.7f, -3.6f).requiresGrad(true);
        PairLogps ref = new PairLogps(Tensor.of(floats(c0), 3), Tensor.of(floats(r0), 3), lc, lr);
        GradCheck.check("dpo " + type.trlName(), in -> DpoLoss.compute(opts, new PairLogps(in[0], in[1], lc, lr), ref).perPair(),
                x -> ReferenceDpo.perPair(type, beta, opts.labelSmoothing(), 0.05, x[0], x[1], c0, r0, lc, lr), c, r);
    }

    @Test
    void optionsRejectWhatTrlWouldIgnoreOrBreakOn() {
        DpoLoss.Options sigmoid = DpoLoss.Options.DEFAULT;
        assertMessage("label_smoothing 0.1 is used by none of [sigmoid]", () -> sigmoid.withLabelSmoothing(0.1, false));
        assertMessage("exo_pair needs label_smoothing > 0", () -> sigmoid.withLossType(DpoLossType.EXO_PAIR));
        assertMessage("label_smoothing must be in [0, 0.5)", () -> sigmoid.withLossType(DpoLossType.ROBUST).withLabelSmoothing(0.5, false));
        assertMessage("cdpo smooths the sigmoid loss", () -> sigmoid.withLossType(DpoLossType.HINGE).withLabelSmoothing(0.1, true));
        assertMessage("loss_weights has 1 weights for 2 loss types [sigmoid, ipo]",
                () -> sigmoid.withLossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.IPO), List.of(1.0)));
        assertMessage("loss_type \"kto_pair\" is not a DPO loss type; use one of sigmoid, hinge", () -> DpoLossType.of("kto_pair"));
        assertMessage("the reference log-probs are missing", () -> DpoLoss.compute(sigmoid, policy(), null));
        PairLogps trainable = new PairLogps(Tensor.vector(1f).requiresGrad(true), Tensor.vector(1f), new int[] {1}, new int[] {1});
        assertMessage("the reference log-probs require gradients", () -> DpoLoss.compute(sigmoid,
                new PairLogps(Tensor.vector(1f), Tensor.vector(1f), new int[] {1}, new int[] {1}), trainable));
        assertEquals(DpoLossType.SIGMOID_NORM, DpoLossType.of("sigmoid_norm"));
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable action) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
        assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
    }

    static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** The equations of {@link DpoLoss} again, in float64, written from TRL's dpo_trainer.py independently of the tensor code. */
    static final class ReferenceDpo {
        static double sig(double x) {
            return 1 / (1 + Math.exp(-x));
        }

        static double nls(double x) {
            return Math.log1p(Math.exp(-x));
        }

        static double smooth(double x, double eps) {
            return (1 - eps) * nls(x) + eps * nls(-x);
        }

        static double[] perPair(DpoLossType t, double beta, double eps, double tau, double[] c, double[] r, double[] c0, double[] r0,
                                int[] lc, int[] lr) {
            int b = c.length;
            double[] rc = new double[b], rr = new double[b], out = new double[b];
            double sumC = 0, tokens = 0;
            for (int i = 0; i < b; i++) {
                rc[i] = c[i] - c0[i];
                rr[i] = r[i] - r0[i];
                sumC += c[i];
                tokens += lc[i];
            }
            double nll = -sumC / tokens;
            double[] d = new double[b];
            if (t == DpoLossType.AOT || t == DpoLossType.AOT_UNPAIRED) {
                double[] x = new double[b], y = new double[b];
                for (int i = 0; i < b; i++) {
                    x[i] = t == DpoLossType.AOT ? c[i] - r[i] : rc[i];
                    y[i] = t == DpoLossType.AOT ? c0[i] - r0[i] : rr[i];
                }
                Arrays.sort(x);
                Arrays.sort(y);
                for (int i = 0; i < b; i++) d[i] = x[i] - y[i];
            }
            for (int i = 0; i < b; i++) {
                double bd = beta * (rc[i] - rr[i]);
                out[i] = switch (t) {
                    case SIGMOID -> nls(bd);
                    case HINGE -> Math.max(0, 1 - bd);
                    case IPO -> Math.pow(rc[i] / lc[i] - rr[i] / lr[i] - 1 / (2 * beta), 2);
                    case EXO_PAIR -> sig(bd) * (-nls(bd) - Math.log(1 - eps)) + sig(-bd) * (-nls(-bd) - Math.log(eps));
                    case NCA_PAIR -> nls(beta * rc[i]) + 0.5 * nls(-beta * rc[i]) + 0.5 * nls(-beta * rr[i]);
                    case ROBUST -> ((1 - eps) * nls(bd) - eps * nls(-bd)) / (1 - 2 * eps);
                    case BCO_PAIR -> nls(beta * rc[i]) + nls(-beta * rr[i]);
                    case SPPO_HARD -> Math.pow(rc[i] - 0.5 / beta, 2) + Math.pow(rr[i] + 0.5 / beta, 2);
                    case AOT, AOT_UNPAIRED -> smooth(beta * d[i], eps);
                    case APO_ZERO -> 1 - sig(beta * rc[i]) + sig(beta * rr[i]);
                    case APO_DOWN -> sig(beta * rc[i]) + 1 - sig(bd);
                    case DISCOPOP -> {
                        double m = sig(bd / tau);
                        yield (1 - m) * nls(bd) + m * Math.exp(-bd);
                    }
                    case SFT -> nll;
                    case SIGMOID_NORM -> nls(beta * (rc[i] / lc[i] - rr[i] / lr[i]));
                };
            }
            return out;
        }
    }
}
