package dev.align4j.train.reward;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.io.safetensors.DType;
import dev.align4j.train.ModelState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fully trained reward model's checkpoint part: a Hugging Face sequence-classification folder in
 * float32 ({@link ScoreModels#save}), with the tokenizer files of the folder it started from, so
 * transformers' {@code AutoModelForSequenceClassification} and {@code align4j score} load it; resume
 * copies its tensors back into the live model's.
 *
 * @param loaded the reward model being trained and where it came from
 */
public record ScoreModelState(ScoreModels.Loaded loaded) implements ModelState {

    @Override
    public void save(Path folder) throws IOException {
        SaveOptions options = SaveOptions.defaults().withDtype(DType.F32);
        boolean hasTokenizer = HfModels.TOKENIZER_FILES.stream().anyMatch(f -> Files.isRegularFile(loaded.folder().resolve(f)));
        ScoreModels.save(loaded.model(), loaded.config(), folder, hasTokenizer ? options.withTokenizerFrom(loaded.folder()) : options);
    }

    @Override
    public void load(Path folder) throws IOException {
        ScoreModels.Loaded saved = ScoreModels.load(folder, LoadOptions.defaults(), loaded.model().padTokenId(), 0);
        ModelState.copy(saved.model().parameters(), loaded.model().parameters(), folder);
    }
}
