package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j recipe} shortened to a few steps per stage on the built-in model and world: every
 * stage runs and is evaluated, the report has every section, a run stopped after a stage goes on
 * from there, and bad input is refused before the first stage with the config line at fault.
 */
class RecipeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path config(Path dir, String more) throws IOException {
        return Files.writeString(dir.resolve("recipe.yaml"), """
                output_dir: out
                n: 200
                eval_n: 20
                eval: {limit: 6, max_gen_toks: 24}
                stages:
                  sft: {max_steps: 4, logging_steps: 1}
                  reward: {max_steps: 3, logging_steps: 1}
                  grpo: {max_steps: 2, per_device_train_batch_size: 16, max_completion_length: 16, logging_steps: 1}
                """ + more);
    }

    @Test
    void aShortRecipeRunsEveryStageWritesTheReportAndResumes(@TempDir Path dir) throws IOException {
        Object[] r = MainTest.run("recipe", "--config", config(dir, "").toString());
        assertEquals(0, r[0], (String) r[2]);
        Path out = dir.resolve("out");
        String html = Files.readString(out.resolve("report.html"));
        for (String section : List.of("id=\"summary\"", "id=\"metrics\"", "id=\"curves\"", "id=\"samples\"")) {
            assertTrue(html.contains(section), section);
        }
        for (String stage : List.of("base", "sft", "reward", "grpo")) assertTrue(html.contains("data-stage=\"" + stage + "\""), stage);
        assertTrue(html.contains("<polyline"), "the stages' curves are drawn");
        JsonNode state = JSON.readTree(out.resolve("recipe_state.json").toFile());
        assertEquals(List.of("base", "sft", "reward", "grpo"), names(state.get("stages")));
        assertTrue(state.at("/stages/sft/held_out/format_rate").isNumber());
        assertTrue(state.at("/stages/reward/held_out/reward_model_accuracy").isNumber());
        assertTrue(state.at("/stages/grpo/held_out/kl_to_sft").isNumber());
        String table = (String) r[2];
        assertTrue(table.contains("stage          accuracy  format_rate"), table);

        // A run stopped after the reward model goes on with GRPO alone.
        ((ObjectNode) state.get("stages")).remove("grpo");
        Files.writeString(out.resolve("recipe_state.json"), state.toString());
        r = MainTest.run("recipe", "--config", dir.resolve("recipe.yaml").toString());
        assertEquals(0, r[0], (String) r[2]);
        String err = (String) r[2];
        assertTrue(err.contains("sft finished before") && err.contains("reward finished before") && err.contains("recipe: grpo (GRPO)"), err);
        assertFalse(err.contains("recipe: sft (SFT)"), err);
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void badInputStopsBeforeTheFirstStageNamingTheLine(@TempDir Path dir) throws IOException {
        Path pairs = Files.writeString(dir.resolve("pairs.jsonl"), "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
        Path wrongType = Files.writeString(dir.resolve("wrong.yaml"), """
                output_dir: out
                n: 200
                eval_n: 20
                stages:
                  sft:
                    max_steps: 2
                    dataset_name: pairs.jsonl
                """);
        Object[] r = MainTest.run("recipe", "--config", wrongType.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains(wrongType + ", line 7: stage sft's dataset " + pairs + " holds preference rows"), (String) r[2]);
        assertFalse(Files.exists(dir.resolve("out/sft")), "nothing trained");

        Path noModel = Files.writeString(dir.resolve("model.yaml"), "output_dir: out2\nmodel: nowhere\n");
        r = MainTest.run("recipe", "--config", noModel.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains(noModel + ", line 2: " + dir.resolve("nowhere") + " is not a model folder"), (String) r[2]);
    }
}
