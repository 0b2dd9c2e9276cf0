package dev.align4j.data;

import dev.align4j.models.PackedBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A training batch: sequences packed end to end as the segments of one {@link PackedBatch}
 * (positions restarting at 0 in each, attention never crossing a segment, no padding) with the
 * next-token label of every position.
 *
 * <p>What it is not: a loss. {@code labels[t]} is the token position {@code t} must predict, or
 * {@link PackedBatch#IGNORE} where no loss is taken: on each sequence's last token, which has no
 * next token in its sequence, and where the next token is not a target of its {@link SftExample}.
 *
 * <p>Based on TRL's padding-free {@code DataCollatorForLanguageModeling} (position ids restarting
 * per sequence, labels -100 outside the completion and assistant masks and at every sequence
 * start), shifted here as {@code CausalLM} outputs want it: TRL's model shifts labels by one
 * inside its loss, and this batch stores them already shifted, as
 * {@link PackedBatch#nextTokenLabels()} does.
 *
 * @param packed the tokens, positions and segments
 * @param labels (T) next-token targets, {@link PackedBatch#IGNORE} where none
 */
public record Batch(PackedBatch packed, int[] labels) {
    public Batch {
        if (labels.length != packed.size()) {
            throw new IllegalArgumentException("Batch: " + labels.length + " labels for " + packed.size() + " tokens");
        }
        labels = labels.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** Packs sequences as the segments of one batch. */
    public static Batch of(List<SftExample> examples) {
        if (examples.isEmpty()) throw new IllegalArgumentException("Batch.of: a batch needs at least one sequence");
        List<int[]> sequences = new ArrayList<>(examples.size());
        int total = 0;
        for (SftExample e : examples) {
            sequences.add(e.inputIds());
            total = Math.addExact(total, e.length());
        }
        int[] labels = new int[total];
        Arrays.fill(labels, PackedBatch.IGNORE);
        int offset = 0;
        for (SftExample e : examples) {
            int[] ids = e.inputIds();
            boolean[] mask = e.lossMask();
            for (int t = 0; t + 1 < ids.length; t++) {
                if (mask[t + 1]) labels[offset + t] = ids[t + 1];
            }
            offset += ids.length;
        }
        return new Batch(PackedBatch.of(sequences), labels);
    }

    /** Number of tokens T. */
    public int size() {
        return labels.length;
    }

    /** Number of sequences. */
    public int sequences() {
        return packed.segments().segments();
    }

    /** Number of positions with a label: the count a mean loss divides by. */
    public int targets() {
        int n = 0;
        for (int label : labels) if (label != PackedBatch.IGNORE) n++;
        return n;
    }
}
