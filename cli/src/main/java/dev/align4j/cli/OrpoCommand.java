package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.orpo.ORPOConfig;
import dev.align4j.train.orpo.OrpoTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j orpo --config orpo.yaml [--key value ...]}: odds-ratio preference optimisation with TRL's
 * ORPOConfig names ({@link ORPOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "orpo", mixinStandardHelpOptions = true,
        description = "Odds-ratio preference optimisation (TRL's ORPOTrainer): --config orpo.yaml, then any key as --key value.")
public final class OrpoCommand extends TrainCommand<ORPOConfig> {

    public OrpoCommand() {
        super(ORPOConfig.class);
    }

    @Override
    Training.Job job(ORPOConfig c, Progress progress) throws Exception {
        return Training.Job.of(OrpoTrainer.create(c, progress));
    }
}
