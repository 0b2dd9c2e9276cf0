package dev.align4j.cli.bench;

import dev.align4j.cli.Recipe;
import dev.align4j.cli.recipe.RecipeConfig;
import dev.align4j.eval.report.StageReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code align4j bench recipe}: the full default recipe ({@code align4j recipe} with no config: the
 * built-in base model, SFT, a reward model, GRPO on the built-in arithmetic tasks) timed end to end,
 * in a fresh output folder so nothing is resumed. Prints the wall time and, as its last lines, the
 * per-stage held-out table (accuracy, format rate, reward-model accuracy, KL to SFT): the numbers
 * that say whether each stage helped.
 */
@Command(name = "recipe", mixinStandardHelpOptions = true,
        description = "The default recipe end to end (built-in model: SFT, reward model, GRPO); last lines the per-stage held-out table.")
public final class RecipeBench implements Runnable {

    @Option(names = "--rl", defaultValue = "grpo", description = "The RL or preference stage (default: ${DEFAULT-VALUE}).")
    String rl;

    @Option(names = "--output-dir", description = "Where the run goes (default: a new temporary folder); it must not hold a run already.")
    Path outputDir;

    @Override
    public void run() {
        try {
            Path out = outputDir != null ? outputDir : Files.createTempDirectory("align4j-bench-recipe");
            if (Files.exists(out.resolve("recipe_state.json"))) {
                throw new IllegalArgumentException(out + " holds a recipe run already; the bench times a whole run: give a new folder");
            }
            RecipeConfig c = RecipeConfig.load(null);
            c.rl = rl;
            c.outputDir = out;
            c.validate();
            PrintWriter err = new PrintWriter(System.err, true);
            long start = System.nanoTime();
            List<StageReport> stages = new Recipe(c, err).run();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("recipe: %s in %.0f s (%.1f min) on %d cores; report %s%n", String.join(" → ", stages.stream().map(StageReport::name).toList()),
                    seconds, seconds / 60, Runtime.getRuntime().availableProcessors(), out.resolve("report.html"));
            System.out.println(Recipe.table(stages));
        } catch (Exception e) {
            throw new IllegalStateException("bench recipe: " + e.getMessage(), e);
        }
    }
}
