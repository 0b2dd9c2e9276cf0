package dev.align4j.train;

import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * LoRA training's checkpoint part: the adapter as a PEFT folder (adapter_config.json,
 * adapter_model.safetensors), plus the tokenizer files of the base so the output folder is usable
 * on its own with {@code --adapter}. Resume copies the saved tensors back into the live adapters.
 *
 * <p>A reward model's adapter also holds its score head, trained in full and saved as PEFT saves a
 * sequence classifier's ({@link PeftAdapters.TaskHead}).
 *
 * @param lora     the adapters being trained
 * @param baseName {@code base_model_name_or_path} written into adapter_config.json
 * @param baseDir  the base model folder, whose tokenizer files are copied, or null
 * @param head     the task head saved beside the adapters ({@link PeftAdapters.TaskHead#CAUSAL_LM}: none)
 */
public record AdapterModelState(LoraModel lora, String baseName, Path baseDir, PeftAdapters.TaskHead head) implements ModelState {

    /** A causal LM's adapter. */
    public AdapterModelState(LoraModel lora, String baseName, Path baseDir) {
        this(lora, baseName, baseDir, PeftAdapters.TaskHead.CAUSAL_LM);
    }

    /** What the adapter folder holds: the adapters and modules to save, then the head's tensors, by PEFT name. */
    public Map<String, Tensor> saved() {
        Map<String, Tensor> all = new java.util.LinkedHashMap<>(lora.trainableParameters());
        all.putAll(head.tensors());
        return all;
    }

    @Override
    public void save(Path folder) throws IOException {
        PeftAdapters.save(lora, folder, baseName, head);
        if (baseDir == null) return;
        for (String f : dev.align4j.io.hf.HfModels.TOKENIZER_FILES) {
            Path from = baseDir.resolve(f);
            if (Files.isRegularFile(from)) Files.copy(from, folder.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public void load(Path folder) throws IOException {
        Map<String, Tensor> from = PeftAdapters.readWeights(folder), to = saved();
        if (!from.keySet().equals(to.keySet())) {
            throw new IllegalArgumentException(folder + ": the adapter's tensors " + from.keySet() + " are not this run's " + to.keySet());
        }
        ModelState.copy(from, to, folder);
    }
}
