package dev.align4j.io.safetensors;

import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Named tensors read from safetensors storage: one file ({@link SafetensorsFile}) or a sharded
 * checkpoint ({@link ShardedSafetensors}). A model loader asks for tensors by their Hugging Face
 * names and does not care which.
 *
 * <p>What it is: the read API, whose core methods {@link #readFloats(String, float[], int)} widen
 * F32, BF16 or F16 data into a float array and {@link #readBf16} gives BF16 (in place when stored
 * so); the other reads are conveniences over them. What it is not: a writer (see
 * {@link SafetensorsWriter}) or a cache: every read converts afresh from the memory-mapped file.
 * How long what was read stays valid is the source's {@link Lifetime}: by default nothing read in
 * place outlives {@link #close()}.
 *
 * <p>Based on: transformers' {@code from_pretrained}, which prefers {@code model.safetensors} and
 * falls back to {@code model.safetensors.index.json} ({@link #openFolder}).
 */
public sealed interface SafetensorsSource extends AutoCloseable permits SafetensorsFile, ShardedSafetensors {

    /** The single-file checkpoint name, as transformers' {@code SAFE_WEIGHTS_NAME}. */
    String SINGLE_FILE = "model.safetensors";
    /** The sharded checkpoint's index name, as transformers' {@code SAFE_WEIGHTS_INDEX_NAME}. */
    String INDEX_FILE = "model.safetensors.index.json";

    /** How long the memory mapping of a source's files, and so every segment read in place from it, lives. */
    enum Lifetime {
        /** Until {@link #close()} unmaps the files; a segment read before then fails afterwards (the default). */
        UNTIL_CLOSED,
        /**
         * As long as any segment of the mapping is reachable ({@link java.lang.foreign.Arena#ofAuto()}):
         * {@link #close()} ends this source's own reads, and the garbage collector unmaps a file once
         * nothing viewing it (a frozen BF16 weight, say) is left. For tensors that keep reading the
         * file. The file must not be truncated or rewritten in place meanwhile (replacing it by a rename,
         * as {@link SafetensorsWriter} does, is safe: the mapping keeps the old file).
         */
        WHILE_REACHABLE
    }

    /** {@link #openFolder(Path, Lifetime)} mapped {@link Lifetime#UNTIL_CLOSED}. */
    static SafetensorsSource openFolder(Path folder) throws IOException {
        return openFolder(folder, Lifetime.UNTIL_CLOSED);
    }

    /**
     * Opens the weights of a Hugging Face model folder: {@code model.safetensors} when present,
     * else the shards named by {@code model.safetensors.index.json}.
     */
    static SafetensorsSource openFolder(Path folder, Lifetime lifetime) throws IOException {
        Path single = folder.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) return SafetensorsFile.open(single, lifetime);
        Path index = folder.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) return ShardedSafetensors.open(index, lifetime);
        throw new SafetensorsException(folder + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE
                + " found (is this a Hugging Face model folder saved with safetensors?)");
    }

    /** Tensor names, in storage order. */
    List<String> names();

    boolean contains(String name);

    /** Where a tensor lives; its offsets count from the start of the file that holds it. */
    TensorInfo info(String name);

    /** A read-only view of a tensor's raw little-endian bytes in the mapped file. */
    MemorySegment segment(String name);

    /**
     * Widens a F32, BF16 or F16 tensor into {@code dst[dstOffset .. dstOffset + numel)}. Other
     * dtypes, and a destination too small, are errors naming the tensor.
     */
    void readFloats(String name, float[] dst, int dstOffset);

    /**
     * A tensor's values as little-endian BF16, row-major: a read-only view of the mapped file for a
     * BF16 tensor (no copy; valid as the source's {@link Lifetime} says), else F32 or F16 rounded to
     * nearest even into a new heap segment. Other dtypes are errors naming the tensor.
     */
    MemorySegment readBf16(String name);

    /** A tensor's values widened to float32, row-major. */
    default float[] readFloats(String name) {
        float[] out = new float[info(name).intNumel()];
        readFloats(name, out, 0);
        return out;
    }

    /** A tensor with its header shape, widened to float32 and named after it. */
    default Tensor readTensor(String name) {
        return Tensor.of(readFloats(name), info(name).intShape()).named(name);
    }

    /**
     * Ends reads from this source; with {@link Lifetime#UNTIL_CLOSED} it unmaps the file(s) and segments
     * handed out before become inaccessible.
     */
    @Override
    void close();
}
