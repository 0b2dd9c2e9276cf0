package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Mask;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RLOO: REINFORCE with the leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics: Revisiting
 * REINFORCE Style Optimization for Learning from Human Feedback in LLMs", arXiv:2402.14740, Eq. 5;
 * Kool et al. 2019), as TRL's {@code RLOOTrainer} computes it (trl/trainer/rloo_trainer.py,
 * {@code _generate_and_score_completions} and {@code _compute_loss}, TRL 1.x), as pure functions.
 *
 * <p>Advantages, per group of k completions of one prompt, with R_i the weighted reward (NaN where
 * no reward function applies: "unscorable"):
 * <pre>
 * R_i ← clamp(R_i, reward_clip_range)                              when set
 * R_i ← R_i − β·Σ_t (log π_old(y_t) − log π_ref(y_t))              β ≠ 0: the first-order KL of the sequence
 * A_i = R_i − (Σ_{j≠i, scorable} R_j) / (n_scorable − 1)           the leave-one-out baseline
 * A   ← (A − mean A) / (std A + 1e-4)                               normalize_advantages
 * A_i = 0                                                           unscorable, or alone in its group
 * </pre>
 * Loss, per completion, with s_i = Σ_t log π(y_t) its sequence log-prob and ε_low, ε_high:
 * <pre>
 * r_i = exp(s_i − s_i,old),  loss = mean_i −min(r_i·A_i, clamp(r_i, 1 − ε_low, 1 + ε_high)·A_i)
 * </pre>
 * Metrics as TRL logs them: {@code reward} and {@code reward_std} (the mean and the unbiased std of
 * the weighted rewards over the scorable completions, before clipping and the KL penalty),
 * {@code frac_reward_zero_std} (the fraction of groups whose adjusted rewards all agree), {@code kl}
 * (the mean of log π_old − log π_ref over the tokens); per micro-batch {@code clip_ratio/low_mean},
 * {@code clip_ratio/high_mean}, {@code clip_ratio/region_mean} over its completions.
 */
public final class RlooLoss {
    private RlooLoss() {}

    /**
     * RLOO's advantages of a generation batch.
     *
     * @param rewards        (n) each completion's weighted reward, NaN when unscorable; groups of numGenerations
     * @param numGenerations k
     * @param beta           β
     * @param old            [i][t] the policy's log-probs at generation (read when β ≠ 0)
     * @param ref            [i][t] the reference's (read when β ≠ 0)
     * @param clipRange      reward_clip_range [low, high], or null
     * @param normalize      normalize_advantages
     */
    public static GrpoAdvantages.Result advantages(double[] rewards, int numGenerations, double beta, float[][] old, float[][] ref,
                                                   double[] clipRange, boolean normalize) {
        int n = rewards.length, k = numGenerations;
        if (k < 2 || n % k != 0) throw new IllegalArgumentException("RLOO: " + n + " rewards are not whole groups of num_generations " + k + " ≥ 2");
        double[] r = rewards.clone();
        double klSum = 0;
        long klTokens = 0;
        for (int i = 0; i < n; i++) {
            if (clipRange != null && !Double.isNaN(r[i])) r[i] = Math.min(Math.max(r[i], clipRange[0]), clipRange[1]);
            if (beta != 0) {
                double kl = 0;
                for (int t = 0; t < old[i].length; t++) kl += old[i][t] - ref[i][t];
                klSum += kl;
                klTokens += old[i].length;
                r[i] -= beta * kl;
            }
        }
        double[] a = new double[n];
        int zeroStd = 0;
        for (int g = 0; g < n; g += k) {
            double sum = 0;
            int scorable = 0;
            for (int i = g; i < g + k; i++) {
                if (!Double.isNaN(r[i])) {
                    sum += r[i];
                    scorable++;
                }
            }
            double mean = sum / scorable, sq = 0;
            for (int i = g; i < g + k; i++) if (!Double.isNaN(r[i])) sq += (r[i] - mean) * (r[i] - mean);
            double std = scorable > 1 ? Math.sqrt(sq / (scorable - 1)) : Double.NaN;
            if (scorable > 1 && std <= 1e-8) zeroStd++; // torch.isclose(std, 0): a group of one scorable completion has a NaN std, not close to 0
            for (int i = g; i < g + k; i++) a[i] = Double.isNaN(r[i]) || scorable < 2 ? Double.NaN : r[i] - (sum - r[i]) / (scorable - 1);
        }
        if (normalize) {
            double[] stats = nanMeanStd(a);
            for (int i = 0; i < n; i++) if (!Double.isNaN(a[i])) a[i] = (a[i] - stats[0]) / (stats[1] + 1e-4);
        }
        for (int i = 0; i < n; i++) if (Double.isNaN(a[i])) a[i] = 0;
        double[] raw = nanMeanStd(rewards);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("reward", raw[0]);
        if (!Double.isNaN(raw[1])) metrics.put("reward_std", raw[1]);
        metrics.put("frac_reward_zero_std", (double) zeroStd / (n / k));
        if (beta != 0) metrics.put("kl", klSum / Math.max(klTokens, 1));
        return new GrpoAdvantages.Result(a, metrics);
    }

