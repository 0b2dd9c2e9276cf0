package dev.align4j.train.grpo;

import dev.align4j.models.CausalLM;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.ResponseBatch;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The objective of the group-sampling trainers on one micro-batch of a generation round
 * ({@link GrpoRollouts}): the policy's log-probs of the micro-batch's completions at the sampling
 * temperature and their entropies, then the method's loss ({@link Step}: GRPO's or RLOO's).
 *
 * <p>Metrics, as TRL logs them, each the mean of its values over the logging window: the round's
 * (reward, reward_std, rewards/&lt;f&gt;/mean and /std, frac_reward_zero_std, completions/*, and
 * whatever else the round's method measured) over the window's rounds, and the micro-batch's
 * (entropy, the clip ratios, …) over its micro-batches.
 *
 */
final class GroupObjective implements Objective<GrpoBatch> {
    private static final String ROUNDS = "#rounds", MICRO = "#micro-batches";

    private final CausalLM policy;
    private final GrpoRollouts rollouts;
    private final double temperature;
    private final Step step;
    private final Set<String> roundKeys = new HashSet<>(); // the metrics that are the round's, not a micro-batch's

    /**
     * @param policy      the model being trained
     * @param rollouts    the rounds
     * @param temperature the sampling temperature the log-probs are taken at
     * @param step        the method's loss
     */
    GroupObjective(CausalLM policy, GrpoRollouts rollouts, double temperature, Step step) {
        this.policy = policy;
        this.rollouts = rollouts;
        this.temperature = temperature;
        this.step = step;
    }

    /** A method's loss on a micro-batch: the trainer loop divides its sum by the step's items. */
    interface Step {
        /** The items the loss sums over (completions, tokens, or 1 for a micro-batch mean). */
        long items(GrpoRollouts.Round round, int[] slice);

        /**
         * The summed loss of the slice's completions and its metrics.
         *
         * @param logprobs  (N) the policy's log-probs of the completions' tokens, recorded for backward
         * @param entropies (N) the entropy of each token's distribution
         */
        Loss loss(GrpoRollouts.Round round, int[] slice, Tensor logprobs, float[] entropies);
    }

    @Override
    public long items(GrpoBatch b) {
        return step.items(rollouts.round(b.epoch(), b.round()), slice(b));
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
        Tensor scaled = batch.scaledLogits(policy, temperature);
        float[] entropies = batch.entropies(scaled.detach());
        Loss loss = step.loss(round, slice, batch.logprobs(scaled), entropies);
        Map<String, Double> sums = new LinkedHashMap<>(loss.metricSums());
        double entropy = 0;
        for (float e : entropies) entropy += e;
        sums.put("entropy", entropy / Math.max(1, entropies.length));
        sums.put(MICRO, 1.0);
        if (b.iteration() == 0 && b.slice() == 0) {
            round.metrics().forEach(sums::put);
            roundKeys.addAll(round.metrics().keySet());
            sums.put(ROUNDS, 1.0);
        }
        return new Loss(loss.sum(), sums);
    }

    /** Each metric's mean over the window: the round metrics over its rounds, the others over its micro-batches. */
    @Override
    public Map<String, Double> metrics(Map<String, Double> sums, long items) {
        double rounds = sums.getOrDefault(ROUNDS, 0.0), micro = sums.getOrDefault(MICRO, 0.0);
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> {
            if (k.startsWith("#")) return;
            double n = roundKeys.contains(k) ? rounds : micro;
            if (n > 0) out.put(k, v / n);
        });
        return out;
    }

    private int[] slice(GrpoBatch b) {
        return rollouts.round(b.epoch(), b.round()).slices().get(b.slice());
    }
}
