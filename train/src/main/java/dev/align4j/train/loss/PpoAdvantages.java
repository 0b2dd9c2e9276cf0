package dev.align4j.train.loss;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * PPO's rollout math for language models: per-token KL estimates against the reference, the
 * KL-shaped per-token rewards, GAE advantages and returns, and masked whitening, as pure functions
 * of plain arrays (no autograd: everything here is a constant of the PPO epochs that follow).
 *
 * <p>Every batch argument is ragged, one array per response ({@code [i][t]}, token t of response
 * i, of that response's own length L_i), since align4j's batches are packed without padding; no
 * padding mask is needed, and the whitening statistics run over exactly the batch's response
 * tokens. The equations, per response of L tokens:
 * <pre>
 * logr_t = log π_ref(y_t) − log π(y_t)
 * k1_t   = −logr_t                          (kl_estimator "k1")
 * k3_t   = (e^logr_t − 1) − logr_t          (kl_estimator "k3")
 * r_t    = −kl_coef·kl_t  (+ score at t = L−1)
 * δ_t    = r_t + γ·v_{t+1} − v_t,  v_L = 0  (the response ends: a terminal state)
 * A_t    = δ_t + γλ·A_{t+1},       A_L = 0
 * R_t    = A_t + v_t                        (the value head's targets)
 * whiten(x) = (x − μ)/√(σ² + 1e-8)  (+ μ again when shift_mean is false), μ and σ² over all the
 *             batch's tokens, σ² with Bessel's correction n/(n−1)
 * </pre>
 * The KL estimators are from J. Schulman, "Approximating KL Divergence"
 * (http://joschu.net/blog/kl-approx.html); GAE from Schulman et al. 2016, "High-Dimensional
 * Continuous Control Using Generalized Advantage Estimation" (arXiv:1506.02438), Eqs. 11–16.
 * Advantages are whitened over the batch, returns are not.
 *
 * <p>Based on the rollout half of {@code PPOTrainer.train} (trl/experimental/ppo/ppo_trainer.py,
 * steps 4–6) and {@code masked_whiten} / {@code masked_var} (trl/trainer/utils.py). What it is not:
 * the loss of the PPO epochs ({@link PpoLoss}), nor the rollout itself (generation, EOS handling,
 * {@code missing_eos_penalty}, which adjust the scores before they come here).
 *
 * <p>Deviations. TRL adds the score one position past the last response token when its padded
 * rectangle has room there (its {@code sequence_lengths_p1}, a padding artefact: that position's
 * value w is the value head's output on the first padding token), and on the last token only when
 * the response fills the rectangle. Here the score is always on the last response token t = L−1,
 * whose successor is terminal. TRL's {@code A_{L−1}} then exceeds ours by
 * {@code γ(1−λ)·w − (1−γλ)·score} (and each earlier {@code A_t} by {@code (γλ)^(L−1−t)} times that),
 * so the two agree when γ = λ = 1; TRL also trains the value head
 * on that padding position, and {@code whiten_rewards} includes it, where ours covers the response
 * tokens only. TRL's {@code objective/entropy} counts −1 for each padding token (its
 * {@code INVALID_LOGPROB}); ours sums over the response tokens only.
 */
public final class PpoAdvantages {
    private PpoAdvantages() {}

    /** PPOConfig's {@code kl_estimator}: how one sampled token estimates {@code KL(π ‖ π_ref)}. */
    public enum KlEstimator {
        /** {@code −logr = log π − log π_ref}: unbiased, high variance, may be negative. */
        K1,
        /** {@code (e^logr − 1) − logr}: unbiased, lower variance, never negative. */
        K3;

        /** TRL's name: {@code "k1"}, {@code "k3"}. */
        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The estimator TRL calls {@code name}.
         *
         * @throws IllegalArgumentException listing the valid names when there is no such estimator
         */
        public static KlEstimator of(String name) {
            for (KlEstimator e : values()) {
                if (e.trlName().equals(name)) return e;
            }
            throw new IllegalArgumentException("kl_estimator \"" + name + "\" is not a KL estimator; use one of "
                    + Arrays.stream(values()).map(KlEstimator::trlName).collect(Collectors.joining(", "))
                    + " (k2 is not offered, as in TRL)");
        }

        /** The estimate from one token's policy and reference log-probs, with {@code logr = refLogprob − logprob}. */
        public double estimate(double logprob, double refLogprob) {
            double logr = refLogprob - logprob;
            return switch (this) {
                case K1 -> -logr;
                case K3 -> Math.expm1(logr) - logr;
            };
        }
    }

    /**
     * The rollout settings under PPOConfig's names.
     *
     * @param klCoef        {@code kl_coef}, the weight of the per-token KL penalty in the reward
     * @param klEstimator   {@code kl_estimator}
     * @param gamma         {@code gamma}, γ, the discount, in [0, 1]
     * @param lam           {@code lam}, GAE's λ, in [0, 1]
     * @param whitenRewards {@code whiten_rewards}: whiten the rewards (keeping their mean) before GAE
     */
    public record Options(double klCoef, KlEstimator klEstimator, double gamma, double lam, boolean whitenRewards) {
        /** PPOConfig's defaults: kl_coef 0.05, kl_estimator k1, gamma 1, lam 0.95, whiten_rewards false. */
        public static final Options DEFAULT = new Options(0.05, KlEstimator.K1, 1.0, 0.95, false);

        public Options {
            if (!(klCoef >= 0) || !Double.isFinite(klCoef)) throw new IllegalArgumentException("kl_coef must be ≥ 0, got " + klCoef);
            if (klEstimator == null) throw new IllegalArgumentException("kl_estimator is required (k1 or k3)");
            if (!(gamma >= 0 && gamma <= 1)) throw new IllegalArgumentException("gamma must be in [0, 1], got " + gamma);
            if (!(lam >= 0 && lam <= 1)) throw new IllegalArgumentException("lam must be in [0, 1], got " + lam);
        }
    }

    /**
     * One rollout batch's advantages, ragged like the inputs ({@code [i][t]}).
     *
     * @param kl         the per-token KL estimates
     * @param rewards    the per-token rewards GAE used (whitened when {@code whiten_rewards})
     * @param advantages the whitened GAE advantages, the policy loss's A
     * @param returns    {@code A + v} before whitening, the value loss's targets
     * @param metrics    TRL's rollout metrics, means over the batch's responses: {@code objective/kl}
     *                   (Σ_t kl_t), {@code objective/entropy} (−Σ_t log π), {@code objective/non_score_reward}
     *                   (Σ_t −kl_coef·kl_t), {@code objective/scores} and {@code objective/rlhf_reward}
     *                   (non-score reward + score)
     */
    public record Rollout(double[][] kl, double[][] rewards, double[][] advantages, double[][] returns,
                          Map<String, Double> metrics) {}

    /**
     * A batch's GAE, ragged like its inputs.
     *
     * @param advantages A_t, not whitened
     * @param returns    R_t = A_t + v_t
     */
    public record Gae(double[][] advantages, double[][] returns) {}

    /**
     * Everything PPO computes between the rollout and its epochs, in TRL's order: KL, rewards,
     * optionally whitened rewards, GAE, whitened advantages.
     *
     * @param logprobs    [i][t] the policy's log-prob of each sampled response token at rollout time
     * @param refLogprobs [i][t] the reference model's
     * @param values      [i][t] the value head's value of each response position at rollout time
     * @param scores      [i] the reward model's score of each whole response
     */
    public static Rollout compute(Options o, float[][] logprobs, float[][] refLogprobs, float[][] values, double[] scores) {
        requireRagged("values", values, "logprobs", logprobs);
        double[][] kl = kl(o.klEstimator(), logprobs, refLogprobs);
        double[][] rewards = rewards(kl, o.klCoef(), scores);
        if (o.whitenRewards()) rewards = whiten(rewards, false);
        Gae gae = gae(rewards, values, o.gamma(), o.lam());
        double[][] advantages = whiten(gae.advantages(), true);

        int b = logprobs.length;
        double klSum = 0, entropy = 0, scoreSum = 0;
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < kl[i].length; t++) {
                klSum += kl[i][t];
                entropy -= logprobs[i][t];
            }
            scoreSum += scores[i];
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("objective/kl", klSum / b);
        metrics.put("objective/entropy", entropy / b);
        metrics.put("objective/non_score_reward", -o.klCoef() * klSum / b);
        metrics.put("objective/rlhf_reward", (-o.klCoef() * klSum + scoreSum) / b);
        metrics.put("objective/scores", scoreSum / b);
        return new Rollout(kl, rewards, advantages, gae.returns(), metrics);
    }

    /** [i][t] the per-token KL estimates of each response from the policy's and the reference's log-probs. */
    public static double[][] kl(KlEstimator estimator, float[][] logprobs, float[][] refLogprobs) {
        requireRagged("refLogprobs", refLogprobs, "logprobs", logprobs);
        double[][] kl = new double[logprobs.length][];
        for (int i = 0; i < logprobs.length; i++) {
            kl[i] = new double[logprobs[i].length];
            for (int t = 0; t < kl[i].length; t++) kl[i][t] = estimator.estimate(logprobs[i][t], refLogprobs[i][t]);
        }
        return kl;
    }

    /** [i][t] the per-token rewards {@code −klCoef·kl_t}, with response i's score added at its last token. */
    public static double[][] rewards(double[][] kl, double klCoef, double[] scores) {
        if (scores.length != kl.length) {
            throw new IllegalArgumentException("rewards: " + scores.length + " scores for " + kl.length
                    + " responses; give one score per response");
        }
        double[][] r = new double[kl.length][];
        for (int i = 0; i < kl.length; i++) {
            int len = kl[i].length;
            if (len == 0) {
                throw new IllegalArgumentException("rewards: response " + i + " has no tokens, so its score has no token to"
                        + " go on; drop empty responses from the rollout (or give each at least its EOS token)");
            }
            r[i] = new double[len];
            for (int t = 0; t < len; t++) r[i][t] = -klCoef * kl[i][t];
            r[i][len - 1] += scores[i];
        }
        return r;
    }

    /**
     * GAE over each response on its own, in double: the value after a response's last token is 0 (terminal).
     *
     * @param rewards [i][t] the per-token rewards
     * @param values  [i][t] the value head's values, same lengths
     * @param gamma   γ
     * @param lam     λ
     */
    public static Gae gae(double[][] rewards, float[][] values, double gamma, double lam) {
        if (values.length != rewards.length) {
            throw new IllegalArgumentException("gae: values has " + values.length + " responses, rewards " + rewards.length);
        }
        double[][] advantages = new double[rewards.length][], returns = new double[rewards.length][];
        for (int i = 0; i < rewards.length; i++) {
            int len = rewards[i].length;
            if (values[i].length != len) {
                throw new IllegalArgumentException("gae: response " + i + " has " + len + " rewards but " + values[i].length
                        + " values; give one value per response token");
            }
            double[] a = new double[len], ret = new double[len];
            double nextValue = 0, nextAdvantage = 0; // v_L = 0, A_L = 0
            for (int t = len - 1; t >= 0; t--) {
                double v = values[i][t];
                double delta = rewards[i][t] + gamma * nextValue - v;
                a[t] = delta + gamma * lam * nextAdvantage;
                ret[t] = a[t] + v;
                nextValue = v;
                nextAdvantage = a[t];
            }
            advantages[i] = a;
            returns[i] = ret;
        }
        return new Gae(advantages, returns);
    }

    /**
     * [i][t] the values whitened over all the batch's tokens (TRL's {@code masked_whiten}):
     * {@code (x − μ)/√(σ² + 1e-8)}, plus μ again when {@code shiftMean} is false, with the
     * Bessel-corrected variance {@code σ² = Σ(x − μ)²/(n − 1)}.
     *
     * @throws IllegalArgumentException when the batch has fewer than 2 tokens
     */
    public static double[][] whiten(double[][] x, boolean shiftMean) {
        long n = 0;
        double sum = 0;
        for (double[] row : x) {
            n += row.length;
            for (double v : row) sum += v;
        }
        if (n < 2) {
            throw new IllegalArgumentException("whiten: the batch has " + n + " token" + (n == 1 ? "" : "s") + " over " + x.length
                    + " responses; whitening needs at least 2 (the variance's Bessel correction n/(n−1) divides by zero at 1)."
                    + " Use a larger rollout batch (per_device_train_batch_size, gradient_accumulation_steps) or longer responses");
        }
        double mean = sum / n;
        double squares = 0;
        for (double[] row : x) {
            for (double v : row) squares += (v - mean) * (v - mean);
        }
        double variance = squares / n * ((double) n / (n - 1));
        double scale = 1 / Math.sqrt(variance + 1e-8);
        double shift = shiftMean ? 0 : mean;
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[x[i].length];
            for (int t = 0; t < x[i].length; t++) out[i][t] = (x[i][t] - mean) * scale + shift;
        }
        return out;
    }

    /** (N) the responses' tokens one after another, as float: the flat form {@link PpoLoss} takes. */
    public static float[] flatten(double[][] perResponse) {
        int n = 0;
        for (double[] row : perResponse) n += row.length;
        float[] flat = new float[n];
        int k = 0;
        for (double[] row : perResponse) {
            for (double v : row) flat[k++] = (float) v;
        }
        return flat;
    }

    private static void requireRagged(String name, float[][] x, String likeName, float[][] like) {
        if (x.length != like.length) {
            throw new IllegalArgumentException(name + " has " + x.length + " responses, " + likeName + " " + like.length
                    + "; give one array per response");
        }
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != like[i].length) {
                throw new IllegalArgumentException(name + "[" + i + "] has " + x[i].length + " tokens, " + likeName + "[" + i
                        + "] " + like[i].length + "; give one value per response token");
            }
        }
    }
}
