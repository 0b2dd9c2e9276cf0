package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.kto.KTOConfig;
import dev.align4j.train.kto.KtoTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j kto --config kto.yaml [--key value ...]}: Kahneman-Tversky optimisation with TRL's
 * KTOConfig names ({@link KTOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "kto", mixinStandardHelpOptions = true,
        description = "Kahneman-Tversky optimisation (TRL's KTOTrainer): --config kto.yaml, then any key as --key value.")
public final class KtoCommand extends TrainCommand<KTOConfig> {

    public KtoCommand() {
        super(KTOConfig.class);
    }

    @Override
    Training.Job job(KTOConfig c, Progress progress) throws Exception {
        return Training.Job.of(KtoTrainer.create(c, progress));
    }
}
