package dev.align4j.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code align4j bench …}: speed and memory benchmarks. Each prints ratios against a reference
 * measured in the same run, because these machines are shared and noisy.
 */
@Command(name = "bench",
        description = "Benchmarks: speed and memory against a reference measured in the same run.",
        mixinStandardHelpOptions = true,
        subcommands = {GemmBench.class, AttentionBench.class, ForwardBench.class, GenerateBench.class, TrainBench.class,
                PeftBench.class, DpoBench.class, PpoBench.class, GrpoBench.class, RecipeBench.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
