package dev.align4j.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The loop's position and history, written as transformers' {@code trainer_state.json}
 * ({@code TrainerState} in trainer_callback.py): {@code global_step}, {@code epoch} (fractional),
 * {@code max_steps}, {@code num_input_tokens_seen}, {@code log_history} (every logged and evaluated
 * record), and the run's logging/eval/save steps. Where the data stands follows from
 * {@code global_step}: each epoch's batches are a function of the seed and the epoch, so the loop
 * skips to step {@code global_step} of them (transformers skips batches the same way).
 */
public final class TrainerState {
    public static final String FILE = "trainer_state.json";

    public int globalStep;
    public double epoch;
    public long numInputTokensSeen;
    public final ArrayNode logHistory = JsonLines.MAPPER.createArrayNode();

    public ObjectNode toJson(TrainingArguments args, int maxSteps, double numTrainEpochs) {
        ObjectNode o = JsonLines.MAPPER.createObjectNode();
        o.putNull("best_metric");
        o.putNull("best_model_checkpoint");
        o.put("epoch", epoch);
        o.put("eval_steps", args.evalEvery());
        o.put("global_step", globalStep);
        o.put("is_hyper_param_search", false);
        o.put("is_local_process_zero", true);
        o.put("is_world_process_zero", true);
        o.set("log_history", logHistory.deepCopy());
        o.put("logging_steps", args.loggingSteps);
        o.put("max_steps", maxSteps);
        o.put("num_input_tokens_seen", numInputTokensSeen);
        o.put("num_train_epochs", numTrainEpochs);
        o.put("save_steps", args.saveSteps);
        o.put("total_flos", 0);
        o.put("train_batch_size", args.perDeviceTrainBatchSize);
        o.putNull("trial_name");
        o.putNull("trial_params");
        return o;
    }

    public static TrainerState read(Path checkpoint) throws IOException {
        Path file = checkpoint.resolve(FILE);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(checkpoint + ": no " + FILE + "; not a checkpoint folder");
        var json = JsonLines.MAPPER.readTree(file.toFile());
        TrainerState s = new TrainerState();
        if (!json.path("global_step").canConvertToInt()) throw new IllegalArgumentException(file + ": field global_step is missing");
        s.globalStep = json.get("global_step").asInt();
        s.epoch = json.path("epoch").asDouble();
        s.numInputTokensSeen = json.path("num_input_tokens_seen").asLong();
        if (json.path("log_history").isArray()) s.logHistory.addAll((ArrayNode) json.get("log_history"));
        return s;
    }
}
