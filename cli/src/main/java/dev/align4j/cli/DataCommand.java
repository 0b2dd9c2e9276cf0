package dev.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code align4j data …}: making datasets; {@code data synth} generates a task world with verifiable answers. */
@Command(name = "data",
        description = "Make datasets: 'data synth' generates tasks with verifiable answers in every post-training format.",
        mixinStandardHelpOptions = true,
        subcommands = {SynthCommand.class})
public final class DataCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
