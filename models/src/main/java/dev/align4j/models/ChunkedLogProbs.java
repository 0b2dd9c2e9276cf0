package dev.align4j.models;

import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-token log-probs through a model's output head a chunk of rows at a time, so the (T, V) logits
 * and their gradient never exist whole: each chunk's logits are made, reduced to log-probs (and the
 * argmax) and dropped, and made again during backward ({@link Autograd#checkpoint}).
 *
 * <p>What it is: {@code log p(labels[t] | …)} for hidden states (T, C), equal to
 * {@code LogProbs.tokenLogProbs(model.lmHead(hidden), labels, IGNORE)} bit for bit — a product's row
 * is computed the same way whatever rows a call covers, and log-softmax is per row — and so is the
 * gradient reaching {@code hidden}; a trainable head accumulates its gradient chunk by chunk (the
 * same sum, in another order). Memory: one chunk's logits and their gradient ({@code 2·rows·V}
 * floats) instead of {@code 2·T·V} — for Qwen2.5's V = 151936 and 512 tokens, 0.16 GB instead of
 * 0.62 GB. The price: the head's forward runs twice in a training step. Based on the chunked loss
 * of Liger Kernel's {@code FusedLinearCrossEntropy} and Wijmans et al. 2024 ("Cut Your Losses in
 * Large-Vocabulary Language Models"), with recomputation as gradient checkpointing (Chen et al.
 * 2016). What it is not: a fused kernel (the chunk's logits do exist) nor a loss; trainers reduce
 * the log-probs as they need.
 */
public final class ChunkedLogProbs {
    private ChunkedLogProbs() {}

    /** Logits kept per chunk at most, in floats (64 MiB). */
    static final int CHUNK_FLOATS = 1 << 24;

    /**
     * @param logProbs (T): {@code log p(labels[t])}, 0 where the label is {@link PackedBatch#IGNORE}
     * @param argmax   (T): each row's most likely token (for accuracy metrics)
     */
    public record Result(Tensor logProbs, int[] argmax) {}

    /** {@link #tokenLogProbs(CausalLM, Tensor, int[], int)} with chunks of at most 2^24 logits. */
    public static Result tokenLogProbs(CausalLM model, Tensor hidden, int[] labels) {
        return tokenLogProbs(model, hidden, labels, Math.max(1, CHUNK_FLOATS / model.vocabSize()));
    }

    /**
     * Log-probs of {@code labels} (T) from {@code hidden} (T, C) through {@code model.lmHead}, in
     * chunks of {@code chunkRows} rows.
     *
     * @throws IllegalArgumentException when the sizes disagree or chunkRows is not positive
     */
    public static Result tokenLogProbs(CausalLM model, Tensor hidden, int[] labels, int chunkRows) {
        if (hidden.rank() != 2 || hidden.dim(0) != labels.length || chunkRows < 1) {
            throw new IllegalArgumentException("ChunkedLogProbs: hidden " + hidden.describe() + " needs one label per row, got "
                    + labels.length + " labels, in chunks of " + chunkRows + " rows (at least 1)");
        }
        int rows = labels.length;
        int[] argmax = new int[rows];
        Tensor[] trainable = model.parameters().values().stream().filter(Tensor::requiresGrad).toArray(Tensor[]::new);
        List<Tensor> parts = new ArrayList<>();
        for (int t0 = 0; t0 < rows; t0 += chunkRows) {
            int start = t0, end = Math.min(rows, t0 + chunkRows);
            int[] chunkLabels = Arrays.copyOfRange(labels, start, end);
            Tensor h = start == 0 && end == rows ? hidden : ShapeOps.slice(hidden, 0, start, end); // (rows, C)
            parts.add(Autograd.checkpoint(h, x -> {
                Tensor logits = model.lmHead(x); // (rows, V): this chunk's only
                System.arraycopy(Reductions.argmax(logits.detach(), 1), 0, argmax, start, end - start); // the same again on recompute
                return LogProbs.tokenLogProbs(logits, chunkLabels, PackedBatch.IGNORE);
            }, trainable));
        }
        return new Result(parts.size() == 1 ? parts.getFirst() : ShapeOps.concat(parts, 0), argmax);
    }
}
