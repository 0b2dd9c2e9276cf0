package dev.align4j.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigsTest {

    @Test
    void yamlThenOverridesUnderTrlNames(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "output_dir: out\nlearning_rate: 2.0e-5\nper_device_train_batch_size: 4\nlr_scheduler_type: cosine\n"
                + "lr_scheduler_kwargs: {min_lr_rate: 0.1}\n");
        TrainingArguments a = Configs.load(file, List.of("--learning_rate", "1e-4", "--gradient-accumulation-steps=8",
                "--logging_first_step", "true"), TrainingArguments.class);
        assertEquals("out", a.outputDir);
        assertEquals(1e-4, a.learningRate);
        assertEquals(4, a.perDeviceTrainBatchSize);
        assertEquals(8, a.gradientAccumulationSteps);
        assertTrue(a.loggingFirstStep);
        assertEquals(0.1, a.lrSchedulerKwargs.get("min_lr_rate"));
        assertEquals(500, a.loggingSteps, "transformers' default");
    }

    @Test
    void anUnknownKeySuggestsTheNearestNames(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "output_dir: out\nlearning_rat: 1e-5\n");
        var e = assertThrows(IllegalArgumentException.class, () -> Configs.load(file, List.of(), TrainingArguments.class));
        assertTrue(e.getMessage().contains("unknown key \"learning_rat\"") && e.getMessage().contains("did you mean learning_rate"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Configs.load(null, List.of("--output_dir", "o", "--sead", "3"),
                TrainingArguments.class));
        assertTrue(e.getMessage().contains("\"sead\"") && e.getMessage().contains("seed"), e.getMessage());
    }

    @Test
    void qloraOptionsTakeTrlAndBitsandbytesNames(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "output_dir: out\nuse_peft: true\nload_in_4bit: true\nbnb_4bit_quant_type: fp4\n"
                + "bnb_4bit_use_double_quant: true\n");
        TrainingArguments a = Configs.load(file, List.of(), TrainingArguments.class);
        assertTrue(a.loadIn4bit && a.useBnbNestedQuant);
        assertEquals(new dev.align4j.models.Quantization(dev.align4j.tensor.QuantType.FP4, true), PeftArguments.quantization(a));
        a = Configs.load(null, List.of("--output_dir", "o", "--use_peft", "true", "--load_in_4bit", "true",
                "--use_bnb_nested_quant", "false", "--lora_target_modules", "all-linear"), TrainingArguments.class);
        assertEquals(List.of("all-linear"), a.loraTargetModules, "a single value is a list of one, as TRL's parser takes it");
        assertEquals(new dev.align4j.models.Quantization(dev.align4j.tensor.QuantType.NF4, false), PeftArguments.quantization(a),
                "TRL's defaults: nf4, no nested quantisation");
        assertEquals(null, PeftArguments.quantization(Configs.load(null, List.of("--output_dir", "o"), TrainingArguments.class)));
        assertTrue(String.join("\n", Configs.keys(TrainingArguments.class)).contains("bnb_4bit_quant_type"));

        var e = assertThrows(IllegalArgumentException.class, () -> Configs.load(null, List.of("--output_dir", "o",
                "--load_in_4bit", "true"), TrainingArguments.class));
        assertTrue(e.getMessage().contains("load_in_4bit") && e.getMessage().contains("use_peft"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Configs.load(null, List.of("--output_dir", "o", "--use_peft", "true",
                "--load_in_4bit", "true", "--bnb_4bit_quant_type", "int4"), TrainingArguments.class));
        assertTrue(e.getMessage().contains("bnb_4bit_quant_type") && e.getMessage().contains("int4"), e.getMessage());
    }

    @Test
    void yamlErrorsNameTheLineAndTypeErrorsTheKey(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "output_dir: out\nlearning_rate: [1\nseed: 3\n");
        var e = assertThrows(IllegalArgumentException.class, () -> Configs.load(file, List.of(), TrainingArguments.class));
        assertTrue(e.getMessage().startsWith(file + ", line ") && e.getMessage().contains("not valid YAML"), e.getMessage());
        Files.writeString(file, "output_dir: out\nper_device_train_batch_size: four\n");
        e = assertThrows(IllegalArgumentException.class, () -> Configs.load(file, List.of(), TrainingArguments.class));
        assertTrue(e.getMessage().contains("per_device_train_batch_size must be an integer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Configs.load(null, List.of("--output_dir", "o", "--warmup_ratio", "2"),
                TrainingArguments.class));
        assertEquals("config: warmup_ratio must be in [0, 1], got 2.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Configs.load(null, List.of("--learning_rate", "1"), TrainingArguments.class));
        assertTrue(e.getMessage().contains("output_dir is required"), e.getMessage());
    }
}
