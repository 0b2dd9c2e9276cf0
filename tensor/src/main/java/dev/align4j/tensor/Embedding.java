package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Bf16Kernels;
import dev.align4j.tensor.kernels.EmbeddingKernels;

/**
 * Embedding lookup: rows of a (V, C) table picked by token ids, and the backward that adds each
 * token's gradient into its row (PyTorch {@code F.embedding} without {@code padding_idx},
 * {@code max_norm} or sparse gradients).
 *
 * <p>What it is not: a module owning the table (that is the nn layer), nor position embeddings
 * (GPT-2's {@code wpe} is the same lookup with positions as ids). The backward is deterministic:
 * tokens that share an id add into its row in token order ({@link EmbeddingKernels#scatterAdd}).
 * A frozen BF16 table ({@link Tensor#frozenBf16}) is widened row by row as it is gathered; it gets
 * no gradient. A 4-bit table is rejected: bitsandbytes quantises linear layers, not embeddings.
 */
public final class Embedding {
    private Embedding() {}

    /**
     * {@code out[k] = table[ids[k]]}.
     *
     * @param table (V, C), float32 or frozen BF16
     * @param ids   (N), each in [0, V)
     * @return (N, C)
     */
    public static Tensor lookup(Tensor table, int[] ids) {
        if (table.rank() != 2) {
            throw new IllegalArgumentException("Embedding.lookup: table must be (V, C), got " + table.describe());
        }
        if (table.is4Bit()) {
            throw new IllegalArgumentException("Embedding.lookup: table " + table.describe() + " is a frozen 4-bit tensor; "
                    + "embedding tables stay float32 or BF16 (4-bit quantisation covers the linear layers only)");
        }
        int[] idx = ids.clone(); // the backward must see the ids of this call, whatever the caller does next
        int v = table.dim(0), c = table.dim(1), n = idx.length;
        for (int k = 0; k < n; k++) {
            if (idx[k] < 0 || idx[k] >= v) {
                throw new IllegalArgumentException("Embedding.lookup: id " + idx[k] + " at position " + k
                        + " is out of range for table " + table.describe() + " of V=" + v
                        + " rows; check the tokenizer's vocabulary against the model's vocab_size");
            }
        }
        Tensor out = Tensor.forOverwrite(n, c);
        if (table.isBf16()) Bf16Kernels.gather(out.data, table.bf16Storage(), idx, n, c);
        else EmbeddingKernels.gather(out.data, table.data, table.offset, idx, n, c);
        Autograd.record(out, "embedding", () -> {
            if (table.requiresGrad()) EmbeddingKernels.scatterAdd(table.gradBuffer(), out.gradOrNull(), idx, n, c);
        }, table);
        return out;
    }
}
