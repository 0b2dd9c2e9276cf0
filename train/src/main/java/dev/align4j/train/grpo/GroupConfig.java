package dev.align4j.train.grpo;

import dev.align4j.train.TrainingArguments;

import java.util.ArrayList;
import java.util.List;

/**
 * What the group-sampling RL trainers' configs share, TRL's {@code GRPOConfig} and {@code RLOOConfig}
 * (TRL 1.x) alike: the model and prompts (script arguments {@code model_name_or_path},
 * {@code dataset_name}), the sampling of {@code num_generations} completions per prompt, the batch
 * sizes of a generation round, the clip range, the KL coefficient {@code beta}, and the reward
 * functions. Defaults shared by both: {@code learning_rate 1e-6}, {@code logging_steps 10},
 * {@code gradient_checkpointing true}, {@code max_completion_length 512}, {@code temperature 1.0},
 * {@code epsilon 0.2}, {@code num_iterations 1}.
 *
 * <p>Batch sizes are TRL's and count completions: a generation round samples
 * {@code generation_batch_size} completions, {@code num_generations} for each of
 * {@code generation_batch_size / num_generations} prompts (by default {@code generation_batch_size =
 * per_device_train_batch_size × steps_per_generation}, and {@code steps_per_generation =
 * gradient_accumulation_steps}); they are shuffled and cut into {@code steps_per_generation}
 * micro-batches of {@code per_device_train_batch_size}, each trained on {@code num_iterations} times;
 * an optimizer step takes {@code gradient_accumulation_steps} micro-batches.
 *
 * <p>Not TRL keys: {@code max_prompt_length} (left-truncates prompts; older TRL had it),
 * {@code strict} (a reward function that throws or returns NaN stops the run instead of being
 * counted and skipped), {@code reward_funcs} entries that are reward model folders.
 */
public class GroupConfig extends TrainingArguments {
    /** The policy's starting folder (an SFT model). */
    public String modelNameOrPath;
    /** The prompts: a JSONL, JSON, CSV or Parquet file, a folder of them, or a glob; rows of "prompt" plus the columns rewards read. */
    public String datasetName;
    public String datasetTrainSplit = "train";
    public boolean skipInvalidRows = false;

    /** Completions sampled per prompt: the group its rewards are normalised in. */
    public int numGenerations;
    /** The prompt keeps its last this many tokens; unset is no limit. */
    public Integer maxPromptLength;
    public int maxCompletionLength = 512;
    public double temperature = 1.0;
    public double topP = 1.0;
    /** 0 keeps every token. */
    public int topK = 0;
    /** Unset (TRL's None) is 0. */
    public Double minP;
    public double repetitionPenalty = 1.0;
    /** Completions per generation round; unset is per_device_train_batch_size × steps_per_generation. */
    public Integer generationBatchSize;
    /** Micro-batches per generation round; unset is gradient_accumulation_steps. */
    public Integer stepsPerGeneration;
    /** μ: passes over each generation round. */
    public int numIterations = 1;

    /** The KL coefficient to the reference: GRPO's k3 term in the loss, RLOO's log-ratio sum off each reward; 0 loads no reference. */
    public double beta;
    /** ε: the lower clip of the importance ratio (and the upper one unless epsilon_high). */
    public double epsilon = 0.2;
    /** The upper clip ε_high (DAPO's clip-higher); unset is epsilon. */
    public Double epsilonHigh;
    /** Reward functions: built-ins by name (accuracy_reward, reasoning_accuracy_reward, think_format_reward, soft_overlong_punishment), a scorer's http(s):// URL, or reward model folders. */
    public List<String> rewardFuncs = new ArrayList<>();
    /** One weight per reward function; unset is 1 each. */
    public List<Double> rewardWeights;
    /** Stop at a reward function that throws or returns NaN instead of counting it and giving that completion no reward. */
    public boolean strict = false;
    /** How many completions of a logging step's round go to completions.jsonl; unset is all of them. */
    public Integer numCompletionsToPrint;
    /** Shuffle the prompts each epoch (with the seed and the epoch). */
    public boolean shuffleDataset = true;

    protected GroupConfig(int numGenerations, double beta) {
        this.numGenerations = numGenerations;
        this.beta = beta;
        learningRate = 1e-6;
        loggingSteps = 10;
        gradientCheckpointing = true;
    }

