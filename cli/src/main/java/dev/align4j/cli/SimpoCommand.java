package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.cpo.CpoTrainer;
import dev.align4j.train.cpo.SimPOConfig;
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
 * {@code align4j simpo --config simpo.yaml [--key value ...]}: SimPO, TRL's CPOTrainer with
 * loss_type simpo and cpo_alpha 0 by default ({@link SimPOConfig}); {@code --help} lists every key with its default. Ctrl-C
 * finishes the step in progress, saves a checkpoint and exits; {@code --resume_from_checkpoint true}
 * continues from the latest one.
 */
@Command(name = "simpo", mixinStandardHelpOptions = true,
        description = "SimPO (TRL's CPOTrainer with loss_type simpo, cpo_alpha 0): --config simpo.yaml, then any key as --key value.")
public final class SimpoCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of SimPOConfig keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SimPOConfig c = Configs.load(config, overrides, SimPOConfig.class);
        TrainerLoop<?> loop = CpoTrainer.create(c, Progress.forConsole(c.disableTqdm, spec.commandLine().getErr()));
        return Training.run(loop, spec.commandLine().getErr());
    }

    /** The keys and their defaults, shown under {@code --help}. */
    static String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(SimPOConfig.class));
    }
}
