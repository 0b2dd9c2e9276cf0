package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.grpo.GRPOConfig;
import dev.align4j.train.grpo.GrpoTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j grpo --config grpo.yaml [--key value ...]}: group relative policy optimisation with
 * TRL's GRPOConfig names ({@link GRPOConfig}); {@code --help} lists every key with its default.
 * Ctrl-C finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint
 * true} continues from the latest one.
 */
@Command(name = "grpo", mixinStandardHelpOptions = true,
        description = "Group relative policy optimisation with reward functions (TRL's GRPOTrainer): --config grpo.yaml, then any key as --key value.")
public final class GrpoCommand extends TrainCommand<GRPOConfig> {

    public GrpoCommand() {
        super(GRPOConfig.class);
    }

    @Override
    Training.Job job(GRPOConfig c, Progress progress) throws Exception {
        return Training.Job.of(GrpoTrainer.create(c, progress));
    }
}
