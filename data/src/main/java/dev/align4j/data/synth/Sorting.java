package dev.align4j.data.synth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Sorting a short list of distinct integers 0..99, ascending or descending as the question says
 * ("Sort these numbers in ascending order: 42, 3, 17." → "3, 17, 42"). Level 1 sorts three
 * numbers, level 2 four, level 3 five or six. The reasoning is the chain of comparisons
 * ({@code 3 < 17 < 42}); wrong answers are the list with two neighbours swapped (its chain then states a
 * false comparison) or sorted the other way.
 *
 * <p>What it is not: a test of numbers with equal values or of more than six elements; a small
 * model's reasoning budget is short, and distinct values keep "the sorted list" unambiguous.
 */
public final class Sorting implements Task {

    /** Question openings: sort ascending (the first of each pair) or descending (the second). */
    static final List<String[]> PHRASES = List.of(
            new String[] {"Sort these numbers in ascending order: ", "Sort these numbers in descending order: "},
            new String[] {"Put these numbers in order from smallest to largest: ", "Put these numbers in order from largest to smallest: "},
            new String[] {"Arrange these numbers from least to greatest: ", "Arrange these numbers from greatest to least: "});

    private static final int VALUES = 100;

    @Override
    public String name() {
        return "sorting";
    }

    @Override
    public Problem draw(Random rng) {
        int level = Text.between(rng, 1, 3);
        int size = level == 1 ? 3 : level == 2 ? 4 : Text.between(rng, 5, 6);
        List<Integer> numbers = distinct(rng, size);
        boolean descending = rng.nextBoolean();
        String question = PHRASES.get(rng.nextInt(PHRASES.size()))[descending ? 1 : 0] + list(numbers) + ".";
        List<Integer> sorted = new ArrayList<>(numbers);
        sorted.sort(descending ? Collections.reverseOrder() : null);
        List<Integer> wrong;
        if (rng.nextBoolean()) { // two neighbours swapped
            int i = rng.nextInt(size - 1);
            wrong = new ArrayList<>(sorted);
            Collections.swap(wrong, i, i + 1);
        } else { // the other direction
            wrong = new ArrayList<>(sorted.reversed());
        }
        String order = descending ? "descending" : "ascending";
        List<String> prose = List.of(
                "Sorted in " + order + " order, " + list(numbers) + " becomes " + list(sorted) + ".",
                question + " In " + order + " order the numbers are " + list(sorted) + ".",
                "Sorted: " + list(sorted) + ".",
                chain(sorted, descending));
        return new Problem(name(), level, question, list(sorted), chain(sorted, descending), list(wrong), chain(wrong, descending), prose);
    }

    /** {@code size} distinct values 0..99 in random order (a partial Fisher-Yates shuffle). */
    private static List<Integer> distinct(Random rng, int size) {
        int[] pool = new int[VALUES];
        for (int i = 0; i < VALUES; i++) pool[i] = i;
        List<Integer> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            int j = i + rng.nextInt(VALUES - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
            out.add(pool[i]);
        }
        return out;
    }

    static String list(List<Integer> numbers) {
        return numbers.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** {@code "3 < 17 < 42"} ({@code >} descending), as the list stands: a mis-sorted list states a false comparison. */
    private static String chain(List<Integer> numbers, boolean descending) {
        return numbers.stream().map(String::valueOf).collect(Collectors.joining(descending ? " > " : " < "));
    }

    @Override
    public long capacity(int level) {
        long perms = switch (level) {
            case 1 -> permutations(3);
            case 2 -> permutations(4);
            case 3 -> Task.saturatingAdd(permutations(5), permutations(6));
            default -> throw new IllegalArgumentException("level must be 1..3, got " + level);
        };
        return Task.saturatingMultiply(perms, 2L * PHRASES.size()); // × direction × phrasing
    }

    /** Ordered selections of {@code k} distinct values from 100. */
    private static long permutations(int k) {
        long p = 1;
        for (int i = 0; i < k; i++) p *= VALUES - i;
        return p;
    }
}
