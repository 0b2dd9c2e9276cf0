package dev.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The recipe's stages and the defaults that make each run on the built-in world in minutes on a
 * laptop: the command whose trainer runs it, the data file of the world it reads, and its starting
 * keys (TRL's names). A recipe config's stage keys go on top of these.
 *
 * <p>The defaults were tuned on the built-in base model (builtin/base) and its tasks; on another
 * model they are a starting point, and every key can be overridden under {@code stages:}.
 */
final class RecipeStages {
    private RecipeStages() {}

    /**
     * One stage kind.
     *
     * @param command  makes the command whose trainer runs the stage
     * @param data     the world's file the stage trains on
     * @param policy   whether the stage's output is a policy (evaluated like the base), not a reward model
     * @param defaults the stage's keys before the config's, in YAML flow syntax
     */
    record Kind(Supplier<TrainCommand<?>> command, String data, boolean policy, String defaults) {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String LOOP = "logging_steps: 5, save_steps: 100000, disable_tqdm: true, seed: 1, ";
    private static final String GROUP = LOOP + "reward_funcs: [accuracy_reward], per_device_train_batch_size: 64, num_generations: 8, "
            + "max_completion_length: 64, temperature: 1.0, learning_rate: 7.0e-5, max_steps: 150, ";
    private static final String PAIRS = LOOP + "per_device_train_batch_size: 16, max_length: 256, learning_rate: 1.0e-4, max_steps: 60, ";

    static final Map<String, Kind> KINDS = Map.of(
            "sft", new Kind(SftCommand::new, "sft.jsonl", true, LOOP
                    + "per_device_train_batch_size: 16, max_length: 256, learning_rate: 1.0e-3, max_steps: 1200, lr_scheduler_type: cosine, warmup_ratio: 0.05"),
            "reward", new Kind(RewardCommand::new, "preference.jsonl", false, LOOP
                    + "per_device_train_batch_size: 16, max_length: 256, learning_rate: 5.0e-4, max_steps: 80, gradient_checkpointing: false"),
            "grpo", new Kind(GrpoCommand::new, "grpo.jsonl", true, GROUP + "loss_type: dapo"),
            "rloo", new Kind(RlooCommand::new, "grpo.jsonl", true, GROUP + "beta: 0.05"),
            "online-dpo", new Kind(OnlineDpoCommand::new, "grpo.jsonl", true, LOOP + "reward_funcs: [accuracy_reward], per_device_train_batch_size: 16, "
                    + "max_new_tokens: 64, learning_rate: 1.0e-4, max_steps: 40"),
            "ppo", new Kind(PpoCommand::new, "grpo.jsonl", true, LOOP + "per_device_train_batch_size: 32, response_length: 64, learning_rate: 1.0e-4, "
                    + "max_steps: 30, stop_token: eos"),
            "dpo", new Kind(DpoCommand::new, "preference.jsonl", true, PAIRS + "beta: 0.1"),
            "kto", new Kind(KtoCommand::new, "kto.jsonl", true, PAIRS + "beta: 0.1"),
            "orpo", new Kind(OrpoCommand::new, "preference.jsonl", true, PAIRS + "beta: 0.1"),
            "simpo", new Kind(SimpoCommand::new, "preference.jsonl", true, PAIRS + "beta: 2.0"));

    /** The stage's keys: its defaults, where its inputs are, then the config's keys. */
    static ObjectNode keys(String stage, Path data, Path policy, Path rewardModel, Path output, ObjectNode configured) {
        Kind kind = KINDS.get(stage);
        ObjectNode keys;
        try {
            keys = (ObjectNode) YAML.readTree("{" + kind.defaults() + "}");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the recipe's defaults of " + stage + " are not YAML: " + e.getMessage(), e);
        }
        keys.put("dataset_name", data.toString());
        if (stage.equals("ppo")) {
            keys.put("sft_model_path", policy.toString());
            keys.put("reward_model_path", rewardModel.toString());
        } else {
            keys.put("model_name_or_path", policy.toString());
        }
        keys.setAll(configured);
        keys.put("output_dir", output.toString());
        return keys;
    }

    /** The keys as the command's {@code --key value} overrides, each value as YAML (JSON is YAML). */
    static List<String> overrides(ObjectNode keys) {
        List<String> out = new java.util.ArrayList<>();
        keys.fields().forEachRemaining(e -> {
            out.add("--" + e.getKey());
            out.add(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
        });
        return out;
    }

}
