package dev.align4j.train.ppo;

import dev.align4j.train.ModelState;
import dev.align4j.train.reward.ScoreModelState;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A PPO checkpoint's models: the policy as its own state writes it (a model folder, or a PEFT
 * adapter), and the value model, trained beside it, as a sequence-classification folder under
 * {@code value_model/}. The run's final output is the policy alone, as TRL saves it.
 *
 * @param policy the policy's state
 * @param value  the value model's
 */
record PpoModelState(ModelState policy, ScoreModelState value) implements ModelState {
    /** The value model's folder inside a checkpoint, and the prefix of its parameters' names in the optimizer state. */
    static final String VALUE = "value_model";

    @Override
    public void save(Path folder) throws IOException {
        policy.save(folder);
        value.save(folder.resolve(VALUE));
    }

    @Override
    public void load(Path folder) throws IOException {
        policy.load(folder);
        value.load(folder.resolve(VALUE));
    }
}
