package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Mask;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * GRPO's loss on one micro-batch of completions, in each of TRL's loss types, as a pure function
 * built from tensor ops for backward, with TRL's metrics; and the two token masks that feed it
 * ({@code mask_truncated_completions}, {@code top_entropy_quantile}).
 *
 * <p>The micro-batch holds B completions, ragged: their N tokens one completion after another,
 * completion i of length L_i (Σ L_i = N), no padding. Per token t of completion i, with A_i the
 * completion's advantage ({@link GrpoAdvantages}), m_t the completion mask, h_t the high-entropy
 * mask, ε_low = epsilon, ε_high = epsilon_high and sg(·) a stop-gradient:
 * <pre>
 * log r_t = log π(y_t) − log π_old(y_t)
 * log w_t = log r_t                                              importance_sampling_level "token"
 *         = Σ_{s∈i} m_s·log r_s / max(Σ_{s∈i} m_s, 1)               "sequence" (GSPO): one value per completion
 * c1_t    = exp(log w_t),  c2_t = clamp(c1_t, 1 − ε_low, 1 + ε_high)
 * ℓ_t     = −min(c1_t·A_i, c2_t·A_i)                               grpo, bnpo, dr_grpo, dapo
 *         = −sg(min(c1_t, ε_high))·A_i·log π(y_t)                   cispo
 * ℓ_t     ← h_t·ℓ_t                                                top_entropy_quantile &lt; 1
 * kl_t    = exp(log π_ref − log π) − (log π_ref − log π) − 1        (k3)
 * ℓ_t     ← ℓ_t + β·kl_t                                           β ≠ 0
 * loss    = (1/B)·Σ_i Σ_{t∈i} m_t·ℓ_t / max(Σ_{t∈i} m_t, 1)        grpo
 *         = Σ_t m_t·ℓ_t / max(Σ_t m_t, 1)                          bnpo
 *         = Σ_t m_t·ℓ_t / (B·max_completion_length)                dr_grpo
 *         = Σ_t m_t·ℓ_t / max(normalizer, 1)                       dapo, cispo
 * </pre>
 * Sources. The clipped surrogate with a group baseline and the k3 KL term is GRPO, Shao et al.
 * 2024, "DeepSeekMath" (arXiv:2402.03300), Eqs. 3–4, whose per-sequence length mean is
 * {@code grpo}. Decoupled ε_low/ε_high ("Clip-Higher") and the token-level sum over the whole
 * batch ({@code dapo}) are DAPO, Yu et al. 2025 (arXiv:2503.14476), §3.1 and §3.3; {@code dr_grpo}'s
 * constant normaliser is Dr. GRPO, Liu et al. 2025 (arXiv:2503.20783), §3; {@code bnpo} is TRL's
 * token mean over the micro-batch. The sequence-level ratio, the geometric mean of the token
 * ratios, is GSPO, Zheng et al. 2025, "Group Sequence Policy Optimization" (arXiv:2507.18071).
 * CISPO, MiniMax 2025, "MiniMax-M1" (arXiv:2506.13585), §3.1, clips the importance weight itself
 * and keeps it as a constant coefficient of REINFORCE's {@code A·log π}, so no token loses its
 * gradient; under cispo {@code epsilon_high} is that cap ε_max itself (TRL recommends 5.0, after
 * ScaleRL), not an offset from 1. The high-entropy mask is the 80/20 rule of Wang et al. 2025,
 * "Beyond the 80/20 Rule" (arXiv:2506.01939). Min and clamp back-propagate as {@code torch.min(a, b)}
 * (to the smaller, halved to each at a tie) and {@code torch.clamp} (the gradient passes within the
 * bounds, bounds included), so d loss/d log π(y_t) is {@code −A·c1} times the token's share of the
 * normaliser inside the clip range, and 0 outside it on the side that would improve the objective.
 *
 * <p>Normalisers. {@code grpo}, {@code bnpo} and {@code dr_grpo} are TRL's values before its
 * division by the gradient-accumulation steps (the loop's business). {@code dapo} and {@code cispo}
 * divide by {@link Inputs#normalizer()}: TRL's {@code num_items_in_batch}, the number of completion
 * tokens in the whole generation batch (every micro-batch of the accumulation, every process), as
 * generated — truncated completions included even under {@code mask_truncated_completions}. TRL
 * divides it by the number of processes, since data-parallel training averages the processes'
 * gradients; on one process pass the count itself. Then the micro-batches' losses add up over the
 * step to the generation batch's token mean, whatever the accumulation.
 *
 * <p>Metrics under TRL's names, as one process logs them for its micro-batch: {@code kl} (β ≠ 0:
 * the mean of kl_t over the masked-in tokens); for the clipped losses {@code clip_ratio/low_mean}
 * (the fraction with {@code c1 < 1 − ε_low} and A &lt; 0), {@code clip_ratio/high_mean}
 * ({@code c1 > 1 + ε_high} and A &gt; 0) and {@code clip_ratio/region_mean} (either); for cispo
 * {@code cispo_clip_ratio} ({@code c1 > ε_high} and A &gt; 0). The fractions are over the masked-in
 * tokens at the token level and over all B completions at the sequence level (TRL's
 * {@code (B, 1)} ratio). TRL's {@code entropy} needs the logits and is the trainer's.
 *
 * <p>Based on {@code GRPOTrainer._compute_loss} and {@code get_high_entropy_mask}
 * (trl/trainer/grpo_trainer.py, TRL 1.x; the truncation mask from
 * {@code _generate_and_score_completions}). What it is not: the advantages ({@link GrpoAdvantages}),
 * the log-probs (the temperature-scaled, gathered log-softmax of the policy's logits), the
 * entropies, or the trainer. Not offered: {@code delta} (INTELLECT-2's two-sided clip),
 * {@code sapo}, {@code luspo}, {@code vespo}, {@code off_policy_mask_threshold},
 * {@code use_bias_correction_kl}, vLLM importance-sampling correction, Liger. Deviations: masked
 * tokens are dropped with a select, not multiplied by 0, and their old and reference log-probs are
 * not read, so a non-finite value there reaches neither the loss nor its gradient (TRL's
 * {@code 0·inf} gives NaN); tokens the entropy mask drops are selected away likewise; the entropy
 * quantile is interpolated in double (torch in float32).
 */
public final class GrpoLoss {
    private GrpoLoss() {}

    /** GRPOConfig's {@code loss_type}: the per-token loss and how it is aggregated (class comment). */
    public enum LossType {
        /** Each completion's token mean, averaged over completions: DeepSeekMath (arXiv:2402.03300), Eq. 3. */
        GRPO,
        /** The token mean over the micro-batch (TRL's batch-normalised variant). */
        BNPO,
        /** The token sum over B × max_completion_length: Dr. GRPO (arXiv:2503.20783). */
        DR_GRPO,
        /** The token sum over the generation batch's token count: DAPO (arXiv:2503.14476), §3.3. TRL's default. */
        DAPO,
        /** Clipped importance weights on REINFORCE, aggregated as dapo: MiniMax-M1 (arXiv:2506.13585), §3.1. */
        CISPO;

        /** TRL's name: {@code "grpo"}, {@code "dr_grpo"}, … */
        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The loss type TRL calls {@code name}.
         *
         * @throws IllegalArgumentException listing the valid names when there is no such type
         */
        public static LossType of(String name) {
            for (LossType t : values()) {
                if (t.trlName().equals(name)) return t;
            }
            throw new IllegalArgumentException("loss_type \"" + name + "\" is not a GRPO loss type; use one of "
                    + Arrays.stream(values()).map(LossType::trlName).collect(Collectors.joining(", ")));
        }

        /** Whether the loss divides by {@link Inputs#normalizer()} (TRL's {@code num_items_in_batch}). */
        public boolean usesNormalizer() {
            return this == DAPO || this == CISPO;
        }
    }

    /** GRPOConfig's {@code importance_sampling_level}: the ratio per token, or one per completion (GSPO). */
    public enum ImportanceSamplingLevel {
        TOKEN,
        /** GSPO (arXiv:2507.18071): the exponent of the completion's mean log-ratio, for all its tokens. */
        SEQUENCE;

        /** TRL's name: {@code "token"}, {@code "sequence"}. */
        public String trlName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The level TRL calls {@code name}.
         *
         * @throws IllegalArgumentException listing the valid names when there is no such level
         */
        public static ImportanceSamplingLevel of(String name) {
            for (ImportanceSamplingLevel l : values()) {
                if (l.trlName().equals(name)) return l;
            }
            throw new IllegalArgumentException("importance_sampling_level \"" + name + "\" is not a level; use one of "
                    + Arrays.stream(values()).map(ImportanceSamplingLevel::trlName).collect(Collectors.joining(", ")));
        }
    }

    /**
     * The loss's settings under GRPOConfig's names.
     *
     * @param lossType                {@code loss_type}
     * @param beta                    β, {@code beta}: the weight of the k3 KL term; 0 needs no reference model
     * @param epsilon                 ε_low, {@code epsilon}
     * @param epsilonHigh             ε_high, {@code epsilon_high} (TRL: {@code epsilon} when unset); under
     *                                cispo the cap ε_max on the importance weight itself
     * @param importanceSamplingLevel {@code importance_sampling_level}
     * @param maxCompletionLength     {@code max_completion_length}, dr_grpo's per-completion normaliser
     */
    public record Options(LossType lossType, double beta, double epsilon, double epsilonHigh,
                          ImportanceSamplingLevel importanceSamplingLevel, int maxCompletionLength) {
        /**
         * GRPOConfig's defaults: loss_type dapo, beta 0, epsilon 0.2, epsilon_high unset (0.2),
         * importance_sampling_level token, max_completion_length 256.
         */
        public static final Options DEFAULT = new Options(LossType.DAPO, 0.0, 0.2, 0.2, ImportanceSamplingLevel.TOKEN, 256);

        public Options {
            if (lossType == null) throw new IllegalArgumentException("loss_type is required (grpo, bnpo, dr_grpo, dapo or cispo)");
            if (importanceSamplingLevel == null) {
                throw new IllegalArgumentException("importance_sampling_level is required (token or sequence)");
            }
            if (!(beta >= 0) || !Double.isFinite(beta)) throw new IllegalArgumentException("beta must be ≥ 0, got " + beta);
            if (!(epsilon >= 0) || !Double.isFinite(epsilon)) throw new IllegalArgumentException("epsilon must be ≥ 0, got " + epsilon);
            if (!(epsilonHigh >= 0) || !Double.isFinite(epsilonHigh)) {
                throw new IllegalArgumentException("epsilon_high must be ≥ 0, got " + epsilonHigh);
            }
            if (maxCompletionLength < 1) {
                throw new IllegalArgumentException("max_completion_length must be ≥ 1, got " + maxCompletionLength);
            }
        }

        public Options withLossType(LossType t) {
            return new Options(t, beta, epsilon, epsilonHigh, importanceSamplingLevel, maxCompletionLength);
        }

        public Options withBeta(double b) {
            return new Options(lossType, b, epsilon, epsilonHigh, importanceSamplingLevel, maxCompletionLength);
        }

        /** ε_low = ε_high = {@code e}: TRL's {@code epsilon} with {@code epsilon_high} unset. */
        public Options withEpsilon(double e) {
            return withEpsilon(e, e);
        }

        public Options withEpsilon(double low, double high) {
            return new Options(lossType, beta, low, high, importanceSamplingLevel, maxCompletionLength);
        }

        public Options withImportanceSamplingLevel(ImportanceSamplingLevel l) {
            return new Options(lossType, beta, epsilon, epsilonHigh, l, maxCompletionLength);
        }

        public Options withMaxCompletionLength(int l) {
            return new Options(lossType, beta, epsilon, epsilonHigh, importanceSamplingLevel, l);
        }
    }

    /**
     * One micro-batch: B completions, N tokens one completion after another.
     *
     * @param logprobs    (N) the policy's log-probs of the completion tokens now, recorded for backward
     * @param oldLogprobs (N) the same at generation time, or null: the policy has not changed since
     *                    (num_iterations 1 and no stale round), and TRL then takes the current ones
     *                    detached, making every ratio exactly 1
     * @param refLogprobs (N) the reference model's, or null; required when β ≠ 0, ignored when β = 0
     * @param advantages  (B) each completion's advantage ({@link GrpoAdvantages.Result#advantages()})
     * @param lengths     (B) each completion's token count L_i, Σ L_i = N
     * @param mask        (N) the completion mask m (false drops a token from the loss and its
     *                    normalisers; see {@link #maskTruncatedCompletions}), or null for all tokens
     * @param entropyMask (N) the high-entropy mask h ({@link #highEntropyMask}), or null for none
     *                    (top_entropy_quantile 1): false zeroes a token's policy term, not its KL
     *                    term, and it still counts in the normalisers
     * @param normalizer  dapo's and cispo's divisor, TRL's {@code num_items_in_batch}: the completion
     *                    tokens of the whole generation batch (class comment); ignored by the others
     */
    public record Inputs(Tensor logprobs, float[] oldLogprobs, float[] refLogprobs, double[] advantages,
                         int[] lengths, boolean[] mask, boolean[] entropyMask, double normalizer) {
        public Inputs {
            if (logprobs == null || logprobs.rank() != 1) {
                throw new IllegalArgumentException("GrpoLoss: logprobs is " + (logprobs == null ? "null" : logprobs.describe())
                        + "; it must be an (N) vector of the micro-batch's completion tokens, one completion after another");
            }
            if (lengths == null || lengths.length == 0) {
                throw new IllegalArgumentException("GrpoLoss: lengths must give each completion's token count, B ≥ 1");
            }
            int n = logprobs.dim(0);
            long total = 0;
            for (int i = 0; i < lengths.length; i++) {
                if (lengths[i] < 0) {
                    throw new IllegalArgumentException("GrpoLoss: lengths[" + i + "] is " + lengths[i] + "; a length is ≥ 0");
                }
                total += lengths[i];
            }
            if (total != n) {
                throw new IllegalArgumentException("GrpoLoss: lengths " + Arrays.toString(lengths) + " add up to " + total
                        + " tokens, logprobs has " + n + "; give one length per completion, in the order of its tokens");
            }
            if (advantages == null || advantages.length != lengths.length) {
                throw new IllegalArgumentException("GrpoLoss: advantages has " + (advantages == null ? "no" : advantages.length)
                        + " values for " + lengths.length + " completions; give one advantage per completion");
            }
            for (int i = 0; i < advantages.length; i++) {
                if (!Double.isFinite(advantages[i])) {
                    throw new IllegalArgumentException("GrpoLoss: advantages[" + i + "] is " + advantages[i]
                            + "; an advantage must be finite (GrpoAdvantages gives finite ones for finite rewards)");
                }
            }
            requireTokens("oldLogprobs", oldLogprobs == null ? -1 : oldLogprobs.length, n);
            requireTokens("refLogprobs", refLogprobs == null ? -1 : refLogprobs.length, n);
            requireTokens("mask", mask == null ? -1 : mask.length, n);
            requireTokens("entropyMask", entropyMask == null ? -1 : entropyMask.length, n);
        }

        /** A micro-batch with no old or reference log-probs, no masks and no normaliser. */
        public static Inputs of(Tensor logprobs, double[] advantages, int[] lengths) {
            return new Inputs(logprobs, null, null, advantages, lengths, null, null, 0);
        }

        public Inputs withOldLogprobs(float[] old) {
            return new Inputs(logprobs, old, refLogprobs, advantages, lengths, mask, entropyMask, normalizer);
        }

        public Inputs withRefLogprobs(float[] ref) {
            return new Inputs(logprobs, oldLogprobs, ref, advantages, lengths, mask, entropyMask, normalizer);
        }

        public Inputs withMask(boolean[] m) {
            return new Inputs(logprobs, oldLogprobs, refLogprobs, advantages, lengths, m, entropyMask, normalizer);
        }

        public Inputs withEntropyMask(boolean[] h) {
            return new Inputs(logprobs, oldLogprobs, refLogprobs, advantages, lengths, mask, h, normalizer);
        }

        public Inputs withNormalizer(double z) {
            return new Inputs(logprobs, oldLogprobs, refLogprobs, advantages, lengths, mask, entropyMask, z);
        }

        private static void requireTokens(String name, int length, int n) {
            if (length >= 0 && length != n) {
                throw new IllegalArgumentException("GrpoLoss: " + name + " has " + length + " values, logprobs " + n
                        + "; give one per completion token of the micro-batch, in the same order");
            }
        }
    }

    /**
     * @param loss    () the micro-batch's loss, recorded for backward
     * @param metrics the metrics of the class comment
     */
    public record Result(Tensor loss, Map<String, Double> metrics) {}

    /** The loss of one micro-batch (the equations of the class comment). */
    public static Result compute(Options o, Inputs in) {
        Tensor logp = in.logprobs();                                    // (N)
        int n = logp.dim(0), b = in.lengths().length;
        int[] lengths = in.lengths();
        boolean[] m = in.mask() != null ? in.mask() : all(n);
        if (o.beta() != 0 && in.refLogprobs() == null) {
            throw new IllegalArgumentException("GrpoLoss: beta " + o.beta() + " needs the reference model's log-probs"
                    + " (refLogprobs); compute them at generation time, or set beta 0 for no KL term");
        }
        if (o.lossType().usesNormalizer() && !(in.normalizer() > 0 && Double.isFinite(in.normalizer()))) {
            throw new IllegalArgumentException("GrpoLoss: loss_type " + o.lossType().trlName() + " divides by the completion tokens"
                    + " of the whole generation batch (TRL's num_items_in_batch), but normalizer is " + in.normalizer()
                    + "; pass that count (divided by the number of processes when data-parallel)");
        }
        if (o.lossType() == LossType.DR_GRPO) {
            for (int i = 0; i < b; i++) {
                if (lengths[i] > o.maxCompletionLength()) {
                    throw new IllegalArgumentException("GrpoLoss: completion " + i + " has " + lengths[i] + " tokens, more than"
                            + " max_completion_length " + o.maxCompletionLength() + ", the per-completion normaliser of dr_grpo;"
                            + " set max_completion_length to the generation limit");
                }
            }
        }
        int[] completionOf = new int[n];                                // token → its completion
        double[] active = new double[b];                                // Σ_{t∈i} m_t
        for (int i = 0, t = 0; i < b; i++) {
            for (int k = 0; k < lengths[i]; k++, t++) {
                completionOf[t] = i;
                if (m[t]) active[i]++;
            }
        }
        float[] adv = new float[n];                                     // A_i on each of its tokens
        for (int t = 0; t < n; t++) adv[t] = (float) in.advantages()[completionOf[t]];

        // Masked-out tokens read the current log-probs as old and reference ones (ratio 1, KL 0):
        // whatever those arrays hold there never reaches the loss or its gradient.
        float[] now = logp.toArray();
        float[] old = in.oldLogprobs() != null ? in.oldLogprobs().clone() : now.clone();
        float[] ref = in.refLogprobs() != null ? in.refLogprobs().clone() : null;
        for (int t = 0; t < n; t++) {
            if (m[t]) continue;
            old[t] = now[t];
            if (ref != null) ref[t] = now[t];
        }

        // Importance weights: per token, or per completion broadcast to its tokens.
        Tensor logRatio = Elementwise.sub(logp, Tensor.of(old, n));     // (N)
        Tensor perCompletion = null;                                    // (B) GSPO's log w_i
        Tensor logW = logRatio;                                         // (N)
        if (o.importanceSamplingLevel() == ImportanceSamplingLevel.SEQUENCE) {
            perCompletion = completionMeans(logRatio, lengths, completionOf, m, active);
            logW = ShapeOps.indexSelect(perCompletion, 0, completionOf);
        }
        Tensor coef1 = Elementwise.exp(logW);                           // (N)
        float[] c1 = coef1.toArray();

        Tensor perToken = switch (o.lossType()) {                       // (N)
            case GRPO, BNPO, DR_GRPO, DAPO -> {
                float[] negA = new float[n];
                for (int t = 0; t < n; t++) negA[t] = -adv[t];
                Tensor minusA = Tensor.of(negA, n);
                Tensor coef2 = Elementwise.clamp(coef1, (float) (1 - o.epsilon()), (float) (1 + o.epsilonHigh())); // (N)
                // −min(c1·A, c2·A) = max(−A·c1, −A·c2)
                yield maximum(Elementwise.mul(minusA, coef1), Elementwise.mul(minusA, coef2));
            }
            case CISPO -> {
                float cap = (float) o.epsilonHigh();
                float[] w = new float[n];                               // −sg(min(c1, ε_high))·A
                for (int t = 0; t < n; t++) w[t] = -Math.min(c1[t], cap) * adv[t];
                yield Elementwise.mul(Tensor.of(w, n), logp);
            }
        };
        Tensor zeros = Tensor.zeros(n);
        if (in.entropyMask() != null) perToken = Elementwise.where(Mask.of(in.entropyMask(), n), perToken, zeros);
        Tensor kl = null;                                               // (N)
        if (o.beta() != 0) {
            Tensor d = Elementwise.sub(Tensor.of(ref, n), logp);        // log π_ref − log π
            kl = Elementwise.addScalar(Elementwise.sub(Elementwise.exp(d), d), -1f);
            perToken = Elementwise.add(perToken, Elementwise.mulScalar(kl, (float) o.beta()));
        }

        // Aggregation: Σ_t m_t·ℓ_t·weight_t, the weight the loss type's normaliser.
        double masked = 0;
        for (double a : active) masked += a;
        float[] weight = new float[n];                                  // (N)
        for (int t = 0; t < n; t++) {
            double z = switch (o.lossType()) {
                case GRPO -> b * Math.max(active[completionOf[t]], 1);
                case BNPO -> Math.max(masked, 1);
                case DR_GRPO -> (double) b * o.maxCompletionLength();
                case DAPO, CISPO -> Math.max(in.normalizer(), 1);
            };
            weight[t] = (float) (1 / z);
        }
        Tensor kept = Elementwise.where(Mask.of(m, n), perToken, zeros);
        Tensor loss = Reductions.sum(Elementwise.mul(kept, Tensor.of(weight, n)));

        Map<String, Double> metrics = new LinkedHashMap<>();
        if (kl != null) metrics.put("kl", maskedMean(kl.toArray(), m));
        boolean sequence = perCompletion != null;
        float[] ratios = sequence ? Elementwise.exp(perCompletion).toArray() : c1; // (B) or (N)
        float[] advantages = sequence ? floats(in.advantages()) : adv;
        boolean[] over = sequence ? all(b) : m;
        if (o.lossType() == LossType.CISPO) {
            float cap = (float) o.epsilonHigh();
            metrics.put("cispo_clip_ratio", fraction(over, k -> ratios[k] > cap && advantages[k] > 0));
        } else {
            float low = (float) (1 - o.epsilon()), high = (float) (1 + o.epsilonHigh());
            metrics.put("clip_ratio/low_mean", fraction(over, k -> ratios[k] < low && advantages[k] < 0));
            metrics.put("clip_ratio/high_mean", fraction(over, k -> ratios[k] > high && advantages[k] > 0));
            metrics.put("clip_ratio/region_mean", fraction(over,
                    k -> ratios[k] < low && advantages[k] < 0 || ratios[k] > high && advantages[k] > 0));
        }
        return new Result(loss, metrics);
    }

    /**
     * (N) TRL's {@code mask_truncated_completions}: false on every token of a truncated completion
     * (one that hit {@code max_completion_length} without EOS), true elsewhere.
     *
     * @param lengths   (B) each completion's token count
     * @param truncated (B) whether it was truncated
     */
    public static boolean[] maskTruncatedCompletions(int[] lengths, boolean[] truncated) {
        if (truncated.length != lengths.length) {
            throw new IllegalArgumentException("maskTruncatedCompletions: " + truncated.length + " truncation flags for "
                    + lengths.length + " completions; give one per completion");
        }
        int n = 0;
        for (int len : lengths) n += len;
        boolean[] mask = new boolean[n];
        for (int i = 0, t = 0; i < lengths.length; t += lengths[i], i++) {
            Arrays.fill(mask, t, t + lengths[i], !truncated[i]);
        }
        return mask;
    }

    /**
     * (N) TRL's {@code get_high_entropy_mask} for {@code top_entropy_quantile} ρ: true on the masked-in
     * tokens whose entropy is at least the (1 − ρ)-quantile of the masked-in tokens' entropies
     * ({@code torch.quantile}'s linear interpolation), false elsewhere. ρ = 1 keeps every masked-in
     * token, ρ = 0 only the highest-entropy one(s); the paper recommends 0.2. TRL takes the quantile
     * over the micro-batch's tokens gathered from every process; pass those tokens here.
     *
     * @param entropies          (N) the entropy of the policy's distribution at each completion token
     * @param mask               (N) the completion mask, or null for all tokens
     * @param topEntropyQuantile ρ in [0, 1]
     */
    public static boolean[] highEntropyMask(float[] entropies, boolean[] mask, double topEntropyQuantile) {
        if (!(topEntropyQuantile >= 0 && topEntropyQuantile <= 1)) {
            throw new IllegalArgumentException("top_entropy_quantile must be in [0, 1], got " + topEntropyQuantile);
        }
        int n = entropies.length;
        boolean[] m = mask != null ? mask : all(n);
        if (m.length != n) {
            throw new IllegalArgumentException("highEntropyMask: mask has " + m.length + " values, entropies " + n
                    + "; give one per completion token");
        }
        double[] kept = new double[n];
        int count = 0;
        for (int t = 0; t < n; t++) if (m[t]) kept[count++] = entropies[t];
        boolean[] high = new boolean[n];
        if (count == 0) return high;
        Arrays.sort(kept, 0, count);
        double position = (1 - topEntropyQuantile) * (count - 1);
        int below = (int) Math.floor(position), above = (int) Math.ceil(position);
        double threshold = kept[below] + (kept[above] - kept[below]) * (position - below);
        for (int t = 0; t < n; t++) high[t] = m[t] && entropies[t] >= threshold;
        return high;
    }

    /** (B) Σ_{t∈i} m_t·x_t / max(Σ_{t∈i} m_t, 1), recorded for backward. */
    private static Tensor completionMeans(Tensor x, int[] lengths, int[] completionOf, boolean[] m, double[] active) {
        int n = x.dim(0);
        float[] scale = new float[n];
        for (int t = 0; t < n; t++) scale[t] = m[t] ? (float) (1 / Math.max(active[completionOf[t]], 1)) : 0f;
        Tensor scaled = Elementwise.mul(Elementwise.where(Mask.of(m, n), x, Tensor.zeros(n)), Tensor.of(scale, n)); // (N)
        List<Tensor> means = new ArrayList<>(lengths.length);
        for (int i = 0, t = 0; i < lengths.length; t += lengths[i], i++) {
            means.add(Reductions.sum(ShapeOps.slice(scaled, 0, t, t + lengths[i])).view(1));
        }
        return ShapeOps.concat(means, 0);
    }

    /**
     * (N) the elementwise maximum, back-propagating as {@code torch.max(a, b)}: to the larger
     * operand, and half to each where they are equal. NaN propagates.
     */
    private static Tensor maximum(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        int n = x.length;
        Tensor tie = Elementwise.mulScalar(Elementwise.add(a, b), 0.5f); // equals a (and b) where they tie
        return Elementwise.where(Mask.of(i -> x[i] > y[i], n), a, Elementwise.where(Mask.of(i -> x[i] < y[i], n), b, tie));
    }

    /** Σ m·x / max(Σ m, 1). */
    private static double maskedMean(float[] x, boolean[] m) {
        double s = 0;
        int count = 0;
        for (int t = 0; t < x.length; t++) {
            if (m[t]) {
                s += x[t];
                count++;
            }
        }
        return s / Math.max(count, 1);
    }

    /** The fraction of the included positions where {@code test} holds; 0 when none is included. */
    private static double fraction(boolean[] included, java.util.function.IntPredicate test) {
        int count = 0, hits = 0;
        for (int k = 0; k < included.length; k++) {
            if (!included[k]) continue;
            count++;
            if (test.test(k)) hits++;
        }
        return (double) hits / Math.max(count, 1);
    }

    private static boolean[] all(int n) {
        boolean[] m = new boolean[n];
        Arrays.fill(m, true);
        return m;
    }

    private static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
