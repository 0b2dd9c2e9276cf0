package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.kto.KTOConfig;
import dev.align4j.train.kto.KtoTrainer;
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
 * {@code align4j kto --config kto.yaml [--key value ...]}: Kahneman-Tversky optimisation with TRL's
 * KTOConfig names ({@link KTOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "kto", mixinStandardHelpOptions = true,
        description = "Kahneman-Tversky optimisation (TRL's KTOTrainer): --config kto.yaml, then any key as --key value.")
public final class KtoCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of KTOConfig keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        KTOConfig c = Configs.load(config, overrides, KTOConfig.class);
        TrainerLoop<?> loop = KtoTrainer.create(c, Progress.forConsole(c.disableTqdm, spec.commandLine().getErr()));
        return Training.run(loop, spec.commandLine().getErr());
    }

    /** The keys and their defaults, shown under {@code --help}. */
    static String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(KTOConfig.class));
    }
}
