package dev.align4j.train.ppo;

import dev.align4j.train.TrainingArguments;

/**
 * TRL's {@code PPOConfig} (trl/experimental/ppo/ppo_config.py, TRL 1.x) with the script arguments of
 * TRL's {@code examples/scripts/ppo/ppo.py}: the SFT model (the policy, and the reference unless
 * LoRA's base is), the reward model, the value model (initialised from the reward model, as TRL's
 * script does, unless {@code value_model_path} names another), the prompt data, and PPO's
 * hyper-parameters with TRL's defaults: {@code num_ppo_epochs 4}, {@code kl_coef 0.05},
 * {@code kl_estimator k1}, {@code cliprange 0.2}, {@code vf_coef 0.1}, {@code cliprange_value 0.2},
 * {@code gamma 1.0}, {@code lam 0.95}, {@code response_length 53}, {@code temperature 0.7},
 * {@code num_mini_batches 1}, {@code local_rollout_forward_batch_size 64}, {@code logging_steps 10},
 * {@code gradient_checkpointing true}.
 *
 * <p>The batch sizes are TRL's: one update draws {@code per_device_train_batch_size ×
 * gradient_accumulation_steps} prompts (one device), trains on them for {@code num_ppo_epochs}
 * passes of {@code num_mini_batches} optimizer steps each, and runs {@code total_episodes / batch}
 * updates ({@code total_episodes} defaults to {@code num_train_epochs} × the prompts);
 * {@code max_steps}, when set, is the number of updates instead.
 *
 * <p>What it is not: TRL's multi-adapter ({@code model_adapter_name}, {@code ref_adapter_name}),
 * DeepSpeed and sample-generation options.
 */
public class PPOConfig extends TrainingArguments {
    /** The SFT model folder: the policy starts from it, and the reference is a frozen copy of it (TRL's sft_model_path). */
    public String sftModelPath;
    /** The reward model folder: align4j reward's output (a sequence-classification folder or a SEQ_CLS adapter). */
    public String rewardModelPath;
    /** The value model's starting folder; unset is the reward model's (TRL's script). */
    public String valueModelPath;
    /**
     * A second reward model that scores the same responses but is not trained against (not a TRL
     * key): its mean, {@code objective/judge_scores}, falling while {@code objective/scores} rises is
     * reward hacking. Unset: none.
     */
    public String judgeModelPath;
    /** The prompts: a JSONL, JSON, CSV or Parquet file, a folder of them, or a glob; rows of "prompt" (a string or messages). */
    public String datasetName;
    public String datasetTrainSplit = "train";
    /** The prompt keeps its last this many tokens; unset is no limit. */
    public Integer maxPromptLength;
    /** Skip rows that fit no dataset type instead of stopping at the first. */
    public boolean skipInvalidRows = false;

    /** Passes over each rollout batch. */
    public int numPpoEpochs = 4;
    /** Optimizer steps per pass: the rollout batch split into this many mini-batches. */
    public int numMiniBatches = 1;
    /** Prompts to train on in all; unset is num_train_epochs × the prompts. */
    public Integer totalEpisodes;
    /** Sequences per forward pass of the reference, reward and value models during the rollout. */
    public int localRolloutForwardBatchSize = 64;
    /** The most tokens a response has. */
    public int responseLength = 53;
    /** "eos": responses end at the tokenizer's EOS; unset: no stop token unless stop_token_id. */
    public String stopToken;
    /** A token id that ends responses (exclusive with stop_token). */
    public Integer stopTokenId;
    /** Sampling temperature of the rollouts; the log-probs of every model are taken at it. */
    public double temperature = 0.7;
    /** Subtracted from the score of a response without the EOS token; unset is none. */
    public Double missingEosPenalty;
    /** Whiten the per-token rewards before GAE. */
    public boolean whitenRewards = false;
    /** β of the KL penalty in the per-token reward. */
    public double klCoef = 0.05;
    /** "k1" (log-ratio) or "k3" ((r − 1) − log r), J. Schulman's estimators. */
    public String klEstimator = "k1";
    /** ε of the clipped policy objective. */
    public double cliprange = 0.2;
    /** The value loss's weight. */
    public double vfCoef = 0.1;
    /** The clip range of the value predictions around the rollout's values. */
    public double cliprangeValue = 0.2;
    /** GAE's discount γ. */
    public double gamma = 1.0;
    /** GAE's λ. */
    public double lam = 0.95;

