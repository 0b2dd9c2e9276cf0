package dev.align4j.train.reward;

import dev.align4j.train.PreferenceConfig;

/**
 * TRL's {@code RewardConfig} (trl/trainer/reward_config.py, TRL 1.x): the model and data options of
 * {@link PreferenceConfig}, {@code center_rewards_coefficient} and {@code pad_token}. Defaults are
 * TRL's: {@code learning_rate 1e-4}, {@code max_length 1024}, {@code logging_steps 10},
 * {@code gradient_checkpointing true}.
 *
 * <p>{@code max_length} keeps TRL's meaning for reward data: a pair whose chosen or rejected
 * sequence is longer is dropped (counted in the log), not truncated, so the scored token — each
 * sequence's last — is never cut off. TRL's RewardConfig has no prompt or completion limits, so
 * {@code max_prompt_length}, {@code max_completion_length} and {@code truncation_mode} are refused.
 *
 * <p>What it is not: TRL's padding, dataset-processing and chat-template-cloning options
 * ({@code pad_to_multiple_of}, {@code dataset_num_proc}, {@code chat_template_path}): batches here
 * are packed, never padded; models here have no dropout, so {@code disable_dropout} has nothing to do.
 */
public class RewardConfig extends PreferenceConfig {
    /** λ of the auxiliary (r_c + r_r)² term that centres rewards on zero (arXiv:2312.09244 recommends 0.01); unset adds none. */
    public Double centerRewardsCoefficient;
    /** The pad token, whose id config.json records and scoring skips at a sequence's end; unset is the tokenizer's pad token, else its EOS. */
    public String padToken;

    public RewardConfig() {
        learningRate = 1e-4;
        loggingSteps = 10;
        gradientCheckpointing = true;
    }

    @Override
    public void validate() {
        super.validate();
        if (centerRewardsCoefficient != null && !(centerRewardsCoefficient >= 0)) {
            throw bad("center_rewards_coefficient", centerRewardsCoefficient, "must be >= 0");
        }
        if (maxPromptLength != null) throw bad("max_prompt_length", maxPromptLength, "is not a RewardConfig key: reward pairs are "
                + "filtered by max_length, never truncated (the score is read at the last token)");
        if (maxCompletionLength != null) throw bad("max_completion_length", maxCompletionLength, "is not a RewardConfig key: reward "
                + "pairs are filtered by max_length, never truncated (the score is read at the last token)");
        if (!"keep_start".equals(truncationMode)) throw bad("truncation_mode", truncationMode, "is not a RewardConfig key: reward "
                + "pairs are filtered by max_length, never truncated");
        if (maxLength != null && maxLength < 2) throw bad("max_length", maxLength, "must be >= 2");
    }
}
