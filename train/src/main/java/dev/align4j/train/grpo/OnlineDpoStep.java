package dev.align4j.train.grpo;

import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.Objective;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.DpoLossType;
import dev.align4j.train.loss.PairLogps;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Online DPO's loss on a micro-batch of pairs (Guo et al. 2024, "Direct Language Model Alignment
 * from Online AI Feedback", arXiv:2402.04792; TRL's {@code OnlineDPOTrainer.training_step}): each
 * prompt's two completions, the one with the higher reward chosen (the first on a tie, as TRL's
 * {@code first_half >= second_half}), then {@link DpoLoss} (sigmoid or ipo) on the completions'
 * summed log-probs under the policy and the reference. The pairs are the items.
 *
 * <p>Metrics, each a mean over the micro-batch as TRL logs them: {@code rewards/chosen},
 * {@code rewards/rejected}, {@code rewards/accuracies}, {@code rewards/margins}, {@code logps/chosen},
 * {@code logps/rejected}; {@code objective/kl} (the mean over completions of Σ log π − log π_ref),
 * {@code objective/non_score_reward} (−β times it), {@code objective/entropy} (−Σ log π),
 * {@code objective/rlhf_reward} (reward plus non-score reward), {@code objective/scores_margin}
 * (chosen's reward minus rejected's), {@code beta}.
 *
 * @param c the config
 */
record OnlineDpoStep(OnlineDPOConfig c) implements GroupObjective.Step {

    @Override
    public long items(GrpoRollouts.Round round, int[] slice) {
        return slice.length / 2;
    }

    @Override
    public Objective.Loss loss(GrpoRollouts.Round round, int[] slice, Tensor logprobs, float[] entropies) {
        int n = slice.length, pairs = n / 2;
        List<Tensor> sums = new ArrayList<>(n);
        double[] refSums = new double[n], policySums = new double[n];
        int[] tokens = new int[n];
        float[] lp = logprobs.toArray();
        for (int j = 0, t = 0; j < n; j++) {
            int i = slice[j], len = round.samples().get(i).completion().length;
            sums.add(Reductions.sum(ShapeOps.slice(logprobs, 0, t, t + len)).view(1));
            for (int k = 0; k < len; k++) {
                refSums[j] += round.ref()[i][k];
                policySums[j] += lp[t + k];
            }
            tokens[j] = len;
            t += len;
        }
        int[] chosen = new int[pairs], rejected = new int[pairs];
        double scoresMargin = 0;
        for (int p = 0; p < pairs; p++) {
            int a = 2 * p, b = 2 * p + 1;
            boolean first = round.advantages()[slice[a]] >= round.advantages()[slice[b]];
            chosen[p] = first ? a : b;
            rejected[p] = first ? b : a;
            scoresMargin += round.advantages()[slice[chosen[p]]] - round.advantages()[slice[rejected[p]]];
        }
        Tensor all = ShapeOps.concat(sums, 0);
        PairLogps policy = new PairLogps(ShapeOps.indexSelect(all, 0, chosen), ShapeOps.indexSelect(all, 0, rejected), pick(tokens, chosen),
                pick(tokens, rejected));
        PairLogps reference = new PairLogps(Tensor.of(pickFloat(refSums, chosen), pairs), Tensor.of(pickFloat(refSums, rejected), pairs),
                pick(tokens, chosen), pick(tokens, rejected));
        DpoLoss.Options options = new DpoLoss.Options(c.beta, List.of(c.lossType.equals("ipo") ? DpoLossType.IPO : DpoLossType.SIGMOID),
                List.of(1.0), 0, false, OptionalDouble.empty(), false, DpoLoss.Options.DEFAULT.discopopTau());
        DpoLoss.Result r = DpoLoss.compute(options, policy, reference);

        Map<String, Double> metrics = new LinkedHashMap<>();
        r.metricSums().forEach((k, v) -> metrics.put(k, v / pairs));
        double kl = 0, entropy = 0, rlhf = 0;
        for (int j = 0; j < n; j++) {
            double klj = policySums[j] - refSums[j];
            kl += klj;
            entropy -= policySums[j];
            rlhf += round.advantages()[slice[j]] - c.beta * klj;
        }
        metrics.put("objective/kl", kl / n);
        metrics.put("objective/non_score_reward", -c.beta * kl / n);
        metrics.put("objective/entropy", entropy / n);
        metrics.put("objective/rlhf_reward", rlhf / n);
        metrics.put("objective/scores_margin", scoresMargin / pairs);
        metrics.put("beta", c.beta);
        return new Objective.Loss(r.loss(), metrics);
    }

    private static int[] pick(int[] x, int[] at) {
        int[] out = new int[at.length];
        for (int i = 0; i < at.length; i++) out[i] = x[at[i]];
        return out;
    }

    private static float[] pickFloat(double[] x, int[] at) {
        float[] out = new float[at.length];
        for (int i = 0; i < at.length; i++) out[i] = (float) x[at[i]];
        return out;
    }
}
