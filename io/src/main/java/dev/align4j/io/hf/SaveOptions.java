package dev.align4j.io.hf;

import dev.align4j.io.safetensors.DType;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How {@link HfModels#save} writes a model folder.
 *
 * <p>What it is: the few choices transformers' {@code save_pretrained} offers that matter here, with its
 * defaults, plus where the tokenizer comes from. What it is not: a choice of tensor names (always those
 * transformers writes) or of the file layout (safetensors only).
 *
 * @param dtype           how weights are stored: F32 (the default) or BF16 (rounded to nearest even, as
 *                        {@code tensor.to(torch.bfloat16)}); F16 is accepted too
 * @param maxShardBytes   above this many bytes of weights the checkpoint is sharded, as {@code max_shard_size};
 *                        default 5 GB ({@code "5GB"}, 5·10⁹ bytes), transformers 4.x's default and what the
 *                        Hub's own uploads use (transformers 5 raised its default to 50 GB)
 * @param baseConfig      the config the model was loaded with, whose other fields are kept; null for a
 *                        config written from the architecture alone
 * @param tokenizerSource a folder whose tokenizer and generation files ({@link HfModels#TOKENIZER_FILES})
 *                        are copied beside the weights; null for none
 */
public record SaveOptions(DType dtype, long maxShardBytes, HfConfig baseConfig, Path tokenizerSource) {
    /** transformers 4.x's {@code max_shard_size="5GB"}: 5·10⁹ bytes. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    public SaveOptions {
        Objects.requireNonNull(dtype, "dtype");
        ArchitectureWriter.torchName(dtype); // rejects the dtypes a model is not saved as
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("SaveOptions: maxShardBytes must be positive, got " + maxShardBytes);
        }
    }

    /** F32, 5 GB shards, no base config, no tokenizer. */
    public static SaveOptions defaults() {
        return new SaveOptions(DType.F32, DEFAULT_MAX_SHARD_BYTES, null, null);
    }

    public SaveOptions withDtype(DType dtype) {
        return new SaveOptions(dtype, maxShardBytes, baseConfig, tokenizerSource);
    }

    public SaveOptions withMaxShardBytes(long maxShardBytes) {
        return new SaveOptions(dtype, maxShardBytes, baseConfig, tokenizerSource);
    }

    public SaveOptions withBaseConfig(HfConfig baseConfig) {
        return new SaveOptions(dtype, maxShardBytes, baseConfig, tokenizerSource);
    }

    public SaveOptions withTokenizerFrom(Path tokenizerSource) {
        return new SaveOptions(dtype, maxShardBytes, baseConfig, tokenizerSource);
    }
}
