package dev.align4j.tensor;

import java.util.Arrays;

/**
 * The sequence boundaries of a packed batch: {@code T} tokens laid end to end, segment {@code s}
 * holding tokens {@code [offsets[s], offsets[s + 1])}.
 *
 * <p>What it is: FlashAttention's variable-length {@code cu_seqlens} — cumulative offsets
 * starting at 0 and ending at {@code T}, e.g. {@code [0, 5, 12, 20]} for sequences of 5, 7 and 8
 * tokens. Offsets never decrease; an empty segment (two equal offsets) is allowed and holds no
 * token, as in FlashAttention. What it is not: a padding mask — a packed batch has no padding.
 *
 * @param offsets cumulative segment offsets, {@code segments() + 1} of them
 */
public record PackedSegments(int... offsets) {

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
    }

    /** One segment of {@code tokens} tokens. */
    public static PackedSegments single(int tokens) {
        return new PackedSegments(0, tokens);
    }

    /** Segments of the given lengths, in order. */
    public static PackedSegments ofLengths(int... lengths) {
        int[] offsets = new int[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) {
                throw new IllegalArgumentException("PackedSegments.ofLengths: negative length in " + Arrays.toString(lengths));
            }
            offsets[i + 1] = Math.addExact(offsets[i], lengths[i]);
        }
        return new PackedSegments(offsets);
    }

    /** A copy of the cumulative offsets. */
    @Override
    public int[] offsets() {
        return offsets.clone();
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

    @Override
    public boolean equals(Object o) {
        return o instanceof PackedSegments p && Arrays.equals(offsets, p.offsets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
        return "PackedSegments" + Arrays.toString(offsets);
    }
}
