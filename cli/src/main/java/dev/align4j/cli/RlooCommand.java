package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.grpo.RLOOConfig;
import dev.align4j.train.grpo.RlooTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j rloo --config rloo.yaml [--key value ...]}: REINFORCE leave-one-out with TRL's
 * RLOOConfig names ({@link RLOOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "rloo", mixinStandardHelpOptions = true,
        description = "REINFORCE leave-one-out with reward functions (TRL's RLOOTrainer): --config rloo.yaml, then any key as --key value.")
public final class RlooCommand extends TrainCommand<RLOOConfig> {

    public RlooCommand() {
        super(RLOOConfig.class);
    }

    @Override
    Training.Job job(RLOOConfig c, Progress progress) throws Exception {
        return Training.Job.of(RlooTrainer.create(c, progress));
    }
}