    @Override
    public void validate() {
        super.validate();
        if (modelNameOrPath == null || modelNameOrPath.isBlank()) throw bad("model_name_or_path", modelNameOrPath, "is required");
        if (datasetName == null || datasetName.isBlank()) throw bad("dataset_name", datasetName, "is required (a local file, folder or glob)");
        if (numGenerations < 2) throw bad("num_generations", numGenerations, "must be >= 2: rewards are normalised within each prompt's group");
        if (maxPromptLength != null && maxPromptLength < 1) throw bad("max_prompt_length", maxPromptLength, "must be >= 1");
        if (maxCompletionLength < 1) throw bad("max_completion_length", maxCompletionLength, "must be >= 1");
        if (!(temperature > 0) || Double.isInfinite(temperature)) throw bad("temperature", temperature, "must be > 0 (the groups are sampled)");
        if (!(topP > 0 && topP <= 1)) throw bad("top_p", topP, "must be in (0, 1]");
        if (topK < 0) throw bad("top_k", topK, "must be >= 0");
        if (minP != null && !(minP >= 0 && minP <= 1)) throw bad("min_p", minP, "must be in [0, 1]");
        if (!(repetitionPenalty > 0)) throw bad("repetition_penalty", repetitionPenalty, "must be > 0");
        if (numIterations < 1) throw bad("num_iterations", numIterations, "must be >= 1");
        if (stepsPerGeneration != null && stepsPerGeneration < 1) throw bad("steps_per_generation", stepsPerGeneration, "must be >= 1");
        if (generationBatchSize != null && stepsPerGeneration != null) {
            throw bad("generation_batch_size", generationBatchSize, "cannot be set with steps_per_generation; set one");
        }
        int generation = generationBatch();
        if (generation % microBatch() != 0) {
            throw bad("generation_batch_size", generation, "must be a multiple of the micro-batch's " + microBatch() + " completions");
        }
        if (generation % numGenerations != 0) {
            int fix = lcm(perDeviceTrainBatchSize, numGenerations);
            throw bad("num_generations", numGenerations, "must divide the generation batch, " + (generationBatchSize != null
                    ? "generation_batch_size " + generation : "per_device_train_batch_size " + perDeviceTrainBatchSize + " × steps_per_generation "
                    + stepsPerGeneration() + " = " + generation) + " completions; use per_device_train_batch_size " + fix
                    + " (or generation_batch_size " + fix + "), or a num_generations that divides " + generation);
        }
        if (!(beta >= 0)) throw bad("beta", beta, "must be >= 0");
        if (!(epsilon >= 0 && epsilon < 1)) throw bad("epsilon", epsilon, "must be in [0, 1)");
        if (epsilonHigh != null && !(epsilonHigh >= 0)) throw bad("epsilon_high", epsilonHigh, "must be >= 0");
        if (ranksWithRewardFuncs() && (rewardFuncs == null || rewardFuncs.isEmpty())) {
            throw bad("reward_funcs", rewardFuncs, "must name at least one reward function");
        }
        if (rewardWeights != null && rewardWeights.size() != rewardFuncs.size()) {
            throw bad("reward_weights", rewardWeights, "must have one weight per reward function (" + rewardFuncs.size() + ")");
        }
        if (numCompletionsToPrint != null && numCompletionsToPrint < 0) throw bad("num_completions_to_print", numCompletionsToPrint, "must be >= 0");
        if (!"no".equals(evalStrategy)) throw bad("eval_strategy", evalStrategy, "is not supported by the group RL trainers yet; use \"no\"");
    }

    /** Whether the completions are scored by {@code reward_funcs} (online DPO may rank with a judge instead). */
    protected boolean ranksWithRewardFuncs() {
        return true;
    }

    /** steps_per_generation, defaulting as TRL does. */
    public int stepsPerGeneration() {
        if (stepsPerGeneration != null) return stepsPerGeneration;
        if (generationBatchSize != null) return generationBatchSize / microBatch();
        return gradientAccumulationSteps;
    }

    /** Completions per generation round. */
    public int generationBatch() {
        return generationBatchSize != null ? generationBatchSize : microBatch() * stepsPerGeneration();
    }

    /** Completions per micro-batch: per_device_train_batch_size, which counts completions for GRPO and RLOO. */
    public int microBatch() {
        return perDeviceTrainBatchSize;
    }

    /** The temperature the policy's and the reference's log-probs are taken at: the sampling temperature, as GRPO and RLOO take them. */
    public double logprobTemperature() {
        return temperature;
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
