package dev.align4j.cli;

import dev.align4j.eval.TaskConfig;
import dev.align4j.eval.TaskFiles;
import dev.align4j.train.PreferenceConfig;
import dev.align4j.train.TrainingArguments;
import dev.align4j.train.cpo.CPOConfig;
import dev.align4j.train.dpo.DPOConfig;
import dev.align4j.train.grpo.GRPOConfig;
import dev.align4j.train.kto.KTOConfig;
import dev.align4j.train.loss.CpoLoss;
import dev.align4j.train.loss.DpoLossType;
import dev.align4j.train.loss.KtoLoss;
import dev.align4j.train.ppo.PPOConfig;
import dev.align4j.train.reward.RewardConfig;
import dev.align4j.train.sft.SFTConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code examples/*.yaml} loads as {@code align4j COMMAND --config FILE} reads it — picocli's
 * parsing, then {@link TrainCommand#config}: the command's config class, unknown keys refused,
 * values validated — so a renamed key or a value out of range breaks the build. The command is the
 * file name up to its first {@code _} or {@code .} ({@code sft_lora.yaml} → {@code sft}). The
 * model and dataset paths stay placeholders: loading a config opens no file (the trainers do).
 */
class ExamplesTest {
    /** The repository's examples folder; tests run in the module folder, cli/. */
    static final Path EXAMPLES = Path.of("").toAbsolutePath().getParent().resolve("examples");

    static TrainingArguments load(String name) throws IOException {
        Path file = EXAMPLES.resolve(name);
        String command = name.split("[_.]", 2)[0];
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs(command, "--config", file.toString());
        TrainCommand<?> train = assertInstanceOf(TrainCommand.class, parsed.subcommand().commandSpec().userObject(), name);
        return train.config();
    }

    @Test
    void everyExampleLoadsThroughItsCommandsConfigParsing() throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
        assertEquals(List.of("cpo.yaml", "dpo.yaml", "dpo_ipo.yaml", "grpo.yaml", "kto.yaml", "orpo.yaml", "ppo.yaml", "reward.yaml", "sft.yaml", "sft_lora.yaml", "simpo.yaml"), names);
        for (String name : names) {
            TrainingArguments c = load(name);
            String[] modelAndData = switch (c) {
                case SFTConfig s -> new String[] {s.modelNameOrPath, s.datasetName};
                case PreferenceConfig p -> new String[] {p.modelNameOrPath, p.datasetName};
                case PPOConfig p -> new String[] {p.sftModelPath, p.datasetName};
                case GRPOConfig g -> new String[] {g.modelNameOrPath, g.datasetName};
                default -> throw new AssertionError(name + " loads as " + c.getClass());
            };
            assertEquals("path/to/model", modelAndData[0], name + ": the placeholder README tells users to replace");
            assertTrue(modelAndData[1].startsWith("path/to/"), name + ": " + modelAndData[1]);
        }
    }

    /** Each example is the method its name says: the keys that select it were read, not ignored. */
    @Test
    void eachExampleSelectsTheMethodItIsNamedFor() throws IOException {
        assertFalse(load("sft.yaml").usePeft);
        SFTConfig lora = (SFTConfig) load("sft_lora.yaml");
        assertTrue(lora.usePeft);
        assertEquals(List.of("all-linear"), lora.loraTargetModules);
        assertEquals(List.of(DpoLossType.SIGMOID), ((DPOConfig) load("dpo.yaml")).lossOptions().lossTypes());
        assertEquals(List.of(DpoLossType.IPO), ((DPOConfig) load("dpo_ipo.yaml")).lossOptions().lossTypes());
        assertEquals(KtoLoss.Type.KTO, ((KTOConfig) load("kto.yaml")).lossOptions().lossType());
        assertEquals(CpoLoss.Type.SIGMOID, ((CPOConfig) load("cpo.yaml")).lossOptions().lossType());
        GRPOConfig grpo = (GRPOConfig) load("grpo.yaml");
        assertEquals(List.of("accuracy_reward", "think_format_reward"), grpo.rewardFuncs);
        assertEquals(64, grpo.generationBatch());
        assertEquals(0.28, grpo.epsilonHigh);
        PPOConfig ppo = (PPOConfig) load("ppo.yaml");
        assertEquals("eos", ppo.stopToken);
        assertEquals(64, ppo.rolloutBatch());
        assertEquals("path/to/reward_model", ppo.rewardModelPath);
        RewardConfig reward = (RewardConfig) load("reward.yaml");
        assertEquals(0.01, reward.centerRewardsCoefficient);
        assertEquals(2048, reward.maxLength);
        CpoLoss.Options simpo = ((CPOConfig) load("simpo.yaml")).lossOptions();
        assertEquals(CpoLoss.Type.SIMPO, simpo.lossType());
        assertEquals(0.0, simpo.cpoAlpha());
        assertEquals(0.5, simpo.simpoGamma() / simpo.beta(), 1e-12, "γ/β as the SimPO authors keep it");
    }

    /** Every {@code examples/eval/*.yaml} task file reads as {@code align4j eval --tasks FILE} reads it. */
    @Test
    void evalTaskFilesRead() throws IOException {
        List<String> tasks = new ArrayList<>();
        try (var files = Files.list(EXAMPLES.resolve("eval"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (TaskConfig t : TaskFiles.read(f)) tasks.add(t.task + ":" + t.outputType);
            }
        }
        assertEquals(List.of("arc_easy:multiple_choice", "gsm8k:generate_until", "gsm8k_chat:generate_until", "mt_bench_single:judge_score",
                "win_rate_vs_baseline:win_rate", "wikitext:loglikelihood_rolling"), tasks);
    }
}
