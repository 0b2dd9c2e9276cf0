package dev.align4j.train.dpo;

import dev.align4j.data.TruncationMode;
import dev.align4j.train.Configs;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.DpoLossType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DPOConfig reads TRL's keys with TRL's defaults and refuses bad values by name. */
class DPOConfigTest {

    static DPOConfig load(Path file, String... overrides) throws IOException {
        List<String> args = new ArrayList<>(List.of("--output_dir", "out", "--model_name_or_path", "m", "--dataset_name", "d.jsonl"));
        args.addAll(List.of(overrides));
        return Configs.load(file, args, DPOConfig.class);
    }

    static String error(String... overrides) {
        return assertThrows(IllegalArgumentException.class, () -> load(null, overrides)).getMessage();
    }

    @Test
    void defaultsAreTrlsAndThePapers() throws IOException {
        DPOConfig c = load(null);
        assertEquals(1e-6, c.learningRate);
        assertEquals(10, c.loggingSteps);
        assertTrue(c.gradientCheckpointing);
        DpoLoss.Options o = c.lossOptions();
        assertEquals(0.1, o.beta());
        assertEquals(List.of(DpoLossType.SIGMOID), o.lossTypes());
        assertEquals(List.of(1.0), o.lossWeights());
        assertFalse(o.referenceFree() || o.rpoAlpha().isPresent());
        assertEquals(OptionalInt.of(1024), c.preferenceOptions().maxLength());
        assertEquals(OptionalInt.empty(), c.preferenceOptions().maxPromptLength());
    }

    @Test
    void aYamlOfTrlKeysBecomesTheLossAndTruncationOptions(@TempDir Path dir) throws IOException {
        Path yaml = dir.resolve("dpo.yaml");
        Files.writeString(yaml, """
                beta: 0.05
                loss_type: [sigmoid, bco_pair, sft]   # MPO's combination
                loss_weights: [0.8, 0.2, 1.0]
                rpo_alpha: 1.0
                max_prompt_length: 128
                max_completion_length: 256
                max_length: 512
                truncation_mode: keep_end
                """);
        DPOConfig c = load(yaml);
        DpoLoss.Options o = c.lossOptions();
        assertEquals(0.05, o.beta());
        assertEquals(List.of(DpoLossType.SIGMOID, DpoLossType.BCO_PAIR, DpoLossType.SFT), o.lossTypes());
        assertEquals(List.of(0.8, 0.2, 1.0), o.lossWeights());
        assertEquals(1.0, o.rpoAlpha().getAsDouble());
        var p = c.preferenceOptions();
        assertEquals(OptionalInt.of(128), p.maxPromptLength());
        assertEquals(OptionalInt.of(256), p.maxCompletionLength());
        assertEquals(OptionalInt.of(512), p.maxLength());
        assertEquals(TruncationMode.KEEP_END, p.truncationMode());

        assertEquals(List.of(DpoLossType.IPO), load(yaml, "--loss_type", "ipo", "--loss_weights", "1").lossOptions().lossTypes(),
                "a single loss type on the command line is a list of one");
        assertTrue(load(yaml, "--max_length", "null").preferenceOptions().maxLength().isEmpty(), "null is no limit");
    }

    @Test
    void aBadLossTypeIsNamedWithTheNearestTypes() {
        String m = error("--loss_type", "sigmod");
        assertTrue(m.contains("loss_type \"sigmod\"") && m.contains("did you mean sigmoid"), m);
        assertTrue(m.contains("apo_zero"), "the valid types are listed: " + m);
        m = error("--loss_type", "[sigmoid, ipo_pair]");
        assertTrue(m.contains("\"ipo_pair\"") && m.contains("did you mean"), m);
    }

    @Test
    void inconsistentValuesAreRefusedByName() {
        assertTrue(error("--loss_type", "[sigmoid, ipo]", "--loss_weights", "[1.0]").contains("loss_weights has 1 weights for 2"));
        assertTrue(error("--beta", "0").contains("beta must be > 0"));
        assertTrue(error("--label_smoothing", "0.1").contains("label_smoothing 0.1 is used by none"));
        assertTrue(error("--truncation_mode", "keep_middle").contains("truncation_mode"));
        assertTrue(error("--max_completion_length", "0").contains("max_completion_length"));
        assertTrue(error("--use_peft", "true", "--ref_model_name_or_path", "r").contains("use_peft"));
        assertTrue(error("--reference_free", "true", "--ref_model_name_or_path", "r").contains("reference_free"));
        String m = error("--betaa", "0.1");
        assertTrue(m.contains("did you mean beta"), m);
        for (String e : List.of(error("--beta", "0"), error("--loss_type", "x"))) assertTrue(e.startsWith("config: "), e);
    }
}
