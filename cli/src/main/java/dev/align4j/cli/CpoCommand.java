package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.cpo.CPOConfig;
import dev.align4j.train.cpo.CpoTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j cpo --config cpo.yaml [--key value ...]}: contrastive preference optimisation with TRL's
 * CPOConfig names ({@link CPOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "cpo", mixinStandardHelpOptions = true,
        description = "Contrastive preference optimisation (TRL's CPOTrainer): --config cpo.yaml, then any key as --key value.")
public final class CpoCommand extends TrainCommand<CPOConfig> {

    public CpoCommand() {
        super(CPOConfig.class);
    }

    @Override
    Training.Job job(CPOConfig c, Progress progress) throws Exception {
        return Training.Job.of(CpoTrainer.create(c, progress));
    }
}
