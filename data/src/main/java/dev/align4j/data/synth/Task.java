package dev.align4j.data.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A procedurally generated task with verifiable answers: draws random problems of its kind and
 * knows how many distinct problems it can make.
 *
 * <p>What it is not: a sampler of distinct problems ({@link Draw} collects those and splits them
 * by {@link HeldOut}), nor a file writer ({@link SynthWriter}). A task draws from the
 * {@link Random} it is given and holds no state, so a seed fixes its problems.
 *
 * <p>Based on the synthetic, rule-checked tasks of reasoning-RL work (the arithmetic, sorting and
 * letter-counting "toy" tasks used to study GRPO on small models, e.g. TinyZero's countdown and
 * nanochat's {@code tasks/spellingbee.py}): problems whose answers a few lines of code can verify, so that every
 * stage of post-training, from pretraining text to verifiable rewards, can be run on one world.
 */
public sealed interface Task permits Arithmetic, Sorting, Counting, Conversion {

    /** Every task, in the order {@code --task all} writes them. */
    List<Task> ALL = List.of(new Arithmetic(), new Sorting(), new Counting(), new Conversion());

    /** The task's name: its folder and its {@code task} column. */
    String name();

    /** One random problem, its level drawn uniformly from 1..3. */
    Problem draw(Random rng);

    /** How many distinct questions the task can draw at {@code level} (1..3); saturates at {@link Long#MAX_VALUE}. */
    long capacity(int level);

    /** How many distinct questions the task can draw at all levels together. */
    default long capacity() {
        long total = 0;
        for (int level = 1; level <= 3; level++) total = saturatingAdd(total, capacity(level));
        return total;
    }

    /** The task called {@code name}, or an error that lists the known ones. */
    static Task named(String name) {
        for (Task t : ALL) {
            if (t.name().equals(name)) return t;
        }
        throw new IllegalArgumentException("unknown task '" + name + "'; known tasks: " + names() + " (or all)");
    }

    /** Tasks from a comma-separated list of names, {@code all} meaning every task; duplicates dropped, order kept. */
    static List<Task> parse(String names) {
        Set<Task> out = new LinkedHashSet<>();
        for (String name : names.split(",", -1)) {
            String n = name.strip();
            if (n.isEmpty()) throw new IllegalArgumentException("empty task name in '" + names + "'; known tasks: " + names() + " (or all)");
            if (n.equals("all")) out.addAll(ALL);
            else out.add(named(n));
        }
        return List.copyOf(out);
    }

    private static String names() {
        List<String> out = new ArrayList<>();
        for (Task t : ALL) out.add(t.name());
        return String.join(", ", out);
    }

    static long saturatingAdd(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    static long saturatingMultiply(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
