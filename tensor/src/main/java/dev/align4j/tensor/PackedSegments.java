package dev.align4j.tensor;

import java.util.Arrays;

/**
 * The sequence boundaries of a packed batch: {@code T} tokens laid end to end, segment {@code s}
 * holding tokens {@code [offsets[s], offsets[s + 1])}, optionally after a shared prefix.
 *
 * <p>What it is: FlashAttention's variable-length {@code cu_seqlens} — cumulative offsets
 * starting at 0 and ending at {@code T}, e.g. {@code [0, 5, 12, 20]} for sequences of 5, 7 and 8
 * tokens. Offsets never decrease; an empty segment (two equal offsets) is allowed and holds no
 * token, as in FlashAttention. What it is not: a padding mask — a packed batch has no padding.
 *
 * <p>Prefix sharing (F. Wang, S. Hegde, "Accelerating Direct Preference Optimization with Prefix
 * Sharing", 2024, arXiv:2410.20305): a segment may name an earlier segment as its prefix, whose tokens
 * then come before its own in its sequence. Segment {@code s} with prefix {@code p} is the
 * sequence {@code tokens(p) ++ tokens(s)}: its tokens attend to all of {@code p}'s and causally to
 * their own, never to another segment sharing {@code p}. So a prompt with two completions is three
 * segments — the prompt, and each completion naming it — and the prompt is processed once. One level
 * deep: a prefix has no prefix of its own. A segment that another names is a shared prefix, not a
 * sequence of its own; every other segment ends one sequence ({@link #sequences()}).
 *
 * @param offsets  cumulative segment offsets, {@code segments() + 1} of them
 * @param prefixes per segment, the earlier segment it extends, or −1 for none
 */
public record PackedSegments(int[] offsets, int[] prefixes) {

    public PackedSegments {
        if (offsets == null || offsets.length < 2) {
            throw new IllegalArgumentException("PackedSegments: need cumulative offsets [0, …, T] with at least two entries, got "
                    + Arrays.toString(offsets));
        }
        offsets = offsets.clone();
        if (offsets[0] != 0) {
            throw new IllegalArgumentException("PackedSegments: offsets must start at 0, got " + Arrays.toString(offsets));
        }
        for (int i = 1; i < offsets.length; i++) {
            if (offsets[i] < offsets[i - 1]) {
                throw new IllegalArgumentException("PackedSegments: offsets must not decrease, got " + Arrays.toString(offsets)
                        + " (offset " + i + " is " + offsets[i] + " after " + offsets[i - 1] + ")");
            }
        }
        int n = offsets.length - 1;
        if (prefixes == null) {
            prefixes = new int[n];
            Arrays.fill(prefixes, -1);
        } else {
            prefixes = prefixes.clone();
            if (prefixes.length != n) {
                throw new IllegalArgumentException("PackedSegments: " + prefixes.length + " prefixes " + Arrays.toString(prefixes)
                        + " for the " + n + " segments of " + Arrays.toString(offsets) + "; give one per segment, −1 for none");
            }
            for (int s = 0; s < n; s++) {
                int p = prefixes[s];
                if (p != -1 && (p < 0 || p >= s || prefixes[p] != -1)) {
                    throw new IllegalArgumentException("PackedSegments: segment " + s + " names prefix " + p + " in "
                            + Arrays.toString(prefixes) + "; a prefix must be an earlier segment without a prefix of its own"
                            + " (sharing is one level deep), or −1 for none");
                }
            }
        }
    }

    /** Segments with the given cumulative offsets and no prefixes. */
    public PackedSegments(int... offsets) {
        this(offsets, null);
    }

    /** One segment of {@code tokens} tokens. */
    public static PackedSegments single(int tokens) {
        return new PackedSegments(0, tokens);
    }

    /** Segments of the given lengths, in order. */
    public static PackedSegments ofLengths(int... lengths) {
        return ofLengths(lengths, null);
    }

    /** Segments of the given lengths, in order, segment {@code s} extending {@code prefixes[s]} (−1 for none). */
    public static PackedSegments ofLengths(int[] lengths, int[] prefixes) {
        int[] offsets = new int[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) {
                throw new IllegalArgumentException("PackedSegments.ofLengths: negative length in " + Arrays.toString(lengths));
            }
            offsets[i + 1] = Math.addExact(offsets[i], lengths[i]);
        }
        return new PackedSegments(offsets, prefixes);
    }

    /** A copy of the cumulative offsets. */
    @Override
    public int[] offsets() {
        return offsets.clone();
    }

    /** A copy of the per-segment prefixes (−1 for none). */
    @Override
    public int[] prefixes() {
        return prefixes.clone();
    }

    /** Number of segments. */
    public int segments() {
        return offsets.length - 1;
    }

    /** Total number of tokens {@code T}. */
    public int tokens() {
        return offsets[offsets.length - 1];
    }

    /** First token of segment {@code s}. */
    public int start(int s) {
        return offsets[s];
    }

    /** One past the last token of segment {@code s}. */
    public int end(int s) {
        return offsets[s + 1];
    }

    /** The segment whose tokens come before segment {@code s}'s in its sequence, or −1. */
    public int prefix(int s) {
        return prefixes[s];
    }

    /** Whether any segment extends another. */
    public boolean hasPrefixes() {
        for (int p : prefixes) if (p != -1) return true;
        return false;
    }

    /**
     * The segments that end a sequence, in order: every segment but the shared prefixes. Without
     * prefixes, every segment.
     */
    public int[] sequences() {
        boolean[] shared = new boolean[segments()];
        for (int p : prefixes) if (p != -1) shared[p] = true;
        int[] out = new int[segments()];
        int n = 0;
        for (int s = 0; s < shared.length; s++) if (!shared[s]) out[n++] = s;
        return Arrays.copyOf(out, n);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedSegments p && Arrays.equals(offsets, p.offsets) && Arrays.equals(prefixes, p.prefixes);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(prefixes);
    }

    @Override
    public String toString() {
        return "PackedSegments" + Arrays.toString(offsets) + (hasPrefixes() ? " prefixes " + Arrays.toString(prefixes) : "");
    }
}
