package dev.align4j.cli;

import dev.align4j.cli.recipe.RecipeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code align4j recipe [--config recipe.yaml] [--rl METHOD] [--output-dir DIR]}: the whole of
 * post-training in one command. With no arguments the built-in base model learns the built-in
 * task world: SFT, a reward model, GRPO, the held-out evaluation after each stage, and
 * {@code OUTPUT_DIR/report.html} with every stage's curves, the held-out table and sample
 * completions before and after ({@link Recipe}; the config's keys are {@link RecipeConfig}'s).
 */
@Command(name = "recipe", mixinStandardHelpOptions = true,
        description = "Post-train end to end: base → SFT → reward model → RL (GRPO by default), evaluated after each stage; report.html.")
public final class RecipeCommand implements Callable<Integer> {

    @Option(names = "--config", description = "A recipe YAML (model, task, rl, eval, stages: each stage's trainer keys).")
    Path config;

    @Option(names = "--rl", description = "The RL or preference stage: grpo, ppo, dpo, kto, orpo, simpo, online-dpo, rloo, none (default: the config's, else grpo).")
    String rl;

    @Option(names = {"--output-dir", "--output_dir"}, description = "Where the stages, the state and report.html go (default: the config's, else recipe-out).")
    Path outputDir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RecipeConfig c = RecipeConfig.load(config);
        if (rl != null) c.rl = rl;
        if (outputDir != null) c.outputDir = outputDir;
        c.validate();
        new Recipe(c, spec.commandLine().getErr()).run();
        return 0;
    }
}
