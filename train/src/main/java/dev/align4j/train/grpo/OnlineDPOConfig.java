package dev.align4j.train.grpo;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * TRL's {@code OnlineDPOConfig} (trl/experimental/online_dpo/online_dpo_config.py, TRL 1.x): what
 * {@link GroupConfig} shares with GRPO and RLOO, with online DPO's meanings and defaults: two
 * completions per prompt ({@code num_generations} is 2), {@code per_device_train_batch_size} counts
 * prompts (so a micro-batch holds twice as many completions), {@code beta 0.1} is DPO's β,
 * {@code loss_type} sigmoid or ipo, {@code max_new_tokens 64} (accepted as
 * {@code max_completion_length} too), {@code temperature 0.9}, {@code learning_rate 5e-7},
 * {@code missing_eos_penalty}. The log-probs of the policy and the reference are the model's own
 * (temperature 1), as TRL's {@code _forward} takes them.
 *
 * <p>Instead of {@code reward_funcs}, a {@code judge} may rank each pair (TRL's {@code judge}
 * argument): a model folder or the URL of an OpenAI-compatible server (with {@code judge_model},
 * and the key from {@code ALIGN4J_JUDGE_API_KEY} or {@code OPENAI_API_KEY}), asked MT-Bench style in
 * both orders ({@link dev.align4j.train.judges.LlmPairwiseJudge}), with the prompt of
 * {@code judge_template} if given.
 */
public class OnlineDPOConfig extends GroupConfig {
    /** sigmoid (DPO) or ipo. */
    public String lossType = "sigmoid";
    /** Subtracted from the reward of a completion that ends without EOS before the pair is ranked; unset is none. */
    public Double missingEosPenalty;
    /** A pairwise judge ranking each pair instead of reward_funcs: a model folder or an OpenAI-compatible server's URL. */
    public String judge;
    /** The model name sent to a judge server. */
    public String judgeModel;
    /** A pairwise judge prompt file ({question}, {answer_a}, {answer_b}); the built-in one when unset. */
    public String judgeTemplate;
    /** The longest judge answer, in tokens. */
    public int judgeMaxNewTokens = 512;

    public OnlineDPOConfig() {
        super(2, 0.1);
        learningRate = 5e-7;
        temperature = 0.9;
        maxCompletionLength = 64;
    }

    /** TRL's name for the completion length. */
    @JsonProperty("max_new_tokens")
    public void setMaxNewTokens(int maxNewTokens) {
        maxCompletionLength = maxNewTokens;
    }

    @Override
    public void validate() {
        super.validate();
        if (numGenerations != 2) throw bad("num_generations", numGenerations, "must be 2 for online DPO: each prompt's two completions make its pair");
        if (!(beta > 0)) throw bad("beta", beta, "must be > 0 (DPO's β)");
        if (!List.of("sigmoid", "ipo").contains(lossType)) throw bad("loss_type", lossType, "must be \"sigmoid\" or \"ipo\"");
        if (missingEosPenalty != null && !(missingEosPenalty >= 0)) throw bad("missing_eos_penalty", missingEosPenalty, "must be >= 0");
        if (judge != null && rewardFuncs != null && !rewardFuncs.isEmpty()) {
            throw bad("judge", judge, "ranks the pairs instead of reward_funcs " + rewardFuncs + "; give one or the other");
        }
        if (judgeMaxNewTokens < 1) throw bad("judge_max_new_tokens", judgeMaxNewTokens, "must be >= 1");
    }

    @Override
    protected boolean ranksWithRewardFuncs() {
        return judge == null;
    }

    /** Two completions per prompt of the micro-batch. */
    @Override
    public int microBatch() {
        return 2 * perDeviceTrainBatchSize;
    }

    @Override
    public double logprobTemperature() {
        return 1.0;
    }
}
