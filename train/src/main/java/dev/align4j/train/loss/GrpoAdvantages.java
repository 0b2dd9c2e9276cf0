package dev.align4j.train.loss;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * GRPO's group-relative advantages: each completion's reward against the other completions of its
 * prompt, as a pure function of plain arrays (no autograd: the advantages are constants of the
 * loss that follows, {@link GrpoLoss}).
 *
 * <p>A generation batch holds groups of {@code num_generations} = G consecutive completions, one
 * group per prompt. With r_i the total (weighted) reward of completion i and g(i) its group:
 * <pre>
 * μ_g     = (1/G)·Σ_{i∈g} r_i
 * σ_g     = √(Σ_{i∈g} (r_i − μ_g)² / (G − 1))        (torch.std, Bessel-corrected; 0 when G = 1)
 * σ_batch = √(Σ_i (r_i − μ)² / (n − 1)), μ = (1/n)·Σ_i r_i   (0 when n = 1)
 * A_i     = (r_i − μ_g(i)) / (σ_g(i) + 1e-4)         scale_rewards "group"
 *         = (r_i − μ_g(i)) / (σ_batch + 1e-4)        scale_rewards "batch": the group mean, the batch std
 *         =  r_i − μ_g(i)                            scale_rewards "none"
 * </pre>
 * The group-normalised advantage is GRPO's outcome supervision, Shao et al. 2024, "DeepSeekMath:
 * Pushing the Limits of Mathematical Reasoning in Open Language Models" (arXiv:2402.03300), §4.1.2:
 * {@code Â_i = (r_i − mean(r))/std(r)}, with TRL's 1e-4 against a zero std. "none" is Dr. GRPO, Liu
 * et al. 2025, "Understanding R1-Zero-Like Training: A Critical Perspective" (arXiv:2503.20783),
 * which drops the std as a question-level difficulty bias; "batch" is the batch-std scaling of
 * Liu et al. 2025, "Part I: Tricks or Traps? A Deep Dive into RL for LLM Reasoning"
 * (arXiv:2508.08221, TRL's "PPO Lite"). A group whose rewards are all equal has σ_g = 0 and
 * advantages exactly 0: it teaches nothing (with beta 0 its tokens get no gradient).
 *
 * <p>Metrics under TRL's names: {@code reward} (the mean reward), {@code reward_std} (the
 * Bessel-corrected std of the rewards over the whole batch) and {@code frac_reward_zero_std} (the
 * fraction of completions whose scaling std — σ_g for "group" and "none", σ_batch for "batch" — is
 * zero by {@code torch.isclose(σ, 0)}, i.e. ≤ 1e-8; for "group" and "none" that is the fraction of
 * groups whose rewards are all equal).
 *
 * <p>Based on {@code GRPOTrainer._generate_and_score_completions} (trl/trainer/grpo_trainer.py,
 * TRL 1.x, {@code multi_objective_aggregation="sum_then_normalize"}). What it is not: the reward
 * functions, their weighting and TRL's {@code nansum} over them (the caller hands in each
 * completion's total), nor {@code normalize_then_sum} (GDPO) or the experimental
 * {@code scale_rewards="mean"}. Deviations: the arithmetic is in double (TRL's in float32). Earlier
 * TRL (0.20) logged {@code reward_std} as the mean of the per-group stds; TRL 1.x logs the batch
 * std, as here; TRL 1.x logs {@code reward} as the mean of the unweighted sum of the reward functions,
 * here it is the mean of the totals given (equal when every reward weight is 1);
 * {@code reward_std} of a single reward is 0 here (torch gives NaN).
 */
public final class GrpoAdvantages {
    private GrpoAdvantages() {}

    /** TRL's 1e-4 added to the std before dividing. */
    static final double STD_EPS = 1e-4;
    /** {@code torch.isclose(σ, 0)}: {@code |σ| ≤ atol + rtol·0} with atol 1e-8. */
    static final double ZERO_STD_ATOL = 1e-8;

    /** GRPOConfig's {@code scale_rewards}: what the centred rewards are divided by. */
    public enum ScaleRewards {
        /** The std of the completion's group (GRPO). */
        GROUP,
        /** The std of the whole batch (arXiv:2508.08221). */
        BATCH,
        /** Nothing (Dr. GRPO). */
        NONE;

        /** TRL's name: {@code "group"}, {@code "batch"}, {@code "none"}. */
        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The scaling TRL calls {@code name}; {@code "true"} and {@code "false"} are TRL's boolean
         * spellings of {@code "group"} and {@code "none"}.
         *
         * @throws IllegalArgumentException listing the valid names when there is no such scaling
         */
        public static ScaleRewards of(String name) {
            if ("true".equals(name)) return GROUP;
            if ("false".equals(name)) return NONE;
            for (ScaleRewards s : values()) {
                if (s.trlName().equals(name)) return s;
            }
            throw new IllegalArgumentException("scale_rewards \"" + name + "\" is not a reward scaling; use one of "
                    + Arrays.stream(values()).map(ScaleRewards::trlName).collect(Collectors.joining(", "))
                    + " (or true for group, false for none)");
        }
    }

    /**
     * One generation batch's advantages.
     *
     * @param advantages (n) A_i, one per completion, in the order of the rewards
     * @param metrics    {@code reward}, {@code reward_std}, {@code frac_reward_zero_std} (class comment)
     */
    public record Result(double[] advantages, Map<String, Double> metrics) {}

    /** {@link #compute(double[], int, ScaleRewards)} with the scaling by TRL's name. */
    public static Result compute(double[] rewards, int numGenerations, String scaleRewards) {
        return compute(rewards, numGenerations, ScaleRewards.of(scaleRewards));
    }

    /**
     * The advantages of a generation batch.
     *
     * @param rewards        (n) each completion's total reward, groups of {@code numGenerations}
     *                       consecutive completions of one prompt
     * @param numGenerations G, {@code num_generations}: completions per prompt
     * @param scale          {@code scale_rewards}
     * @throws IllegalArgumentException when the rewards are not whole groups, or one is not finite
     */
    public static Result compute(double[] rewards, int numGenerations, ScaleRewards scale) {
        if (scale == null) throw new IllegalArgumentException("GrpoAdvantages: scale_rewards is required (group, batch or none)");
        if (numGenerations < 1) {
            throw new IllegalArgumentException("GrpoAdvantages: num_generations must be ≥ 1, got " + numGenerations);
        }
        int n = rewards.length;
        if (n == 0 || n % numGenerations != 0) {
            throw new IllegalArgumentException("GrpoAdvantages: " + n + " rewards are not whole groups of num_generations "
                    + numGenerations + " (" + n + " = " + n / numGenerations + " × " + numGenerations + " + " + n % numGenerations
                    + "); give num_generations consecutive completions per prompt");
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(rewards[i])) {
                throw new IllegalArgumentException("GrpoAdvantages: rewards[" + i + "] is " + rewards[i] + "; each completion's"
                        + " total reward must be finite (TRL's nansum counts a reward function that returned None as 0)");
            }
        }
        int groups = n / numGenerations;
        double[] groupMean = new double[groups], groupStd = new double[groups];
        for (int g = 0; g < groups; g++) {
            int from = g * numGenerations;
            groupMean[g] = mean(rewards, from, numGenerations);
            groupStd[g] = std(rewards, from, numGenerations, groupMean[g]);
        }
        double batchMean = mean(rewards, 0, n), batchStd = std(rewards, 0, n, batchMean);

        double[] advantages = new double[n];
        int zeroStd = 0;
        for (int i = 0; i < n; i++) {
            int g = i / numGenerations;
            double centred = rewards[i] - groupMean[g];
            double std = scale == ScaleRewards.BATCH ? batchStd : groupStd[g];
            advantages[i] = switch (scale) {
                case GROUP, BATCH -> centred / (std + STD_EPS);
                case NONE -> centred;
            };
            if (Math.abs(std) <= ZERO_STD_ATOL) zeroStd++;
        }

        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("reward", batchMean);
        metrics.put("reward_std", batchStd);
        metrics.put("frac_reward_zero_std", (double) zeroStd / n);
        return new Result(advantages, metrics);
    }

    private static double mean(double[] x, int from, int count) {
        double s = 0;
        for (int i = from; i < from + count; i++) s += x[i];
        return s / count;
    }

    /** The Bessel-corrected std of {@code count} values around {@code mean}; 0 for a single value. */
    private static double std(double[] x, int from, int count, double mean) {
        if (count < 2) return 0;
        double squares = 0;
        for (int i = from; i < from + count; i++) squares += (x[i] - mean) * (x[i] - mean);
        return Math.sqrt(squares / (count - 1));
    }
}