    /** The mean and the unbiased standard deviation of the values that are not NaN (NaN when too few). */
    private static double[] nanMeanStd(double[] x) {
        double s = 0;
        int c = 0;
        for (double v : x) {
            if (!Double.isNaN(v)) {
                s += v;
                c++;
            }
        }
        double mean = c == 0 ? Double.NaN : s / c, sq = 0;
        for (double v : x) if (!Double.isNaN(v)) sq += (v - mean) * (v - mean);
        return new double[] {mean, c > 1 ? Math.sqrt(sq / (c - 1)) : Double.NaN};
    }

    /**
     * @param loss    () the micro-batch's mean over its completions, recorded for backward
     * @param metrics the clip ratios of the class comment
     */
    public record Result(Tensor loss, Map<String, Double> metrics) {}

    /**
     * The clipped loss of one micro-batch.
     *
     * @param logprobs    (N) the policy's log-probs of the completions' tokens, one completion after another, recorded for backward
     * @param oldLogprobs (N) the same at generation
     * @param advantages  (B) each completion's advantage
     * @param lengths     (B) each completion's token count
     */
    public static Result loss(Tensor logprobs, float[] oldLogprobs, double[] advantages, int[] lengths, double epsilonLow, double epsilonHigh) {
        int b = lengths.length, total = 0;
        for (int l : lengths) total += l;
        if (logprobs.rank() != 1 || logprobs.dim(0) != total || oldLogprobs.length != total || advantages.length != b) {
            throw new IllegalArgumentException("RLOO loss: " + logprobs.describe() + " log-probs, " + oldLogprobs.length + " old ones, "
                    + advantages.length + " advantages for " + b + " completions of " + total + " tokens");
        }
        List<Tensor> sums = new ArrayList<>(b);
        double[] oldSums = new double[b];
        for (int i = 0, t = 0; i < b; t += lengths[i], i++) {
            sums.add(Reductions.sum(ShapeOps.slice(logprobs, 0, t, t + lengths[i])).view(1));
            for (int s = t; s < t + lengths[i]; s++) oldSums[i] += oldLogprobs[s];
        }
        float[] old = new float[b], adv = new float[b];
        for (int i = 0; i < b; i++) {
            old[i] = (float) oldSums[i];
            adv[i] = (float) advantages[i];
        }
        Tensor ratio = Elementwise.exp(Elementwise.sub(ShapeOps.concat(sums, 0), Tensor.of(old, b)));   // (B)
        Tensor a = Tensor.of(adv, b);
        Tensor unclipped = Elementwise.mul(ratio, a);
        Tensor clipped = Elementwise.mul(Elementwise.clamp(ratio, (float) (1 - epsilonLow), (float) (1 + epsilonHigh)), a);
        float[] u = unclipped.toArray(), c = clipped.toArray(), r = ratio.toArray();
        Tensor smaller = Elementwise.where(Mask.of(i -> u[i] < c[i], b), unclipped,
                Elementwise.where(Mask.of(i -> u[i] > c[i], b), clipped, Elementwise.mulScalar(Elementwise.add(unclipped, clipped), 0.5f)));
        Tensor loss = Elementwise.mulScalar(Reductions.sum(smaller), (float) (-1.0 / b));
        int low = 0, high = 0;
        for (int i = 0; i < b; i++) {
            if (r[i] < 1 - epsilonLow && adv[i] < 0) low++;
            if (r[i] > 1 + epsilonHigh && adv[i] > 0) high++;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("clip_ratio/low_mean", (double) low / b);
        metrics.put("clip_ratio/high_mean", (double) high / b);
        metrics.put("clip_ratio/region_mean", (double) (low + high) / b);
        return new Result(loss, metrics);
    }
}
