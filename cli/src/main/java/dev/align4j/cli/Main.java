package dev.align4j.cli;

import dev.align4j.cli.bench.BenchCommand;
import dev.align4j.cli.serve.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code align4j} command: picocli subcommands, one per job. */
@Command(name = "align4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "LLM post-training on the JVM: SFT, reward models, PPO, DPO, GRPO, LoRA, generation, evaluation.",
        subcommands = {InspectCommand.class, LogprobsCommand.class, RenderCommand.class, GenerateCommand.class, ChatCommand.class,
                ServeCommand.class, SftCommand.class, DpoCommand.class, KtoCommand.class, OrpoCommand.class, CpoCommand.class, RewardCommand.class, ScoreCommand.class, EvalCommand.class, LabelCommand.class, PpoCommand.class, GrpoCommand.class, RlooCommand.class, OnlineDpoCommand.class, SimpoCommand.class, PretrainCommand.class, RecipeCommand.class, DataCommand.class, MergeCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests that run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        for (CommandLine sub : cmd.getSubcommands().values()) {
            if (sub.getCommand() instanceof TrainCommand<?> train) sub.getCommandSpec().usageMessage().footer(train.keys());
        }
        return cmd
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(Main::reportError);
    }

    /**
     * Bad input (IllegalArgumentException: a file, line, field, tensor or shape is named in the
     * message) and I/O failures print one clear line and exit 1; anything else is a bug and keeps
     * its stack trace.
     */
    private static int reportError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        if (e instanceof IllegalArgumentException || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
            cmd.getErr().println("align4j " + cmd.getCommandName() + ": error: " + e.getMessage());
            return 1;
        }
        throw e;
    }

    @Override
    public void run() { // no subcommand: show what there is
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"align4j " + (v != null ? v : "(development build)"),
                    "Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores"};
        }
    }
}
