package dev.align4j.models;

import dev.align4j.tensor.PackedSegments;

import java.util.Arrays;
import java.util.List;

/**
 * A packed batch: the token ids of several sequences laid end to end, each token's position
 * within its own sequence, and the sequence boundaries (FlashAttention's {@code cu_seqlens}).
 *
 * <p>What it is: the only input a {@link CausalLM} takes, so no compute is spent on padding.
 * What it is not: labels or loss masks (those belong to the data layer and the losses).
 *
 * @param tokens    (T) token ids
 * @param positions (T) position of each token within its sequence (restarting at 0 per segment
 *                  unless the caller continues a sequence)
 * @param segments  sequence boundaries over the T tokens
 */
public record PackedBatch(int[] tokens, int[] positions, PackedSegments segments) {

    /** The label of a token that has no next token in its sequence (PyTorch's ignore_index). */
    public static final int IGNORE = -100;

    public PackedBatch {
        if (tokens.length != positions.length || tokens.length != segments.tokens()) {
            throw new IllegalArgumentException("PackedBatch: " + tokens.length + " tokens, " + positions.length
                    + " positions and segments covering " + segments.tokens() + " tokens must agree");
        }
        tokens = tokens.clone();
        positions = positions.clone();
    }

    /** Packs sequences end to end, positions restarting at 0 in each. */
    public static PackedBatch of(List<int[]> sequences) {
        int total = 0;
        for (int[] s : sequences) total = Math.addExact(total, s.length);
        int[] tokens = new int[total], positions = new int[total], lengths = new int[sequences.size()];
        int t = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] s = sequences.get(i);
            lengths[i] = s.length;
            for (int p = 0; p < s.length; p++, t++) {
                tokens[t] = s[p];
                positions[t] = p;
            }
        }
        return new PackedBatch(tokens, positions, PackedSegments.ofLengths(lengths));
    }

    /** One sequence. */
    public static PackedBatch of(int... sequence) {
        return of(List.of(sequence));
    }

    /** Number of tokens T. */
    public int size() {
        return tokens.length;
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public int[] positions() {
        return positions.clone();
    }

    /**
     * Next-token labels: {@code labels[t] = tokens[t + 1]} inside a sequence and {@link #IGNORE} on
     * each sequence's last token, so that log-probs gathered with them are
     * {@code log p(tokens[t+1] | tokens[..t])}.
     */
    public int[] nextTokenLabels() {
        int[] labels = new int[tokens.length];
        Arrays.fill(labels, IGNORE);
        for (int s = 0; s < segments.segments(); s++) {
            for (int t = segments.start(s); t + 1 < segments.end(s); t++) labels[t] = tokens[t + 1];
        }
        return labels;
    }
}
