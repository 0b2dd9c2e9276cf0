package dev.align4j.data;

/**
 * One tokenized SFT sequence: its token ids and which of them are label targets.
 *
 * <p>The mask sits on the predicted token, as TRL's {@code completion_mask} and
 * {@code assistant_masks} do: {@code lossMask[t]} true means the model is trained to predict
 * {@code inputIds[t]} from {@code inputIds[0..t-1]}, so the next-token label at position
 * {@code t - 1} is {@code inputIds[t]} ({@link Batch} builds those labels). {@code lossMask[0]}
 * can never count, having nothing before it.
 *
 * <p>What it is not: padded, batched or shifted; no attention mask (sequences are packed as
 * segments, see {@link Batch}).
 *
 * <p>Based on the columns TRL's {@code SFTTrainer._prepare_dataset} writes: {@code input_ids} and
 * {@code completion_mask} / {@code assistant_masks} (trl/trainer/sft_trainer.py).
 *
 * @param inputIds (T) token ids
 * @param lossMask (T) true where the token is a label target
 */
public record SftExample(int[] inputIds, boolean[] lossMask) {
    public SftExample {
        if (inputIds.length != lossMask.length) {
            throw new IllegalArgumentException("SftExample: " + inputIds.length + " input ids but " + lossMask.length
                    + " loss mask entries; they must have one entry per token");
        }
    }

    /** Number of tokens T. */
    public int length() {
        return inputIds.length;
    }

    /** Number of label targets (mask entries that count: position 0 never does). */
    public int targets() {
        int n = 0;
        for (int t = 1; t < lossMask.length; t++) if (lossMask[t]) n++;
        return n;
    }
}
