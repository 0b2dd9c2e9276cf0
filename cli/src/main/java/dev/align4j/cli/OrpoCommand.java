package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.orpo.ORPOConfig;
import dev.align4j.train.orpo.OrpoTrainer;
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
 * {@code align4j orpo --config orpo.yaml [--key value ...]}: odds-ratio preference optimisation with TRL's
 * ORPOConfig names ({@link ORPOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "orpo", mixinStandardHelpOptions = true,
        description = "Odds-ratio preference optimisation (TRL's ORPOTrainer): --config orpo.yaml, then any key as --key value.")
public final class OrpoCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of ORPOConfig keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ORPOConfig c = Configs.load(config, overrides, ORPOConfig.class);
        TrainerLoop<?> loop = OrpoTrainer.create(c, Progress.forConsole(c.disableTqdm, spec.commandLine().getErr()));
        return Training.run(loop, spec.commandLine().getErr());
    }

    /** The keys and their defaults, shown under {@code --help}. */
    static String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(ORPOConfig.class));
    }
}
