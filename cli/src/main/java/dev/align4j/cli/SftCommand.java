package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.sft.SFTConfig;
import dev.align4j.train.sft.SftTrainer;
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
 * {@code align4j sft --config sft.yaml [--key value ...]}: supervised fine-tuning with TRL's
 * SFTConfig names ({@link SFTConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised fine-tuning (TRL's SFTTrainer): --config sft.yaml, then any key as --key value.")
public final class SftCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of SFTConfig keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SFTConfig c = Configs.load(config, overrides, SFTConfig.class);
        TrainerLoop<?> loop = SftTrainer.create(c, Progress.forConsole(c.disableTqdm, spec.commandLine().getErr()));
        return Training.run(loop, spec.commandLine().getErr());
    }

    /** The keys and their defaults, shown under {@code --help}. */
    static String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(SFTConfig.class));
    }
}
