package dev.align4j.train.sft;

import dev.align4j.data.Batch;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfConfig;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Pretraining: a new model of the configured architecture ({@link HfModels#initialize}, seeded),
 * trained with the SFT pipeline on language-modeling rows — every token is a target — and saved as a
 * Hugging Face model folder with the tokenizer beside it. Resuming reads the weights from the
 * checkpoint, so the new model's initial values do not matter then.
 */
public final class Pretraining {
    private Pretraining() {}

    public static TrainerLoop<Batch> create(PretrainConfig c, Progress progress) throws IOException {
        c.validate();
        HfConfig config;
        if (c.configName != null) {
            Path p = Path.of(c.configName);
            config = HfConfig.read(Files.isDirectory(p) ? p.resolve("config.json") : p);
        } else {
            config = HfConfig.parse(JsonLines.MAPPER.writeValueAsString(c.modelConfig), "model_config");
        }
        Path tokenizer = Path.of(c.tokenizerName);
        LoadedModel model = HfModels.initialize(config, tokenizer, c.seed);
        progress.message("pretrain: a new " + config.modelType() + " of "
                + model.model().parameters().values().stream().mapToLong(t -> t.numel()).sum() + " parameters");
        return SftTrainer.create(c, model, tokenizer, progress);
    }
}
