package dev.align4j.train.grpo;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.loss.RlooLoss;

/**
 * RLOO's loss on a micro-batch ({@link RlooLoss#loss}): the clipped ratio of each completion's
 * sequence log-prob to its log-prob at generation, times its leave-one-out advantage; a mean over
 * the micro-batch's completions, so its completions are the items.
 *
 * @param c the config
 */
record RlooStep(RLOOConfig c) implements GroupObjective.Step {

    @Override
    public long items(GrpoRollouts.Round round, int[] slice) {
        return slice.length;
    }

    @Override
    public Objective.Loss loss(GrpoRollouts.Round round, int[] slice, Tensor logprobs, float[] entropies) {
        int n = logprobs.dim(0);
        double[] advantages = new double[slice.length];
        int[] lengths = new int[slice.length];
        float[] old = new float[n];
        int at = 0;
        for (int j = 0; j < slice.length; j++) {
            int i = slice[j];
            advantages[j] = round.advantages()[i];
            lengths[j] = round.samples().get(i).completion().length;
            System.arraycopy(round.old()[i], 0, old, at, lengths[j]);
            at += lengths[j];
        }
        RlooLoss.Result loss = RlooLoss.loss(logprobs, old, advantages, lengths, c.epsilon, c.epsilonHigh != null ? c.epsilonHigh : c.epsilon);
        return new Objective.Loss(Elementwise.mulScalar(loss.loss(), slice.length), loss.metrics());
    }
}
