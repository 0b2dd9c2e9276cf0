package dev.align4j.train.loss;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ORPO and CPO/SimPO against numbers worked out by hand from their papers' equations, and their
 * gradients against central differences of the float64 equations.
 */
class OrpoCpoLossTest {

    /**
     * ORPO, β = 0.25, two pairs: c = (−1, −3) over (2, 3) tokens, r = (−2, −2) over (4, 1) tokens, so
     * c̄ = (−0.5, −1), r̄ = (−0.5, −2); log(1 − e^c̄) = (−0.932752130, −0.458675145),
     * log(1 − e^r̄) = (−0.932752130, −0.145413458);
     * log odds ratio = (c̄ − r̄) − (log(1 − e^c̄) − log(1 − e^r̄)) = (0, 1 − (−0.458675145 + 0.145413458)) = (0, 1.313261688);
     * log σ of it = (−ln 2, −0.238183026); NLL = −(−1 − 3)/(2 + 3) = 0.8;
     * per pair NLL − β·log σ: 0.8 + 0.25·0.693147181 = 0.973286795, 0.8 + 0.25·0.238183026 = 0.859545757;
     * sum 1.832832552.
     */
    @Test
    void orpoByHand() {
        PairLogps p = new PairLogps(Tensor.vector(-1f, -3f), Tensor.vector(-2f, -2f), new int[] {2, 3}, new int[] {4, 1});
        OrpoLoss.Result r = OrpoLoss.compute(0.25, p);
        assertEquals(1.832832552, r.loss().item(), 1e-5);
        Map<String, Double> m = r.metricSums();
        assertEquals(2 * 0.8, m.get("nll_loss"), 1e-6);
        assertEquals(-0.693147181 - 0.238183026, m.get("log_odds_ratio"), 1e-5);
        assertEquals(1.313261688, m.get("log_odds_chosen"), 1e-5);
        assertEquals(0.25 * (-0.5 - 1), m.get("rewards/chosen"), 1e-6, "β·c̄ summed");
        assertEquals(0.25 * (-0.5 - 2), m.get("rewards/rejected"), 1e-6);
        assertEquals(1.0, m.get("rewards/accuracies"), "pair 0 ties (not counted), pair 1's chosen is higher");
        assertEquals(-1.5, m.get("logps/chosen"), 1e-6, "average log-probs, as TRL's ORPO logs them");
    }

    /** A chosen completion predicted with certainty (c̄ = 0) keeps the odds finite. */
    @Test
    void orpoStaysFiniteAtCertainty() {
        PairLogps p = new PairLogps(Tensor.vector(0f).requiresGrad(true), Tensor.vector(-1f), new int[] {3}, new int[] {3});
        OrpoLoss.Result r = OrpoLoss.compute(0.1, p);
        r.loss().backward();
        assertEquals(true, Float.isFinite(r.loss().item()) && Float.isFinite(p.chosen().grad().toArray()[0]));
    }

    static final PairLogps CPO_PAIRS = new PairLogps(Tensor.vector(-2f, -6f), Tensor.vector(-3f, -4f), new int[] {2, 3}, new int[] {4, 2});

    static double cpo(CpoLoss.Type type, double eps, double alpha) {
        return CpoLoss.compute(new CpoLoss.Options(0.5, type, eps, alpha, 0.5), CPO_PAIRS).loss().item();
    }

    /**
     * CPO inputs, β = 0.5, c = (−2, −6) over (2, 3) tokens, r = (−3, −4) over (4, 2) tokens;
     * NLL = −(−2 − 6)/(2 + 3) = 1.6. sigmoid on sums, z = c − r = (1, −2):
     * −log σ(0.5) − log σ(−1) = 0.474076984 + 1.313261688 = 1.787338672; with cpo_alpha 1, + 2·1.6 = 4.987338672.
     */
    @Test
    void cpoSigmoidWithBehaviourCloning() {
        assertEquals(1.787338672, cpo(CpoLoss.Type.SIGMOID, 0, 0), 1e-5);
        assertEquals(4.987338672, cpo(CpoLoss.Type.SIGMOID, 0, 1), 1e-5);
    }

    /** hinge: max(0, 1 − βz) = 0.5 + 2 = 2.5. */
    @Test
    void cpoHinge() {
        assertEquals(2.5, cpo(CpoLoss.Type.HINGE, 0, 0), 1e-6);
    }

