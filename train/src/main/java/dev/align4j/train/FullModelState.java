package dev.align4j.train;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.safetensors.DType;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Full fine-tuning's checkpoint part: the whole model as a Hugging Face folder in float32
 * (config.json, model.safetensors, the tokenizer and generation files copied from the base folder), loadable by
 * transformers; resume copies its tensors back into the live model's, so nothing is re-allocated
 * and the optimizer keeps pointing at the same tensors.
 *
 * @param loaded the model being trained and where it came from (its config and tokenizer files)
 */
public record FullModelState(LoadedModel loaded) implements ModelState {

    @Override
    public void save(Path folder) throws IOException {
        SaveOptions options = SaveOptions.defaults().withDtype(DType.F32);
        boolean hasTokenizer = HfModels.TOKENIZER_FILES.stream().anyMatch(f -> java.nio.file.Files.isRegularFile(loaded.folder().resolve(f)));
        HfModels.save(loaded, folder, hasTokenizer ? options.withTokenizerFrom(loaded.folder()) : options);
    }

    @Override
    public void load(Path folder) throws IOException {
        ModelState.copy(HfModels.load(folder).model().parameters(), loaded.model().parameters(), folder);
    }
}
