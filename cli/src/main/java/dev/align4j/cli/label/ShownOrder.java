package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.align4j.io.JsonLines;

import java.nio.charset.StandardCharsets;

/**
 * Which completion of a comparison is shown on the left: randomised per item so that a person's
 * taste for one side of the screen (or for whichever completion the input happened to list first,
 * often the stronger model's) does not become a preference in the data.
 *
 * <p>The order is a hash of the seed and the item's id, not a draw from a running random
 * generator, so a restarted session shows every item in the order it would have had, whatever was
 * labelled before; and it is written into every output row ({@code shown_order}), so an analysis
 * of position bias needs nothing but the output.
 *
 * <p>Based on the usual practice of pairwise human evaluation (Chatbot Arena shuffles the two
 * models' sides per battle); the hash is 64-bit FNV-1a over the id's UTF-8 bytes, finished with
 * SplitMix64's mixer together with the seed.
 */
public enum ShownOrder {
    /** {@code completion_a} on the left ("A" on the page), {@code completion_b} on the right. */
    A_LEFT("completion_a", "completion_b"),
    /** {@code completion_b} on the left, {@code completion_a} on the right. */
    B_LEFT("completion_b", "completion_a");

    private final String left, right;

    ShownOrder(String left, String right) {
        this.left = left;
        this.right = right;
    }

    /** The order of the item {@code id} under {@code seed}; the same on every run. */
    public static ShownOrder of(long seed, String id) {
        long h = 0xcbf29ce484222325L; // FNV-1a 64 offset basis
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L; // FNV prime
        }
        return mix(h ^ mix(seed)) < 0 ? B_LEFT : A_LEFT;
    }

    /** SplitMix64's finaliser: every input bit moves every output bit. */
    private static long mix(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The text shown on the left. */
    public String left(Comparison c) {
        return this == A_LEFT ? c.completionA() : c.completionB();
    }

    /** The text shown on the right. */
    public String right(Comparison c) {
        return this == A_LEFT ? c.completionB() : c.completionA();
    }

    /** {@code ["completion_a", "completion_b"]} or the reverse: the columns shown left and right, as recorded. */
    public ArrayNode json() {
        return JsonLines.MAPPER.createArrayNode().add(left).add(right);
    }

    /** The order recorded as {@code json}, or null when it is not one of the two. */
    public static ShownOrder parse(JsonNode json) {
        for (ShownOrder o : values()) {
            if (o.json().equals(json)) return o;
        }
        return null;
    }
}
