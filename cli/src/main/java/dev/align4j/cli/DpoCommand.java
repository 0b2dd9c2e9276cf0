package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.dpo.DPOConfig;
import dev.align4j.train.dpo.DpoTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j dpo --config dpo.yaml [--key value ...]}: direct preference optimisation with TRL's
 * DPOConfig names ({@link DPOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "dpo", mixinStandardHelpOptions = true,
        description = "Direct preference optimisation (TRL's DPOTrainer): --config dpo.yaml, then any key as --key value.")
public final class DpoCommand extends TrainCommand<DPOConfig> {

    public DpoCommand() {
        super(DPOConfig.class);
    }

    @Override
    Training.Job job(DPOConfig c, Progress progress) throws Exception {
        return Training.Job.of(DpoTrainer.create(c, progress));
    }
}
