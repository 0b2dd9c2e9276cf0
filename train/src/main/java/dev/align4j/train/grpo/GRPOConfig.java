package dev.align4j.train.grpo;

import java.util.List;

/**
 * TRL's {@code GRPOConfig} (trl/trainer/grpo_config.py, TRL 1.x): what {@link GroupConfig} shares
 * with RLOO, TRL's defaults {@code num_generations 8} and {@code beta 0} (no reference model is
 * loaded), and GRPO's own: {@code loss_type} (default dapo), {@code scale_rewards} (group),
 * {@code mask_truncated_completions}, {@code importance_sampling_level} (token),
 * {@code top_entropy_quantile} (1.0).
 */
public class GRPOConfig extends GroupConfig {
    /** grpo, bnpo, dr_grpo, dapo or cispo. */
    public String lossType = "dapo";
    /** group, batch or none: what the advantages are divided by (the group's std, the batch's, nothing); true/false as older TRL. */
    public String scaleRewards = "group";
    /** Truncated completions (no EOS within max_completion_length) take no part in the loss. */
    public boolean maskTruncatedCompletions = false;
    /** token, or sequence (GSPO): the level of the importance ratio. */
    public String importanceSamplingLevel = "token";
    /** Train only on the tokens whose entropy is in the top this fraction (1.0: all). */
    public double topEntropyQuantile = 1.0;

    public GRPOConfig() {
        super(8, 0.0);
    }

    @Override
    public void validate() {
        super.validate();
        if (!List.of("grpo", "bnpo", "dr_grpo", "dapo", "cispo").contains(lossType)) {
            throw bad("loss_type", lossType, "must be one of grpo, bnpo, dr_grpo, dapo, cispo");
        }
        if (lossType.equals("cispo") && epsilonHigh == null) {
            throw bad("epsilon_high", null, "must be set for loss_type cispo, where it caps the importance weight itself (TRL recommends 5.0);"
                    + " left unset it would be epsilon " + epsilon + " and cap every weight there");
        }
        scaling();
        if (!importanceSamplingLevel.equals("token") && !importanceSamplingLevel.equals("sequence")) {
            throw bad("importance_sampling_level", importanceSamplingLevel, "must be \"token\" or \"sequence\"");
        }
        if (!(topEntropyQuantile > 0 && topEntropyQuantile <= 1)) throw bad("top_entropy_quantile", topEntropyQuantile, "must be in (0, 1]");
    }

    /** scale_rewards as one of group, batch, none (true is group and false none, as older TRL). */
    public String scaling() {
        return switch (scaleRewards) {
            case "group", "true" -> "group";
            case "batch" -> "batch";
            case "none", "false" -> "none";
            default -> throw bad("scale_rewards", scaleRewards, "must be \"group\", \"batch\" or \"none\"");
        };
    }
}
