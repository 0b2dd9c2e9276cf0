package dev.align4j.train.rewards;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Format reward (TRL's {@code think_format_reward}): 1.0 when the whole completion matches a
 * pattern, else 0.0. The default is TRL's {@code ^<think>(?!.*<think>)(.*?)</think>.*$} with
 * DOTALL: the completion opens with {@code <think>}, opens no second one, and closes it.
 *
 * <p>Based on trl/rewards/format_rewards.py. TRL calls {@code re.match} (anchored at the start
 * only) with DOTALL | MULTILINE; here the pattern must match the whole completion
 * ({@link java.util.regex.Matcher#matches()}), which for TRL's pattern, ending in {@code .*$}
 * under DOTALL, is the same thing. Patterns are compiled with DOTALL, so {@code .} crosses lines.
 *
 * <p>What it is not: a check of the answer's content (that is {@link MathAccuracy}). Note that a
 * chat template whose generation prompt already holds {@code <think>} (some Qwen3 templates)
 * yields completions that start inside the reasoning; TRL's pattern scores those 0.
 */
public final class FormatReward implements RewardFunction {
    /** TRL's think_format_reward pattern. */
    public static final String THINK_PATTERN = "^<think>(?!.*<think>)(.*?)</think>.*$";

    private final String name;
    private final Pattern pattern;

    /** TRL's {@code think_format_reward}. */
    public FormatReward() {
        this("think_format_reward", THINK_PATTERN);
    }

    /** A format reward named {@code "format_reward"}, e.g. for {@code <think>.*?</think>\s*<answer>.*?</answer>}. */
    public FormatReward(String regex) {
        this("format_reward", regex);
    }

    /**
     * @param name  the metric name
     * @param regex the pattern the whole completion must match, compiled with DOTALL and MULTILINE
     */
    public FormatReward(String name, String regex) {
        this.name = Objects.requireNonNull(name, "name");
        this.pattern = Pattern.compile(Objects.requireNonNull(regex, "regex"), Pattern.DOTALL | Pattern.MULTILINE);
    }

    @Override
    public String name() {
        return name;
    }

    public Pattern pattern() {
        return pattern;
    }

    @Override
    public List<Double> score(List<Sample> batch) {
        List<Double> out = new ArrayList<>(batch.size());
        for (Sample s : batch) out.add(pattern.matcher(s.completion()).matches() ? 1.0 : 0.0);
        return out;
    }

    @Override
    public String toString() {
        return "FormatReward[" + name + ", " + pattern.pattern() + "]";
    }
}
