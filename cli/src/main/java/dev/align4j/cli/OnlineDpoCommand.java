package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.grpo.OnlineDPOConfig;
import dev.align4j.train.grpo.OnlineDpoTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j online-dpo --config online_dpo.yaml [--key value ...]}: online DPO with reward
 * functions ranking each prompt's two fresh completions, TRL's OnlineDPOConfig names
 * ({@link OnlineDPOConfig}); {@code --help} lists every key with its default. Ctrl-C finishes the
 * step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true} continues.
 */
@Command(name = "online-dpo", mixinStandardHelpOptions = true,
        description = "Online DPO: two completions per prompt ranked by reward functions (TRL's OnlineDPOTrainer): --config, then any key as --key value.")
public final class OnlineDpoCommand extends TrainCommand<OnlineDPOConfig> {

    public OnlineDpoCommand() {
        super(OnlineDPOConfig.class);
    }

    @Override
    Training.Job job(OnlineDPOConfig c, Progress progress) throws Exception {
        return Training.Job.of(OnlineDpoTrainer.create(c, progress));
    }
}