    public PPOConfig() {
        loggingSteps = 10;
        gradientCheckpointing = true;
    }

    @Override
    public void validate() {
        super.validate();
        if (sftModelPath == null || sftModelPath.isBlank()) throw bad("sft_model_path", sftModelPath, "is required (the policy's starting folder)");
        if (rewardModelPath == null || rewardModelPath.isBlank()) throw bad("reward_model_path", rewardModelPath, "is required");
        if (datasetName == null || datasetName.isBlank()) throw bad("dataset_name", datasetName, "is required (a local file, folder or glob)");
        if (numPpoEpochs < 1) throw bad("num_ppo_epochs", numPpoEpochs, "must be >= 1");
        if (numMiniBatches < 1) throw bad("num_mini_batches", numMiniBatches, "must be >= 1");
        if (rolloutBatch() % numMiniBatches != 0) {
            throw bad("num_mini_batches", numMiniBatches, "must divide the batch, per_device_train_batch_size × gradient_accumulation_steps = "
                    + rolloutBatch());
        }
        if (totalEpisodes != null && totalEpisodes < 1) throw bad("total_episodes", totalEpisodes, "must be >= 1");
        if (localRolloutForwardBatchSize < 1) throw bad("local_rollout_forward_batch_size", localRolloutForwardBatchSize, "must be >= 1");
        if (responseLength < 1) throw bad("response_length", responseLength, "must be >= 1");
        if (stopToken != null && !stopToken.equals("eos")) throw bad("stop_token", stopToken, "must be \"eos\" or unset");
        if (stopToken != null && stopTokenId != null) throw bad("stop_token_id", stopTokenId, "cannot be combined with stop_token; set one");
        if (!(temperature > 0) || Double.isInfinite(temperature)) throw bad("temperature", temperature, "must be > 0 (PPO samples its rollouts)");
        if (missingEosPenalty != null && !(missingEosPenalty >= 0)) throw bad("missing_eos_penalty", missingEosPenalty, "must be >= 0");
        if (!(klCoef >= 0)) throw bad("kl_coef", klCoef, "must be >= 0");
        if (!klEstimator.equals("k1") && !klEstimator.equals("k3")) throw bad("kl_estimator", klEstimator, "must be \"k1\" or \"k3\"");
        if (!(cliprange > 0)) throw bad("cliprange", cliprange, "must be > 0");
        if (!(cliprangeValue > 0)) throw bad("cliprange_value", cliprangeValue, "must be > 0");
        if (!(vfCoef >= 0)) throw bad("vf_coef", vfCoef, "must be >= 0");
        if (!(gamma >= 0 && gamma <= 1)) throw bad("gamma", gamma, "must be in [0, 1]");
        if (!(lam >= 0 && lam <= 1)) throw bad("lam", lam, "must be in [0, 1]");
        if ("epoch".equals(saveStrategy)) throw bad("save_strategy", saveStrategy, "has no epochs to end in PPO; use \"steps\" (save_steps counts updates) or \"no\"");
        if (maxPromptLength != null && maxPromptLength < 1) throw bad("max_prompt_length", maxPromptLength, "must be >= 1");
        if (whitenRewards && rolloutBatch() / numMiniBatches < 8) {
            throw bad("whiten_rewards", true, "needs mini-batches of at least 8 responses (TRL's check), got " + rolloutBatch() / numMiniBatches);
        }
    }

    /** Prompts per update: per_device_train_batch_size × gradient_accumulation_steps (TRL's local_batch_size). */
    public int rolloutBatch() {
        return perDeviceTrainBatchSize * gradientAccumulationSteps;
    }
}