    /** ipo on averages, z = c/|yc| − r/|yr| = (−1 + 0.75, −2 + 2) = (−0.25, 0): (−0.25 − 1)² + (0 − 1)² = 1.5625 + 1 = 2.5625. */
    @Test
    void cpoIpo() {
        assertEquals(2.5625, cpo(CpoLoss.Type.IPO, 0, 0), 1e-6);
    }

    /**
     * simpo on averages, γ = 0.5: −log σ(βz − γ) = −log σ(−0.625) − log σ(−0.5) = 1.053700678 + 0.974076984 = 2.027777662;
     * with ε = 0.1: 0.9·1.053700678 + 0.1·(−log σ(0.625) = 0.428700678) + 0.9·0.974076984 + 0.1·0.474076984
     * = 0.991200678 + 0.924076984 = 1.915277662.
     */
    @Test
    void simpo() {
        assertEquals(2.027777662, cpo(CpoLoss.Type.SIMPO, 0, 0), 1e-5);
        assertEquals(1.915277662, cpo(CpoLoss.Type.SIMPO, 0.1, 0), 1e-5);
        DpoLossTest.assertMessage("label_smoothing applies to the sigmoid and simpo losses, not hinge",
                () -> new CpoLoss.Options(0.5, CpoLoss.Type.HINGE, 0.1, 1, 0.5));
    }

    @ParameterizedTest
    @EnumSource(CpoLoss.Type.class)
    void cpoGradientMatchesFiniteDifferences(CpoLoss.Type type) {
        double beta = 0.6, gamma = 0.4, eps = type == CpoLoss.Type.SIGMOID || type == CpoLoss.Type.SIMPO ? 0.05 : 0, alpha = 0.7;
        int[] lc = {3, 2, 5}, lr = {4, 1, 6};
        CpoLoss.Options o = new CpoLoss.Options(beta, type, eps, alpha, gamma);
        Tensor c = Tensor.vector(-2.3f, -1.9f, -4.4f).requiresGrad(true), r = Tensor.vector(-2.0f, -3.7f, -3.6f).requiresGrad(true);
        GradCheck.check("cpo " + type.trlName(), in -> CpoLoss.compute(o, new PairLogps(in[0], in[1], lc, lr)).loss(), x -> {
            boolean avg = type == CpoLoss.Type.IPO || type == CpoLoss.Type.SIMPO;
            double s = 0, sumC = 0, tokens = 0;
            for (int i = 0; i < 3; i++) {
                sumC += x[0][i];
                tokens += lc[i];
            }
            for (int i = 0; i < 3; i++) {
                double z = avg ? x[0][i] / lc[i] - x[1][i] / lr[i] : x[0][i] - x[1][i];
                s += switch (type) {
                    case SIGMOID -> DpoLossTest.ReferenceDpo.smooth(beta * z, eps);
                    case HINGE -> Math.max(0, 1 - beta * z);
                    case IPO -> Math.pow(z - 1 / (2 * beta), 2);
                    case SIMPO -> DpoLossTest.ReferenceDpo.smooth(beta * z - gamma, eps);
                } + alpha * (-sumC / tokens);
            }
            return new double[] {s};
        }, c, r);
    }

    @Test
    void orpoGradientMatchesFiniteDifferences() {
        double beta = 0.3;
        int[] lc = {3, 2, 5}, lr = {4, 1, 6};
        Tensor c = Tensor.vector(-2.3f, -1.9f, -4.4f).requiresGrad(true), r = Tensor.vector(-2.0f, -3.7f, -3.6f).requiresGrad(true);
        GradCheck.check("orpo", in -> OrpoLoss.compute(beta, new PairLogps(in[0], in[1], lc, lr)).loss(), x -> {
            double s = 0, sumC = 0, tokens = 0;
            for (int i = 0; i < 3; i++) {
                sumC += x[0][i];
                tokens += lc[i];
            }
            for (int i = 0; i < 3; i++) {
                double cm = x[0][i] / lc[i], rm = x[1][i] / lr[i];
                double logOdds = (cm - rm) - (Math.log(-Math.expm1(cm)) - Math.log(-Math.expm1(rm)));
                s += -sumC / tokens + beta * DpoLossTest.ReferenceDpo.nls(logOdds);
            }
            return new double[] {s};
        }, c, r);
    }
}
