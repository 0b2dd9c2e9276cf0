package dev.align4j.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Best-fit-decreasing bin packing of SFT sequences into bins of at most {@code max_length} tokens,
 * each sequence whole in one bin (as segments of one {@link Batch}, attention never crossing them).
 *
 * <p>What it is not: TRL's {@code "wrapped"} strategy (cutting sequences to fill bins exactly) nor
 * {@code "bfd_split"}; a sequence longer than {@code max_length} is truncated to its first
 * {@code max_length} tokens, as TRL's {@code "bfd"} does, and empty sequences are dropped.
 *
 * <p>Based on {@code trl/data_utils.py::_pack_bfd} ("Fewer Truncations Improve Language
 * Modeling", Ding et al. 2024, arXiv:2404.10830): sequences in decreasing length (ties in input
 * order, as Arrow's stable sort), each placed in the open bin with the least remaining space that
 * still fits it (among equals the bin that reached that space first, TRL's deque), else in a new
 * bin. TRL finds that bin with a segment tree over remaining spaces; a {@link TreeMap} from
 * remaining space to bins gives the same bin in O(log n). TRL packs each {@code map} batch of
 * 1,000 rows on its own; this packs the list it is given ({@link Batches} packs windows).
 */
public final class Packing {
    private Packing() {}

    /**
     * One bin: the sequences packed together, in the order they were placed.
     *
     * @param examples the sequences (each at most max_length tokens)
     * @param tokens   their total length, at most max_length
     */
    public record Bin(List<SftExample> examples, int tokens) {
        public Bin {
            examples = List.copyOf(examples);
        }
    }

    /**
     * Packs {@code examples} into bins of at most {@code maxLength} tokens.
     *
     * @throws IllegalArgumentException when maxLength is below 1
     */
    public static List<Bin> bestFitDecreasing(List<SftExample> examples, int maxLength) {
        if (maxLength < 1) throw new IllegalArgumentException("bestFitDecreasing: max_length must be at least 1, got " + maxLength);
        List<SftExample> items = new ArrayList<>(examples.size());
        for (SftExample e : examples) {
            if (e.length() == 0) continue;
            items.add(e.length() <= maxLength ? e
                    : new SftExample(Arrays.copyOf(e.inputIds(), maxLength), Arrays.copyOf(e.lossMask(), maxLength)));
        }
        items.sort(Comparator.comparingInt(SftExample::length).reversed()); // List.sort is stable
        List<List<SftExample>> bins = new ArrayList<>();
        List<Integer> used = new ArrayList<>();
        TreeMap<Integer, ArrayDeque<Integer>> bySpace = new TreeMap<>(); // remaining space -> bins, oldest first
        for (SftExample item : items) {
            var fit = bySpace.ceilingEntry(item.length());
            int bin;
            if (fit == null) {
                bin = bins.size();
                bins.add(new ArrayList<>());
                used.add(0);
            } else {
                bin = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) bySpace.remove(fit.getKey());
            }
            bins.get(bin).add(item);
            int tokens = used.get(bin) + item.length();
            used.set(bin, tokens);
            if (tokens < maxLength) bySpace.computeIfAbsent(maxLength - tokens, k -> new ArrayDeque<>()).addLast(bin);
        }
        List<Bin> result = new ArrayList<>(bins.size());
        for (int i = 0; i < bins.size(); i++) result.add(new Bin(bins.get(i), used.get(i)));
        return result;
    }
}
