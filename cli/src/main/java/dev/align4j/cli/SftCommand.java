package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.sft.SFTConfig;
import dev.align4j.train.sft.SftTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j sft --config sft.yaml [--key value ...]}: supervised fine-tuning with TRL's
 * SFTConfig names ({@link SFTConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised fine-tuning (TRL's SFTTrainer): --config sft.yaml, then any key as --key value.")
public final class SftCommand extends TrainCommand<SFTConfig> {

    public SftCommand() {
        super(SFTConfig.class);
    }

    @Override
    Training.Job job(SFTConfig c, Progress progress) throws Exception {
        return Training.Job.of(SftTrainer.create(c, progress));
    }
}
