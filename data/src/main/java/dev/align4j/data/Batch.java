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
 * <p>Sequences that start alike — a prompt and its completions — may share that start
 * ({@link #sharingPrompts}): it is packed once, as a segment the rest of each sequence extends
 * ({@link dev.align4j.tensor.PackedSegments}), and the model computes it once. A shared prefix's
 * rows carry no label, so every label belongs to one sequence and lies in that sequence's own
 * segment ({@code packed.segments().sequences()}); a per-sequence sum over those rows is the sum
 * over the unshared sequence.
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
        var segments = packed.segments();
        for (int s = 0; s < segments.segments(); s++) {
            int p = segments.prefix(s);
            if (p < 0) continue;
            for (int t = segments.start(p); t < segments.end(p); t++) {
                if (labels[t] != PackedBatch.IGNORE) {
                    throw new IllegalArgumentException("Batch: row " + t + " of segment " + p + ", the shared prefix of segment " + s
                            + " in " + segments + ", has label " + labels[t] + "; a shared prefix takes no label (each label"
                            + " belongs to one sequence), so end the prefix before the first target");
                }
            }
        }
        labels = labels.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    /** Packs sequences as the segments of one batch, each whole. */
    public static Batch of(List<SftExample> examples) {
        return sharingPrompts(examples.stream().map(List::of).toList());
    }

    /**
     * Packs groups of sequences that start alike — each group a prompt's completions, say — each
     * group's shared start once (prefix sharing: F. Wang, S. Hegde, "Accelerating Direct Preference
     * Optimization with Prefix Sharing", 2024, arXiv:2410.20305). The shared start is the longest
     * run of tokens every sequence of the group begins with and none has a target in (past its
     * first token): the prompt. When it holds at least two tokens, all but its last are one segment,
     * and each sequence's rest, from that last token on, a segment extending it; so the last shared
     * token's row, which predicts a different token in each sequence, is repeated once per sequence
     * and every row keeps one label: the sequence's own rows and labels are exactly the unshared
     * ones, the shared rows appearing once. Otherwise, and for a group of one, the sequences are
     * packed whole. The authors' code (github.com/frankxwang/dpo-prefix-sharing,
     * trainer.py) lays a pair out the same way: the rejected response after the prompt's last token
     * repeated, its positions from the prompt's length − 1, its attention skipping the chosen part
     * and that token's first copy.
     */
    public static Batch sharingPrompts(List<List<SftExample>> groups) {
        if (groups.isEmpty()) throw new IllegalArgumentException("Batch: a batch needs at least one sequence");
        List<PackedBatch.PrefixGroup> packed = new ArrayList<>(groups.size());
        List<int[]> labels = new ArrayList<>();
        int total = 0;
        for (List<SftExample> group : groups) {
            int shared = group.size() < 2 ? 0 : sharedStart(group), cut = shared >= 2 ? shared - 1 : 0;
            List<int[]> rests = new ArrayList<>(group.size());
            if (cut > 0) {
                int[] none = new int[cut];
                Arrays.fill(none, PackedBatch.IGNORE);
                labels.add(none);
            }
            for (SftExample e : group) {
                int[] ids = e.inputIds(), own = new int[ids.length - cut];
                boolean[] mask = e.lossMask();
                Arrays.fill(own, PackedBatch.IGNORE);
                for (int t = cut; t + 1 < ids.length; t++) if (mask[t + 1]) own[t - cut] = ids[t + 1];
                rests.add(Arrays.copyOfRange(ids, cut, ids.length));
                labels.add(own);
            }
            packed.add(new PackedBatch.PrefixGroup(Arrays.copyOf(group.getFirst().inputIds(), cut), rests));
        }
        for (int[] l : labels) total = Math.addExact(total, l.length);
        int[] all = new int[total];
        int offset = 0;
        for (int[] l : labels) {
            System.arraycopy(l, 0, all, offset, l.length);
            offset += l.length;
        }
        return new Batch(PackedBatch.sharingPrefixes(packed), all);
    }

    /** The longest run of tokens every example begins with and none has a target in past its first token. */
    private static int sharedStart(List<SftExample> group) {
        int n = Integer.MAX_VALUE;
        for (SftExample e : group) n = Math.min(n, e.length());
        int[] first = group.getFirst().inputIds();
        for (int t = 0; t < n; t++) {
            for (SftExample e : group) {
                if (e.inputIds()[t] != first[t] || (t > 0 && e.lossMask()[t])) return t;
            }
        }
        return n;
    }

    /** Number of tokens T. */
    public int size() {
        return labels.length;
    }

    /** Number of sequences: segments that are not a shared prefix. */
    public int sequences() {
        return packed.segments().sequences().length;
    }

    /**
     * Tokens of the sequences counted whole, a shared prefix once per sequence that extends it: the
     * tokens the batch would hold unshared (TRL's count).
     */
    public long sequenceTokens() {
        var segments = packed.segments();
        long n = 0;
        for (int s : segments.sequences()) {
            int p = segments.prefix(s);
            n += segments.end(s) - segments.start(s) + (p < 0 ? 0 : segments.end(p) - segments.start(p));
        }
        return n;
    }

    /** Number of positions with a label: the count a mean loss divides by. */
    public int targets() {
        int n = 0;
        for (int label : labels) if (label != PackedBatch.IGNORE) n++;
        return n;
    }
}
