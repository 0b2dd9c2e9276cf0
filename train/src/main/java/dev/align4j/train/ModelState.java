package dev.align4j.train;

import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The part of a checkpoint that is the model: written into a checkpoint folder and into the output
 * folder at the end, read back on resume. Full fine-tuning writes a Hugging Face model folder
 * ({@link FullModelState}); adapters write a PEFT adapter folder.
 */
public interface ModelState {

    /** Writes the trained weights (and whatever makes the folder loadable) into {@code folder}. */
    void save(Path folder) throws IOException;

    /** Restores the trained weights in place from a folder {@link #save} wrote. */
    void load(Path folder) throws IOException;

    /**
     * Copies each tensor of {@code to} from the one of the same name in {@code from} (a checkpoint
     * read back), in place, so the optimizer keeps pointing at the live tensors.
     *
     * @throws IllegalArgumentException naming {@code folder} and the tensor when one is missing or has another shape
     */
    static void copy(Map<String, Tensor> from, Map<String, Tensor> to, Path folder) {
        for (var e : to.entrySet()) {
            Tensor src = from.get(e.getKey());
            if (src == null || !Arrays.equals(src.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(folder + ": tensor " + e.getKey() + " is missing or has another shape; "
                        + "the checkpoint is not of this model");
            }
            System.arraycopy(src.storage(), src.offset(), e.getValue().storage(), e.getValue().offset(), e.getValue().numel());
        }
    }
}
