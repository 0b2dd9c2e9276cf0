package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.sft.PretrainConfig;
import dev.align4j.train.sft.Pretraining;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code align4j pretrain --config pretrain.yaml [--key value ...]}: a small base model trained from
 * scratch on raw text ({@link PretrainConfig}); {@code --help} lists every key with its default.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a model from scratch on raw text: an architecture config (config_name or model_config), a tokenizer, text rows.")
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of pretraining keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PretrainConfig c = Configs.load(config, overrides, PretrainConfig.class);
        return Training.run(Pretraining.create(c, Progress.forConsole(c.disableTqdm, spec.commandLine().getErr())),
                spec.commandLine().getErr());
    }

    static String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(PretrainConfig.class));
    }
}
