package dev.align4j.train.grpo;

import dev.align4j.models.CausalLM;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.ResponseBatch;
import dev.align4j.train.loss.GrpoLoss;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GRPO's objective on one micro-batch of a generation round ({@link GrpoRollouts}): the policy's
 * log-probs of the micro-batch's completions at the sampling temperature, then {@link GrpoLoss}
 * with the round's advantages (and its old and reference log-probs when it has them).
 *
 * <p>The loop divides the summed loss by the items of a step's micro-batches, so each loss type's
 * normaliser is expressed as items (TRL's {@code _compute_loss}): {@code grpo} sums each
 * completion's token mean over completions; {@code dr_grpo} sums the tokens over
 * max_completion_length per completion; {@code bnpo} is each micro-batch's token mean, one item
 * per micro-batch; {@code dapo} and {@code cispo} sum the tokens, whose count over the step's
 * micro-batches is the items.
 *
 * <p>Metrics, as TRL logs them, each the mean of its values over the logging window: the round's
 * (reward, reward_std, rewards/&lt;f&gt;/mean and /std, frac_reward_zero_std, completions/*), and
 * each micro-batch's (entropy, kl, clip_ratio/low_mean, clip_ratio/high_mean, clip_ratio/region_mean).
 *
 * @param policy   the model being trained
 * @param rollouts the rounds
 * @param c        the config
 */
record GrpoObjective(CausalLM policy, GrpoRollouts rollouts, GRPOConfig c) implements Objective<GrpoBatch> {
    private static final String ROUNDS = "#rounds", MICRO = "#micro-batches";

    @Override
    public long items(GrpoBatch b) {
        int[] slice = slice(b);
        return switch (c.lossType) {
            case "grpo", "dr_grpo" -> slice.length;
            case "bnpo" -> 1;
            default -> completionTokens(rollouts.round(b.epoch(), b.round()), slice); // dapo, cispo: every generated token, as TRL's num_items_in_batch
        };
    }

    @Override
    public long tokens(GrpoBatch b) {
        GrpoRollouts.Round round = rollouts.round(b.epoch(), b.round());
        long n = 0;
        for (int i : slice(b)) n += round.samples().get(i).prompt().ids().length + round.samples().get(i).completion().length;
        return n;
    }

    @Override
    public Loss loss(GrpoBatch b) {
        GrpoRollouts.Round round = rollouts.round(b.epoch(), b.round());
        int[] slice = slice(b);
        List<int[]> q = new ArrayList<>(slice.length), r = new ArrayList<>(slice.length);
        for (int i : slice) {
            q.add(round.samples().get(i).prompt().ids());
            r.add(round.samples().get(i).completion());
        }
        ResponseBatch batch = ResponseBatch.of(q, r);
        Tensor scaled = batch.scaledLogits(policy, c.temperature);
        Tensor logprobs = batch.logprobs(scaled);
        float[] entropies = batch.entropies(scaled.detach());
        GrpoLoss.Options options = options();
        GrpoLoss.Result loss = GrpoLoss.compute(options, inputs(round, slice, logprobs, entropies));
        Tensor sum = switch (options.lossType()) { // as a sum over this micro-batch's items (class comment)
            case GRPO, DR_GRPO -> Elementwise.mulScalar(loss.loss(), slice.length);
            case BNPO, DAPO, CISPO -> loss.loss();
        };
        Map<String, Double> sums = new LinkedHashMap<>();
        loss.metrics().forEach(sums::put);
        double entropy = 0;
        for (float e : entropies) entropy += e;
        sums.put("entropy", entropy / Math.max(1, entropies.length));
        sums.put(MICRO, 1.0);
        if (b.iteration() == 0 && b.slice() == 0) {
            round.metrics().forEach(sums::put);
            sums.put(ROUNDS, 1.0);
        }
        return new Loss(sum, sums);
    }

    /** Each metric's mean over the window: the round metrics over its rounds, the others over its micro-batches. */
    @Override
    public Map<String, Double> metrics(Map<String, Double> sums, long items) {
        double rounds = sums.getOrDefault(ROUNDS, 0.0), micro = sums.getOrDefault(MICRO, 0.0);
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> {
            if (k.startsWith("#")) return;
            boolean roundMetric = k.startsWith("reward") || k.startsWith("completions/") || k.equals("frac_reward_zero_std");
            double n = roundMetric ? rounds : micro;
            if (n > 0) out.put(k, v / n);
        });
        return out;
    }

    private GrpoLoss.Options options() {
        return new GrpoLoss.Options(GrpoLoss.LossType.of(c.lossType), c.beta, c.epsilon, c.epsilonHigh != null ? c.epsilonHigh : c.epsilon,
                GrpoLoss.ImportanceSamplingLevel.of(c.importanceSamplingLevel), c.maxCompletionLength);
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

    private static long completionTokens(GrpoRollouts.Round round, int[] slice) {
        long n = 0;
        for (int i : slice) n += round.samples().get(i).completion().length;
        return n;
    }

    private int[] slice(GrpoBatch b) {
        return rollouts.round(b.epoch(), b.round()).slices().get(b.slice());
    }
}
