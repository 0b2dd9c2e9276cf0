package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.ppo.PPOConfig;
import dev.align4j.train.ppo.PpoTrainer;
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
 * {@code align4j ppo --config ppo.yaml [--key value ...]}: PPO against a reward model with TRL's
 * PPOConfig names ({@link PPOConfig}); {@code --help} lists every key with its default. It reads its
 * config as the other training commands do ({@link TrainCommand}), but runs its own loop of rollouts
 * and PPO epochs rather than the shared trainer loop. Ctrl-C finishes the update in progress, saves
 * a checkpoint and exits; {@code --resume_from_checkpoint true} continues from the latest one.
 */
@Command(name = "ppo", mixinStandardHelpOptions = true,
        description = "PPO against a reward model (TRL's PPOTrainer): --config ppo.yaml, then any key as --key value.")
public final class PpoCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of PPOConfig's keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PPOConfig c = config();
        var err = spec.commandLine().getErr();
        PpoTrainer trainer = PpoTrainer.create(c, Progress.forConsole(c.disableTqdm, err));
        PpoTrainer.Result r = Training.untilInterrupted(trainer::requestStop, trainer::run, err);
        err.println((r.stoppedEarly() ? "stopped" : "done") + " at update " + r.updates() + " → " + r.outputDir());
        return r.stoppedEarly() ? 130 : 0;
    }

    /** The config file with the overrides on top, validated; no model or data file is opened yet. */
    PPOConfig config() throws java.io.IOException {
        return Configs.load(config, overrides, PPOConfig.class);
    }

    /** The keys and their defaults, shown under {@code --help}. */
    String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(PPOConfig.class));
    }
}
