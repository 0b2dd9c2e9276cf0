package dev.align4j.eval.report;

import java.util.List;

/**
 * A group of metrics drawn on one chart because they share a unit: {@code loss} beside
 * {@code eval_loss} shows overfitting at a glance, {@code kl} beside {@code objective/kl} is the same
 * quantity under two trainers' names.
 *
 * <p>{@link #ALL} is the table, in the order the charts appear. Keys are TRL's metric names
 * (DESIGN.md); a key's position in its family fixes its colour, so {@code loss} is the same colour
 * in every stage. Metrics in no family (throughput, epoch) are listed under the stage, not drawn.
 *
 * @param title the chart's caption
 * @param axis the y axis title
 * @param keys the metric keys it draws, in legend order
 */
public record ChartFamily(String title, String axis, List<String> keys) {
    public ChartFamily {
        keys = List.copyOf(keys);
    }

    /** The chart families, in the order a stage's charts appear. */
    public static final List<ChartFamily> ALL = List.of(
            new ChartFamily("loss", "loss", List.of("loss", "eval_loss")),
            new ChartFamily("reward", "reward", List.of("reward", "objective/scores", "objective/rlhf_reward",
                    "rewards/chosen", "rewards/rejected", "rewards/margins")),
            new ChartFamily("KL to the reference", "KL", List.of("kl", "objective/kl")),
            new ChartFamily("accuracy", "accuracy", List.of("rewards/accuracies", "accuracy", "eval_accuracy",
                    "mean_token_accuracy", "eval_mean_token_accuracy")),
            new ChartFamily("completion length", "tokens", List.of("completions/mean_length",
                    "completions/min_length", "completions/max_length")),
            new ChartFamily("gradient norm", "norm", List.of("grad_norm")),
            new ChartFamily("learning rate", "learning rate", List.of("learning_rate")));
}
