package dev.align4j.train.rewards;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A GRPO reward function (TRL's {@code reward_funcs} entry): scores every completion of a batch,
 * one score per completion, {@code null} meaning "does not apply to this completion".
 *
 * <p>Based on TRL's custom reward function contract (trl/trainer/grpo_trainer.py,
 * {@code _calculate_rewards}): a function receives the prompts, the completions and the dataset
 * row's other columns, and returns a list of floats or {@code None}; TRL turns {@code None} into
 * NaN and leaves it out of the weighted sum ({@link RewardFunctions}). Here a function receives
 * {@link Sample}s, which carry the same facts, and the whole batch at once, so a reward model can
 * score all completions in one forward pass.
 *
 * <p>What it is not: the combination of several functions and their weights, nor the error
 * handling around them ({@link RewardFunctions} does both: a function may throw, and its failing
 * completions are reported there). A function that cannot score a batch at all for a reason
 * outside the completions (a reward server down) throws {@link RewardUnavailableException}, so the
 * failure is not blamed on, and retried for, each completion.
 */
public interface RewardFunction {

    /** The metric name: TRL logs {@code rewards/<name>/mean} and {@code rewards/<name>/std}. */
    String name();

    /**
     * One score per sample of {@code batch}, in order; {@code null} when the function does not apply
     * (TRL's {@code None}). The list may contain nulls, so it must not be made with {@code List.of}.
     */
    List<Double> score(List<Sample> batch);

    /**
     * One completion to score.
     *
     * @param prompt           the prompt text as the policy saw it (after the chat template)
     * @param completion       the completion text only, decoded without special tokens
     * @param completionLength the completion's token count (TRL's {@code len(completion_ids)})
     * @param truncated        true when generation hit {@code max_completion_length} without EOS
     * @param row              the dataset row's columns (e.g. {@code "solution"}); shared, not
     *                         copied: a function must not modify it
     */
    record Sample(String prompt, String completion, int completionLength, boolean truncated, ObjectNode row) {
        public Sample {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(completion, "completion");
            Objects.requireNonNull(row, "row (use an empty ObjectNode when the dataset has no other columns)");
            if (completionLength < 0) throw new IllegalArgumentException("completionLength " + completionLength + " < 0");
        }
    }

    /** A function named {@code name} that scores a whole batch with {@code score}. */
    static RewardFunction of(String name, Function<List<Sample>, List<Double>> score) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(score, "score");
        return new RewardFunction() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<Double> score(List<Sample> batch) {
                return score.apply(batch);
            }

            @Override
            public String toString() {
                return "RewardFunction[" + name + "]";
            }
        };
    }

    /** A function named {@code name} that scores each completion on its own ({@code null}: not applicable). */
    static RewardFunction perCompletion(String name, Function<Sample, Double> score) {
        Objects.requireNonNull(score, "score");
        return of(name, batch -> {
            List<Double> out = new ArrayList<>(batch.size());
            for (Sample s : batch) out.add(score.apply(s));
            return out;
        });
    }
}
