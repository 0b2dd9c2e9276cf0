package dev.align4j.tensor.optim;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static dev.align4j.tensor.optim.AdamWTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * SGD against PyTorch's published rule ({@code torch.optim.SGD} docs): with weight decay λ,
 * momentum μ, dampening τ,
 * <pre>
 * g ← g + λ·p;  b ← g (step 1) or μ·b + (1−τ)·g (later);  g ← nesterov ? g + μ·b : b;  p ← p − lr·g
 * </pre>
 *
 * <p>By hand, p = 1, g = 0.5 at both steps, lr = 0.1:
 * <ul>
 * <li>μ = 0.9: step 1 b = 0.5, p = 1 − 0.05 = 0.95; step 2 b = 0.45 + 0.5 = 0.95, p = 0.95 − 0.095 = 0.855.
 * <li>μ = 0.9, Nesterov: step 1 b = 0.5, g' = 0.5 + 0.45 = 0.95, p = 0.905; step 2 b = 0.95,
 *     g' = 0.5 + 0.855 = 1.355, p = 0.905 − 0.1355 = 0.7695.
 * <li>μ = 0.9, τ = 0.5: step 1 b = 0.5 (the first buffer is not dampened), p = 0.95; step 2
 *     b = 0.45 + 0.25 = 0.7, p = 0.88.
 * <li>μ = 0, λ = 0.1: g' = 0.5 + 0.1 = 0.6, p = 0.94; step 2 g' = 0.5 + 0.094 = 0.594, p = 0.8806.
 * </ul>
 */
class SgdTest {

    private static Tensor param(float... values) {
        return Tensor.vector(values).requiresGrad(true);
    }

    private static void setGrad(Tensor p, float... g) {
        System.arraycopy(g, 0, p.gradBuffer(), 0, g.length);
    }

    @ParameterizedTest(name = "momentum={0} dampening={1} nesterov={2} wd={3}")
    @CsvSource({"0.9,0,false,0,0.95,0.855", "0.9,0,true,0,0.905,0.7695", "0.9,0.5,false,0,0.95,0.88",
            "0,0,false,0.1,0.94,0.8806"})
    void twoStepsByHand(double momentum, double dampening, boolean nesterov, double wd, double after1, double after2) {
        Tensor p = param(1f);
        Sgd opt = new Sgd(List.of(new ParamGroup(List.of(p), wd)), 0.1, momentum, dampening, nesterov);
        setGrad(p, 0.5f);
        opt.step();
        assertEquals(after1, p.get(0), 1e-7);
        opt.step();
        assertEquals(after2, p.get(0), 1e-7);
    }

    /** Float64 SGD written from the published rule, independent of the float32 code under test. */
    private static double[] float64Sgd(float[] init, float[][] grads, double lr, double mu, double tau,
                                       boolean nesterov, double wd) {
        double[] p = GradCheck.toDouble(init), b = null;
        for (float[] g32 : grads) {
            double[] g = GradCheck.toDouble(g32);
            for (int i = 0; i < p.length; i++) g[i] += wd * p[i];
            if (mu != 0) {
                if (b == null) b = g.clone();
                else for (int i = 0; i < p.length; i++) b[i] = mu * b[i] + (1 - tau) * g[i];
                for (int i = 0; i < p.length; i++) g[i] = nesterov ? g[i] + mu * b[i] : b[i];
            }
            for (int i = 0; i < p.length; i++) p[i] -= lr * g[i];
        }
        return p;
    }

