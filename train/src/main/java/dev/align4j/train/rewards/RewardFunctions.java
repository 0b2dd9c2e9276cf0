package dev.align4j.train.rewards;

import dev.align4j.train.JsonPost;
import dev.align4j.train.rewards.RewardFunction.Sample;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * GRPO's reward: every reward function scores every completion of a batch, and the reward of a
 * completion is the weighted sum of the scores that apply to it,
 * <pre>
 * total_j = Σ_i w_i · r_ij   over the functions i whose r_ij is not null
 * </pre>
 * (TRL's {@code (rewards_per_func * reward_weights).nansum(dim=1)}, with {@code None} → NaN).
 * A completion for which every function returns null gets total 0, as {@code nansum} gives; TRL
 * warns then, and so does {@link Result#warnings()}. Per function, {@link Result#mean} and
 * {@link Result#std} are TRL's {@code rewards/<name>/mean} ({@code nanmean}) and
 * {@code rewards/<name>/std} ({@code nanstd}, Bessel-corrected) over the batch's completions.
 *
 * <p>Based on {@code GRPOTrainer._calculate_rewards} and the reward part of
 * {@code _generate_and_score_completions} (trl/trainer/grpo_trainer.py), and the reward function
 * registry of trl/scripts/grpo.py ({@link #builtIn}).
 *
 * <p>Deviation (a project requirement, not TRL's): a function that throws, or returns NaN or an
 * infinite score, does not stop the run. The failing completion is reported (the function, the
 * prompt and the completion, abbreviated), counted in {@link Result#errorCount()}, and scored null
 * by that function; the other completions keep their scores. To find the completion to blame, a
 * function that throws on a batch is called again on each completion alone. A function that throws
 * {@link RewardUnavailableException} (a server down) is not: the whole batch gets null from it and
 * one error, counted once per completion. With {@code strict}, the first failure throws an
 * {@link IllegalStateException} naming the function, the prompt and the completion. A function
 * returning a list of the wrong size is a programming error and always throws.
 *
 * <p>What it is not: advantages (the group normalisation that follows), nor the reward model
 * function (it lives with the reward model classes and plugs in as any {@link RewardFunction}).
 * Functions run one after the other on the calling thread, in order.
 */
public final class RewardFunctions {

    /** The names {@link #builtIn} resolves ({@code http:<url>} stands for any URL). */
    public static final List<String> BUILT_IN_NAMES = List.of("accuracy_reward", "reasoning_accuracy_reward",
            "think_format_reward", "get_soft_overlong_punishment", "soft_overlong_punishment", "http:<url>");

    private final List<RewardFunction> functions;
    private final double[] weights; // (F,)
    private final boolean strict;

    /** All weights 1.0, not strict. */
    public RewardFunctions(List<RewardFunction> functions) {
        this(functions, null, false);
    }

    /**
     * @param functions     the reward functions, in order (TRL's {@code reward_funcs}); their names
     *                      must differ, since they name the metrics
     * @param rewardWeights one weight per function (TRL's {@code reward_weights}); null for all 1.0
     * @param strict        throw at the first failing function instead of reporting and going on
     */
    public RewardFunctions(List<RewardFunction> functions, List<Double> rewardWeights, boolean strict) {
        Objects.requireNonNull(functions, "functions");
        if (functions.isEmpty()) throw new IllegalArgumentException("no reward functions: GRPO needs at least one (reward_funcs)");
        Set<String> seen = new HashSet<>();
        for (RewardFunction f : functions) {
            Objects.requireNonNull(f, "a reward function is null");
            if (!seen.add(f.name())) {
                throw new IllegalArgumentException("two reward functions are named \"" + f.name() + "\" (of " + names(functions)
                        + "); their metrics rewards/<name>/mean would collide: give each a distinct name");
            }
        }
        this.functions = List.copyOf(functions);
        this.weights = new double[functions.size()];
        if (rewardWeights == null) {
            Arrays.fill(weights, 1.0);
        } else {
            if (rewardWeights.size() != functions.size()) {
                throw new IllegalArgumentException("reward_weights has " + rewardWeights.size() + " values but there are "
                        + functions.size() + " reward functions " + names(functions) + ": give one weight per function, in order");
            }
            for (int i = 0; i < weights.length; i++) {
                Double w = rewardWeights.get(i);
                if (w == null || !Double.isFinite(w)) {
                    throw new IllegalArgumentException("reward_weights[" + i + "] (for \"" + functions.get(i).name() + "\") is " + w
                            + ": weights must be finite numbers");
                }
                weights[i] = w;
            }
        }
        this.strict = strict;
    }

    public List<RewardFunction> functions() {
        return functions;
    }

    public List<String> names() {
        return names(functions);
    }

    public double[] weights() {
        return weights.clone();
    }

    public boolean strict() {
        return strict;
    }

    /**
     * The scores of a batch.
     *
     * @param names      the functions' names, in order
     * @param totals     (N,) the weighted sum per completion, 0 where no function applies
     * @param scores     [function][completion]: each function's scores, null where it does not apply or failed
     * @param errorCount how many (function, completion) scores failed and were nulled
     * @param errors     one message per failure (a batch a function could not score at all is one message)
     * @param warnings   completions no function applies to (TRL's warning), one message per batch
     */
    public record Result(List<String> names, double[] totals, List<List<Double>> scores, int errorCount, List<String> errors,
                         List<String> warnings) {
        /** TRL's {@code rewards/<name>/mean}: the mean of function {@code i}'s non-null scores; NaN when none. */
        public double mean(int function) {
            return nanMean(scores.get(function));
        }

        /** TRL's {@code rewards/<name>/std}: their Bessel-corrected standard deviation; NaN when fewer than two. */
        public double std(int function) {
            return nanStd(scores.get(function));
        }

        /** {@code rewards/<name>/mean} and {@code rewards/<name>/std} for every function, in order (NaN possible). */
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                m.put("rewards/" + names.get(i) + "/mean", mean(i));
                m.put("rewards/" + names.get(i) + "/std", std(i));
            }
            return m;
        }
    }

    /** Scores every completion of {@code batch} with every function; see the class comment for failures. */
    public Result score(List<Sample> batch) {
        Objects.requireNonNull(batch, "batch");
        int n = batch.size();
        List<Sample> view = Collections.unmodifiableList(batch);
        List<List<Double>> scores = new ArrayList<>(functions.size());
        List<String> errors = new ArrayList<>();
        int errorCount = 0;
        for (RewardFunction f : functions) {
            Double[] r = new Double[n];
            List<Double> out = null;
            RuntimeException failure = null;
            boolean unavailable = false;
            try {
                out = f.score(view);
            } catch (RewardUnavailableException e) {
                errors.add(reportBatch(f, batch, e));
                errorCount += n;
                unavailable = true;
            } catch (RuntimeException e) {
                failure = e;
            }
            if (unavailable) {
                // every score stays null
            } else if (failure == null) {
                requireSize(f, out, n);
                for (int j = 0; j < n; j++) errorCount += take(f, batch, j, out.get(j), r, errors);
            } else if (n == 1) {
                errors.add(report(f, batch, 0, describe(failure), failure));
                errorCount++;
            } else {
                // Find the completion to blame: score each one alone.
                for (int j = 0; j < n; j++) {
                    List<Double> one;
                    try {
                        one = f.score(List.of(batch.get(j)));
                    } catch (RuntimeException e) {
                        errors.add(report(f, batch, j, describe(e), e));
                        errorCount++;
                        continue;
                    }
                    requireSize(f, one, 1);
                    errorCount += take(f, batch, j, one.getFirst(), r, errors);
                }
            }
            scores.add(Collections.unmodifiableList(Arrays.asList(r)));
        }

        double[] totals = new double[n]; // (N,)
        int noneApply = 0, firstNoneApply = -1;
        for (int j = 0; j < n; j++) {
            boolean any = false;
            for (int i = 0; i < functions.size(); i++) {
                Double v = scores.get(i).get(j);
                if (v == null) continue;
                totals[j] += weights[i] * v;
                any = true;
            }
            if (!any && noneApply++ == 0) firstNoneApply = j;
        }
        List<String> warnings = noneApply == 0 ? List.of() : List.of("every reward function returned null for " + noneApply + " of "
                + n + " completions (the first: " + where(batch, firstNoneApply) + "); their total reward is 0 (TRL's nansum)."
                + " Make sure at least one reward function applies to every row");
        return new Result(names(), totals, Collections.unmodifiableList(scores), errorCount, List.copyOf(errors), warnings);
    }

    /** Stores score {@code v} of completion j, or reports it when NaN or infinite; returns the errors it adds (0 or 1). */
    private int take(RewardFunction f, List<Sample> batch, int j, Double v, Double[] r, List<String> errors) {
        if (v != null && !Double.isFinite(v)) {
            errors.add(report(f, batch, j, "returned " + v, null));
            return 1;
        }
        r[j] = v;
        return 0;
    }

    private String report(RewardFunction f, List<Sample> batch, int j, String what, Throwable cause) {
        String message = "reward function \"" + f.name() + "\" failed on " + where(batch, j) + ": " + what;
        if (strict) throw new IllegalStateException(message + " (strict: stopping; unset strict to score it null and go on)", cause);
        return message + "; scored null for this completion";
    }

    private String reportBatch(RewardFunction f, List<Sample> batch, RewardUnavailableException e) {
        String first = batch.isEmpty() ? "" : " (the first: " + where(batch, 0) + ")";
        String message = "reward function \"" + f.name() + "\" could not score the batch of " + batch.size() + " completions" + first
                + ": " + e.getMessage();
        if (strict) throw new IllegalStateException(message + " (strict: stopping; unset strict to score them null and go on)", e);
        return message + "; all scored null";
    }

    private static void requireSize(RewardFunction f, List<Double> out, int n) {
        if (out == null || out.size() != n) {
            throw new IllegalStateException("reward function \"" + f.name() + "\" returned " + (out == null ? "null" : out.size() + " scores")
                    + " for a batch of " + n + " completions: a reward function returns one score per completion, in order"
                    + " (null where it does not apply)");
        }
    }

    private static String where(List<Sample> batch, int j) {
        Sample s = batch.get(j);
        return "completion " + j + " of " + batch.size() + " (prompt \"" + JsonPost.abbreviate(s.prompt(), 80) + "\", completion \""
                + JsonPost.abbreviate(s.completion(), 80) + "\")";
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /**
     * {@code text} on one line ({@code \n} escaped), at most about {@code max} characters: the head and
     * the tail with " … " between, since a completion's answer is at its end.
     */

    private static List<String> names(List<RewardFunction> functions) {
        List<String> names = new ArrayList<>(functions.size());
        for (RewardFunction f : functions) names.add(f.name());
        return Collections.unmodifiableList(names);
    }

    // ---- statistics: TRL's torch.nanmean and nanstd (grpo_trainer.py) over a function's scores ----

    /** The mean of the non-null values; NaN when there are none (torch.nanmean of all-NaN). */
    public static double nanMean(List<Double> values) {
        double sum = 0;
        int count = 0;
        for (Double v : values) {
            if (v == null || Double.isNaN(v)) continue;
            sum += v;
            count++;
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /**
     * The standard deviation of the non-null values with Bessel's correction, Σ(x − x̄)² / (n − 1);
     * NaN when fewer than two (TRL's {@code nanstd} gives NaN there: 0 · n/(n−1) = 0 · ∞).
     */
    public static double nanStd(List<Double> values) {
        double mean = nanMean(values);
        double sq = 0;
        int count = 0;
        for (Double v : values) {
            if (v == null || Double.isNaN(v)) continue;
            sq += (v - mean) * (v - mean);
            count++;
        }
        return count < 2 ? Double.NaN : Math.sqrt(sq / (count - 1));
    }

    // ---- the registry: config names (trl/scripts/grpo.py's reward_funcs_registry) to built-ins ----

    /**
     * The built-in named {@code name}, with {@code soft_punish_cache} = max_completion_length / 5 for
     * the overlong penalty (the 20 % of both references: DAPO's 4096 of 20480, and TRL's script's
     * 256 of 1280).
     */
    public static RewardFunction builtIn(String name, int maxCompletionLength) {
        return builtIn(name, maxCompletionLength, maxCompletionLength / 5);
    }

    /**
     * The built-in reward function a config names:
     * <ul>
     * <li>{@code accuracy_reward}: {@link MathAccuracy} on the {@code "solution"} column;
     * <li>{@code reasoning_accuracy_reward}: the same, 0 unless the reasoning ends with {@code </think>};
     * <li>{@code think_format_reward}: {@link FormatReward} with TRL's pattern;
     * <li>{@code get_soft_overlong_punishment} (TRL's script name) or {@code soft_overlong_punishment}:
     *     {@link OverlongPenalty} with {@code maxCompletionLength} and {@code softPunishCache}
     *     (TRL's script fixes them at 1280 and 256; here they follow the run);
     * <li>{@code http:<url>}, or the URL itself: {@link HttpScorer} POSTing to the URL.
     * </ul>
     * TRL's script also takes a dotted Python import path; align4j instantiates nothing by name
     * (write a {@link RewardFunction} and pass it in code).
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static RewardFunction builtIn(String name, int maxCompletionLength, int softPunishCache) {
        Objects.requireNonNull(name, "name");
        return switch (name) {
            case "accuracy_reward" -> new MathAccuracy();
            case "reasoning_accuracy_reward" -> MathAccuracy.reasoning();
            case "think_format_reward" -> new FormatReward();
            case "get_soft_overlong_punishment", "soft_overlong_punishment" -> new OverlongPenalty(maxCompletionLength, softPunishCache);
            default -> {
                if (name.startsWith("http://") || name.startsWith("https://")) yield new HttpScorer(url(name, name));
                if (name.startsWith("http:")) yield new HttpScorer(url(name, name.substring("http:".length())));
                throw new IllegalArgumentException("unknown reward function \"" + name + "\"; the known ones are " + BUILT_IN_NAMES
                        + " (http:<url> for a scoring server, e.g. http:http://localhost:8000/score)");
            }
        };
    }

    private static URI url(String name, String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme();
            if (uri.getHost() == null || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
                throw new URISyntaxException(text, "expected an http:// or https:// URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("reward function \"" + name + "\": " + e.getMessage()
                    + " (write http:<url>, e.g. http:http://localhost:8000/score)");
        }
    }
}
