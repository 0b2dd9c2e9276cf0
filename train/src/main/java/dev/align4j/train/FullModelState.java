package dev.align4j.train;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.safetensors.DType;
import dev.align4j.models.CausalLM;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

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
        CausalLM saved = HfModels.load(folder).model();
        Map<String, Tensor> from = saved.parameters(), to = loaded.model().parameters();
        for (var e : to.entrySet()) {
            Tensor src = from.get(e.getKey());
            if (src == null || !java.util.Arrays.equals(src.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(folder + ": tensor " + e.getKey() + " is missing or has another shape; "
                        + "the checkpoint is not of this model");
            }
            System.arraycopy(src.storage(), src.offset(), e.getValue().storage(), e.getValue().offset(), e.getValue().numel());
        }
    }
}