    /** PyTorch's float32 op sequence replayed one element at a time (see OptimizerKernels.sgd). */
    private static float[] float32Replay(float[] init, float[][] grads, double lr, double mu, double tau,
                                         boolean nesterov, double wd) {
        float[] p = init.clone(), b = null;
        float fwd = (float) wd, fmu = (float) mu, damp = (float) (1 - tau), negLr = (float) -lr;
        for (float[] grad : grads) {
            boolean first = b == null && mu != 0;
            if (first) b = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                float d = wd != 0 ? Math.fma(p[i], fwd, grad[i]) : grad[i];
                if (b != null) {
                    b[i] = first ? d : Math.fma(d, damp, b[i] * fmu);
                    d = nesterov ? Math.fma(b[i], fmu, d) : b[i];
                }
                p[i] = Math.fma(d, negLr, p[i]);
            }
        }
        return p;
    }

    @ParameterizedTest(name = "momentum={0} dampening={1} nesterov={2} wd={3}")
    @CsvSource({"0.9,0,false,0.01", "0.9,0,true,0.01", "0.9,0.3,false,0", "0,0,false,0.05"})
    void threeStepsMatchTheFloat64RuleAndTheFloat32Replay(double mu, double tau, boolean nesterov, double wd) {
        for (int n : new int[] {1, 7, 33, 65, 127, 100_003}) {
            Tensor p = GradCheck.param(n, n);
            float[] init = p.toArray();
            float[][] grads = new float[3][];
            for (int s = 0; s < 3; s++) grads[s] = Tensor.randn(300 + s, n).toArray();
            Sgd opt = new Sgd(List.of(new ParamGroup(List.of(p), wd)), 0.05, mu, tau, nesterov);
            for (float[] g : grads) {
                setGrad(p, g);
                opt.step();
            }
            assertArrayEquals(float32Replay(init, grads, 0.05, mu, tau, nesterov, wd), p.toArray(), "n=" + n);
            GradCheck.compare("SGD n=" + n, GradCheck.toDouble(p.toArray()),
                    float64Sgd(init, grads, 0.05, mu, tau, nesterov, wd), 1e-6, 1e-6);
        }
    }

    @Test
    void nullGradientIsSkippedAndItsBufferStartsAtItsFirstStep() {
        Tensor a = param(1f), b = param(1f);
        Sgd opt = new Sgd(List.of(new ParamGroup(List.of(a, b), 0.0)), 0.1, 0.9, 0.5, false);
        setGrad(a, 0.5f);
        opt.step();
        assertEquals(1f, b.get(0));
        assertNull(opt.state().get(1).momentumBuffer());
        setGrad(b, 0.5f);
        opt.step();
        assertEquals(0.95, b.get(0), 1e-7); // b's first step: buffer = g, undamped
        assertEquals(0.88, a.get(0), 1e-7); // a's second step, damped
    }

    @Test
    void withoutMomentumThereIsNoState() {
        Tensor a = param(1f, 2f);
        Sgd opt = new Sgd(List.of(new ParamGroup(List.of(a), 0.0)), 0.1, 0.0);
        setGrad(a, 1f, 1f);
        opt.step();
        assertNull(opt.state().get(0).momentumBuffer());
        assertMessage(() -> opt.loadState(List.of(new Sgd.ParamState(new float[2]))), "momentum 0.0");
    }

    @Test
    void exportedStateResumesBitIdentically() {
        int n = 65;
        float[][] grads = new float[4][];
        for (int s = 0; s < 4; s++) grads[s] = Tensor.randn(400 + s, n).toArray();
        Tensor a = GradCheck.param(9, n), b = a.copy().requiresGrad(true);

        Sgd straight = new Sgd(List.of(new ParamGroup(List.of(a), 0.01)), 0.05, 0.9, 0.1, false);
        for (float[] g : grads) {
            setGrad(a, g);
            straight.step();
        }
        List<ParamGroup> groups = List.of(new ParamGroup(List.of(b), 0.01));
        Sgd first = new Sgd(groups, 0.05, 0.9, 0.1, false);
        for (int s = 0; s < 2; s++) {
            setGrad(b, grads[s]);
            first.step();
        }
        Sgd resumed = new Sgd(groups, 0.05, 0.9, 0.1, false);
        resumed.loadState(first.state());
        for (int s = 2; s < 4; s++) {
            setGrad(b, grads[s]);
            resumed.step();
        }
        assertArrayEquals(a.toArray(), b.toArray());
    }

    @Test
    void badHyperParametersAreRejected() {
        List<ParamGroup> g = List.of(new ParamGroup(List.of(param(1f)), 0.0));
        assertMessage(() -> new Sgd(g, -0.1, 0.9), "learning rate");
        assertMessage(() -> new Sgd(g, 0.1, -0.9), "momentum");
        assertMessage(() -> new Sgd(g, 0.1, 0.9, 1.5, false), "dampening");
        assertMessage(() -> new Sgd(g, 0.1, 0.0, 0.0, true), "Nesterov");
        assertMessage(() -> new Sgd(g, 0.1, 0.9, 0.1, true), "Nesterov");
        assertMessage(() -> new Sgd(g, 0.1, 0.9).loadState(List.of(new Sgd.ParamState(new float[3]))), "entry 0");
    }
}
