package dev.align4j.train.loss;

import dev.align4j.tensor.GradCheck;
import dev.align4j.tensor.Tensor;

/** The inputs the clipped-loss tests (PPO, GRPO) build: log-probs whose ratio to old log-probs of 0 is given, and their gradients. */
final class Ratios {
    private Ratios() {}

    /** (N) trainable log-probs {@code ln ratio} for the given ratios. */
    static Tensor logprobsOf(double... ratios) {
        float[] x = new float[ratios.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.log(ratios[i]);
        return Tensor.of(x, x.length).requiresGrad(true);
    }

    /** x's gradient in double. */
    static double[] grad(Tensor x) {
        return GradCheck.toDouble(x.grad().toArray());
    }
}
