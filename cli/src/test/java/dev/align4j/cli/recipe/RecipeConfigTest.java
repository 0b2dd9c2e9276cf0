package dev.align4j.cli.recipe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipeConfigTest {

    static Path write(Path dir, String yaml) throws IOException {
        return Files.writeString(dir.resolve("recipe.yaml"), yaml);
    }

    @Test
    void defaultsAndStagesFollowTheMethod(@TempDir Path dir) throws IOException {
        RecipeConfig c = RecipeConfig.load(null);
        assertEquals(List.of("sft", "reward", "grpo"), c.stageNames());
        assertNull(c.model, "the built-in model");
        c.rl = "dpo";
        assertEquals(List.of("sft", "dpo"), c.stageNames(), "DPO needs no reward model");
        c.rl = "ppo";
        assertEquals(List.of("sft", "reward", "ppo"), c.stageNames());
        c.rl = "none";
        assertEquals(List.of("sft"), c.stageNames());

        RecipeConfig read = RecipeConfig.load(write(dir, """
                output_dir: out
                model: models/qwen
                rl: kto
                n: 500
                eval: {limit: 10, max_gen_toks: 32}
                stages:
                  sft:
                    learning_rate: 1.0e-5
                    reuse: done/sft
                  kto: {skip: true, beta: 0.2}
                """));
        assertEquals(dir.resolve("out"), read.outputDir, "paths are read from the config's folder");
        assertEquals(dir.resolve("models/qwen"), read.model);
        assertEquals(List.of("sft", "kto"), read.stageNames());
        assertEquals(dir.resolve("done/sft"), read.reused("sft"));
        assertTrue(read.skipped("kto"));
        assertFalse(read.skipped("sft"));
        assertEquals(1.0e-5, read.trainerKeys("sft").get("learning_rate").asDouble());
        assertFalse(read.trainerKeys("sft").has("reuse"), "reuse and skip are the recipe's, not the trainer's");
        assertEquals(0.2, read.trainerKeys("kto").get("beta").asDouble());
        assertEquals(10, read.evalLimit);
        assertEquals(500, read.n);
    }

    @Test
    void errorsNameTheLineAtFault(@TempDir Path dir) throws IOException {
        Path stage = write(dir, "rl: grpo\nstages:\n  sft:\n    max_steps: 5\n  dpo:\n    beta: 0.1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.load(stage));
        assertTrue(e.getMessage().startsWith(stage + ", line 5: stage \"dpo\" does not exist in this recipe") && e.getMessage().contains("set rl: dpo"),
                e.getMessage());

        Path typo = write(dir, "seed: 3\nout_dir: x\n");
        e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.load(typo));
        assertTrue(e.getMessage().startsWith(typo + ", line 2: unknown key \"out_dir\"") && e.getMessage().contains("output_dir"), e.getMessage());

        Path method = write(dir, "\nrl: sppo\n");
        e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.load(method));
        assertTrue(e.getMessage().startsWith(method + ", line 2: rl \"sppo\" is not one of"), e.getMessage());

        Path evalKey = write(dir, "eval: {limit: 5, max_new_tokens: 3}\n");
        e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.load(evalKey));
        assertTrue(e.getMessage().startsWith(evalKey + ", line 1: unknown key \"max_new_tokens\" under eval"), e.getMessage());

        Path number = write(dir, "task: arithmetic\nn: many\n");
        e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.load(number));
        assertTrue(e.getMessage().startsWith(number + ", line 2: n must be an integer"), e.getMessage());

        Path ppo = write(dir, "rl: ppo\nstages:\n  reward: {skip: true}\n");
        e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.load(ppo));
        assertTrue(e.getMessage().startsWith(ppo + ", line 3: ppo trains against the reward model"), e.getMessage());

        Path where = write(dir, "stages:\n  sft:\n    max_steps: 5\n    dataset_name: data.jsonl\n");
        assertEquals(where + ", line 4: ", RecipeConfig.load(where).where("stages.sft.dataset_name"));
    }
}
