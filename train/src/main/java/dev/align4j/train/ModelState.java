package dev.align4j.train;

import java.io.IOException;
import java.nio.file.Path;

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
}
