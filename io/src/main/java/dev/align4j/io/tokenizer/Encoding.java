package dev.align4j.io.tokenizer;

/**
 * Token ids of a text with the character span each token covers.
 *
 * <p>Not a model input: no attention mask, no type ids, no padding (align4j packs batches itself).
 *
 * <p>Based on transformers' {@code return_offsets_mapping=True}: token {@code i} covers
 * {@code text.substring(starts[i], ends[i])}; tokens added by the post-processor (BOS) cover
 * (0, 0). Offsets here are Java {@code char} (UTF-16) indices, where transformers counts code
 * points; the two agree on text inside the Basic Multilingual Plane.
 *
 * @param ids    token ids, (T)
 * @param starts start offset of each token, (T)
 * @param ends   end offset (exclusive) of each token, (T)
 */
public record Encoding(int[] ids, int[] starts, int[] ends) {
    public Encoding {
        if (starts.length != ids.length || ends.length != ids.length) {
            throw new IllegalArgumentException("Encoding: ids, starts and ends must have one entry per token, got "
                    + ids.length + ", " + starts.length + ", " + ends.length);
        }
    }

    /** Number of tokens. */
    public int size() {
        return ids.length;
    }
}
