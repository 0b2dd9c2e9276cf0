package dev.align4j.cli;

import dev.align4j.train.Progress;
import dev.align4j.train.sft.PretrainConfig;
import dev.align4j.train.sft.Pretraining;
import picocli.CommandLine.Command;

/**
 * {@code align4j pretrain --config pretrain.yaml [--key value ...]}: a small base model trained from
 * scratch on raw text ({@link PretrainConfig}); {@code --help} lists every key with its default.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a model from scratch on raw text: an architecture config (config_name or model_config), a tokenizer, text rows.")
public final class PretrainCommand extends TrainCommand<PretrainConfig> {

    public PretrainCommand() {
        super(PretrainConfig.class);
    }

    @Override
    Training.Job job(PretrainConfig c, Progress progress) throws Exception {
        return Training.Job.of(Pretraining.create(c, progress));
    }
}
