package dev.align4j.train.grpo;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.loss.GrpoLoss;

/**
 * GRPO's loss on a micro-batch ({@link GrpoLoss}) with the round's advantages, old and reference
 * log-probs, the truncation and high-entropy masks.
 *
 * <p>The loop divides the summed loss by the items of a step's micro-batches, so each loss type's
 * normaliser is expressed as items (TRL's {@code _compute_loss}): {@code grpo} sums each
 * completion's token mean over completions; {@code dr_grpo} sums the tokens over
 * max_completion_length per completion; {@code bnpo} is each micro-batch's token mean, one item
 * per micro-batch; {@code dapo} and {@code cispo} sum the tokens, whose count over the step's
 * micro-batches (every generated token, as TRL's {@code num_items_in_batch}) is the items.
 *
 * @param c the config
 */
record GrpoStep(GRPOConfig c) implements GroupObjective.Step {

    @Override
    public long items(GrpoRollouts.Round round, int[] slice) {
        return switch (c.lossType) {
            case "grpo", "dr_grpo" -> slice.length;
            case "bnpo" -> 1;
            default -> completionTokens(round, slice); // dapo, cispo
        };
    }

    @Override
    public Objective.Loss loss(GrpoRollouts.Round round, int[] slice, Tensor logprobs, float[] entropies) {
        GrpoLoss.Options options = new GrpoLoss.Options(GrpoLoss.LossType.of(c.lossType), c.beta, c.epsilon,
                c.epsilonHigh != null ? c.epsilonHigh : c.epsilon, GrpoLoss.ImportanceSamplingLevel.of(c.importanceSamplingLevel),
                c.maxCompletionLength);
        GrpoLoss.Result loss = GrpoLoss.compute(options, inputs(round, slice, logprobs, entropies));
        Tensor sum = switch (options.lossType()) { // as a sum over this micro-batch's items (class comment)
            case GRPO, DR_GRPO -> Elementwise.mulScalar(loss.loss(), slice.length);
            case BNPO, DAPO, CISPO -> loss.loss();
        };
        return new Objective.Loss(sum, loss.metrics());
    }

    /**
     * The loss's inputs for the slice's completions: the round's advantages, old and reference
     * log-probs; the truncation mask; the high-entropy mask; dapo's normaliser 1, so its loss is the
     * token sum the loop divides by the step's tokens.
     */
    private GrpoLoss.Inputs inputs(GrpoRollouts.Round round, int[] slice, Tensor logprobs, float[] entropies) {
        int n = logprobs.dim(0);
        double[] advantages = new double[slice.length];
        int[] lengths = new int[slice.length];
        boolean[] truncated = new boolean[slice.length];
        float[] old = round.old() == null ? null : new float[n], ref = round.ref() == null ? null : new float[n];
        int at = 0;
        for (int j = 0; j < slice.length; j++) {
            int i = slice[j];
            advantages[j] = round.advantages()[i];
            lengths[j] = round.samples().get(i).completion().length;
            truncated[j] = round.samples().get(i).truncated();
            if (old != null) System.arraycopy(round.old()[i], 0, old, at, lengths[j]);
            if (ref != null) System.arraycopy(round.ref()[i], 0, ref, at, lengths[j]);
            at += lengths[j];
        }
        boolean[] mask = c.maskTruncatedCompletions ? GrpoLoss.maskTruncatedCompletions(lengths, truncated) : null;
        boolean[] high = c.topEntropyQuantile < 1 ? GrpoLoss.highEntropyMask(entropies, mask, c.topEntropyQuantile) : null;
        return new GrpoLoss.Inputs(logprobs, old, ref, advantages, lengths, mask, high, 1);
    }

    static long completionTokens(GrpoRollouts.Round round, int[] slice) {
        long n = 0;
        for (int i : slice) n += round.samples().get(i).completion().length;
        return n;
    }
}
