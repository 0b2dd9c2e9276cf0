package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.cpo.CpoTrainer;
import dev.align4j.train.cpo.SimPOConfig;
import picocli.CommandLine.Command;

/**
 * {@code align4j simpo --config simpo.yaml [--key value ...]}: SimPO, TRL's CPOTrainer with
 * loss_type simpo and cpo_alpha 0 by default ({@link SimPOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "simpo", mixinStandardHelpOptions = true,
        description = "SimPO (TRL's CPOTrainer with loss_type simpo, cpo_alpha 0): --config simpo.yaml, then any key as --key value.")
public final class SimpoCommand extends TrainCommand<SimPOConfig> {

    public SimpoCommand() {
        super(SimPOConfig.class);
    }

    @Override
    Training.Job job(SimPOConfig c, Progress progress) throws Exception {
        return Training.Job.of(CpoTrainer.create(c, progress));
    }
}
