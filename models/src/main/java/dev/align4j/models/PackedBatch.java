package dev.align4j.models;

import dev.align4j.tensor.PackedSegments;

import java.util.Arrays;
import java.util.List;

/**
 * A packed batch: the token ids of several sequences laid end to end, each token's position
 * within its own sequence, and the sequence boundaries (FlashAttention's {@code cu_seqlens}).
 *
 * <p>What it is: the only input a {@link CausalLM} takes, so no compute is spent on padding.
 * Sequences that start alike (a prompt and its completions) may share that start: it is packed
 * once, as a segment the continuations extend ({@link #sharingPrefixes}, {@link PackedSegments}),
 * and the model computes it once. What it is not: labels or loss masks (those belong to the data
 * layer and the losses).
 *
 * @param tokens    (T) token ids
 * @param positions (T) position of each token within its sequence (restarting at 0 per segment
 *                  unless the caller continues a sequence: a shared prefix's continuation
 *                  continues from the prefix's length)
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
        return sharingPrefixes(List.of(new PrefixGroup(new int[0], sequences)));
    }

    /**
     * A prefix and the sequences that continue it.
     *
     * @param prefix        (P) the tokens every continuation follows; empty for plain sequences
     * @param continuations each sequence's tokens after the prefix
     */
    public record PrefixGroup(int[] prefix, List<int[]> continuations) {}

    /**
     * Packs groups of sequences with each group's prefix once (prefix sharing: F. Wang, S. Hegde,
     * "Accelerating Direct Preference Optimization with Prefix Sharing", 2024, arXiv:2410.20305):
     * the prefix as a segment, then each continuation as a segment extending it, its positions
     * continuing from the prefix's length. A continuation's tokens attend to what they would in
     * the unshared sequence {@code prefix ++ continuation}, so their hidden states are that
     * sequence's; the prefix's are computed once instead of once per continuation. A group with an
     * empty prefix packs its continuations as plain sequences.
     */
    public static PackedBatch sharingPrefixes(List<PrefixGroup> groups) {
        int total = 0, count = 0;
        for (PrefixGroup g : groups) {
            total = Math.addExact(total, g.prefix().length);
            for (int[] c : g.continuations()) total = Math.addExact(total, c.length);
            count += (g.prefix().length > 0 ? 1 : 0) + g.continuations().size();
        }
        int[] tokens = new int[total], positions = new int[total], lengths = new int[count], prefixes = new int[count];
        int t = 0, s = 0;
        for (PrefixGroup g : groups) {
            int root = -1, start = g.prefix().length;
            if (start > 0) {
                root = s;
                lengths[s] = start;
                prefixes[s++] = -1;
                for (int p = 0; p < start; p++, t++) {
                    tokens[t] = g.prefix()[p];
                    positions[t] = p;
                }
            }
            for (int[] c : g.continuations()) {
                lengths[s] = c.length;
                prefixes[s++] = root;
                for (int p = 0; p < c.length; p++, t++) {
                    tokens[t] = c[p];
                    positions[t] = start + p;
                }
            }
        }
        return new PackedBatch(tokens, positions, PackedSegments.ofLengths(lengths, prefixes));
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
     * Next-token labels: {@code labels[t] = tokens[t + 1]} inside a segment and {@link #IGNORE} on
     * each segment's last token, so that log-probs gathered with them are
     * {@code log p(tokens[t+1] | tokens[..t])}. A shared prefix's last token has none: what follows
     * it is each continuation's first token, on that continuation's own row (so a prefix that stops
     * one token short of the sequences' shared start keeps every label of the unshared sequences).
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
