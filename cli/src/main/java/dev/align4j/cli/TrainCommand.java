package dev.align4j.cli;

import dev.align4j.train.Configs;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainingArguments;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * What the training commands share ({@code sft}, {@code pretrain}, {@code dpo}, {@code kto},
 * {@code orpo}, {@code cpo}, {@code simpo}, {@code reward}, {@code ppo}, {@code grpo}, {@code rloo},
 * {@code online-dpo}): a YAML file of the trainer's config keys, then any key again as
 * {@code --key value}; the trainer's job run with a progress bar, Ctrl-C finishing the
 * step in progress, saving a checkpoint and exiting ({@link Training}); {@code --resume_from_checkpoint
 * true} continuing from the latest one. {@code --help} lists every key with its default
 * ({@link #keys}). A command names its config class and how its trainer builds the job.
 *
 * @param <C> the trainer's config, TRL's names
 */
abstract class TrainCommand<C extends TrainingArguments> implements Callable<Integer> {

    @Option(names = "--config", description = "A YAML file of the trainer's config keys.")
    Path config;

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private final Class<C> type;

    TrainCommand(Class<C> type) {
        this.type = type;
    }

    /** The trainer's job for a loaded config: its loop ({@link Training.Job#of}), or a loop of its own. */
    abstract Training.Job job(C config, Progress progress) throws Exception;

    @Override
    public Integer call() throws Exception {
        C c = config();
        return Training.run(job(c, Progress.forConsole(c.disableTqdm, spec.commandLine().getErr())), spec.commandLine().getErr());
    }

    /** The config file with the overrides on top, validated; no model or data file is opened yet. */
    C config() throws IOException {
        return Configs.load(config, overrides, type);
    }

    /** The keys and their defaults, shown under {@code --help}. */
    String keys() {
        return "Keys (YAML or --key value):%n" + String.join("%n", Configs.keys(type));
    }
}
