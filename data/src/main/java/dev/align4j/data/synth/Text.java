package dev.align4j.data.synth;

import java.util.List;
import java.util.Random;

/**
 * Small English helpers the generators share: a noun with its number ("1 apple", "3 apples"),
 * a uniform pick from a word list, one line of worked arithmetic.
 *
 * <p>What it is not: a grammar. The generators' templates are written so that only the nouns
 * inflect; each word list stores a noun's singular and plural forms side by side.
 */
final class Text {
    private Text() {}

    /** A countable noun: its singular and plural forms ("leaf", "leaves"). */
    record Noun(String one, String many) {
        static Noun of(String one, String many) {
            return new Noun(one, many);
        }

        static Noun regular(String one) {
            return new Noun(one, one + "s");
        }

        /** The form that goes with {@code n}: "1 apple", "0 apples". */
        String form(long n) {
            return n == 1 ? one : many;
        }

        /** The number and the noun: "1 apple", "3 apples". */
        String count(long n) {
            return n + " " + form(n);
        }
    }

    static <T> T pick(Random rng, List<T> items) {
        return items.get(rng.nextInt(items.size()));
    }

    /** An integer in {@code [from, to]}. */
    static int between(Random rng, int from, int to) {
        return from + rng.nextInt(to - from + 1);
    }

    /** One worked line: "3 + 4 = 7". */
    static String step(long left, char op, long right, long result) {
        return left + " " + op + " " + right + " = " + result;
    }
}
