package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.reward.RewardConfig;
import dev.align4j.train.reward.RewardTrainer;
import picocli.CommandLine.Command;

/**
 * {@code align4j reward --config reward.yaml [--key value ...]}: reward modelling with TRL's
 * RewardConfig names ({@link RewardConfig}); {@code --help} lists every key with its default. The
 * output folder is a Hugging Face sequence-classification model (or, with {@code use_peft}, a PEFT
 * adapter of task SEQ_CLS). Ctrl-C finishes the step in progress, saves a checkpoint and exits;
 * {@code --resume_from_checkpoint true} continues from the latest one.
 */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = "Train a reward model on preference pairs (TRL's RewardTrainer): --config reward.yaml, then any key as --key value.")
public final class RewardCommand extends TrainCommand<RewardConfig> {

    public RewardCommand() {
        super(RewardConfig.class);
    }

    @Override
    Training.Job job(RewardConfig c, Progress progress) throws Exception {
        return Training.Job.of(RewardTrainer.create(c, progress));
    }
}
