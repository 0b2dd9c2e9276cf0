package dev.align4j.data.synth;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Distinct problems of one task, split into training and held-out evaluation problems: random
 * problems are drawn and each goes to the split {@link HeldOut} assigns its question, unless that
 * split is full or already has the question, until both splits have the counts asked.
 *
 * <p>What it is not: a uniform sample over questions. A task draws its level first, so when one
 * level's questions run out the others make up the count and the mix of levels shifts.
 *
 * <p>When the task's space is too small for the counts, the draw stops after
 * {@value #MAX_FRUITLESS_DRAWS} draws in a row that add nothing and fails, naming the task's
 * capacity; counts beyond the capacity fail at once.
 */
public final class Draw {
    private Draw() {}

    static final int MAX_FRUITLESS_DRAWS = 200_000;

    /**
     * Training and evaluation problems, in the order they were drawn.
     *
     * @param train problems of the training split, no question twice
     * @param eval  problems of the evaluation split, no question twice, none among the training questions
     */
    public record Split(List<Problem> train, List<Problem> eval) {
        public Split {
            train = List.copyOf(train);
            eval = List.copyOf(eval);
        }
    }

    /** The default number of evaluation problems for {@code n} training problems: max(20, n / 10). */
    public static int defaultEvalCount(int n) {
        return Math.max(20, n / 10);
    }

    /**
     * Draws {@code n} training and {@code evalN} evaluation problems of {@code task}, from a random
     * stream fixed by {@code seed} and the task's name (so a task's problems do not depend on which
     * other tasks are generated with it).
     *
     * @throws IllegalArgumentException when a count is out of range or the task has too few distinct problems
     */
    public static Split problems(Task task, int n, int evalN, long seed) {
        if (n < 1) throw new IllegalArgumentException("--n must be at least 1, got " + n);
        if (evalN < 0) throw new IllegalArgumentException("--eval-n must be at least 0, got " + evalN);
        long capacity = task.capacity();
        if ((long) n + evalN > capacity) {
            throw new IllegalArgumentException("task " + task.name() + " has only " + capacity + " distinct problems, fewer than the "
                    + n + " training + " + evalN + " evaluation problems asked; ask for fewer with --n and --eval-n");
        }
        Random rng = random(seed, task.name(), "problems");
        List<Problem> train = new ArrayList<>(n), eval = new ArrayList<>(evalN);
        Set<String> seen = new HashSet<>();
        int fruitless = 0;
        while (train.size() < n || eval.size() < evalN) {
            Problem p = task.draw(rng);
            List<Problem> split = HeldOut.isEval(p.question()) ? eval : train;
            int wanted = split == eval ? evalN : n;
            if (split.size() < wanted && seen.add(p.question())) {
                split.add(p);
                fruitless = 0;
            } else if (++fruitless > MAX_FRUITLESS_DRAWS) {
                throw new IllegalArgumentException("task " + task.name() + " ran out of distinct problems: " + train.size() + " of "
                        + n + " training and " + eval.size() + " of " + evalN + " evaluation problems after " + MAX_FRUITLESS_DRAWS
                        + " draws in a row found no new one (the task has about " + capacity + " problems, 1 in " + HeldOut.BUCKETS
                        + " of them held out for evaluation); ask for fewer with --n and --eval-n");
            }
        }
        return new Split(train, eval);
    }

    /** A random stream fixed by the seed, the task and the stream's purpose; {@link Random}'s sequence is fixed by its specification. */
    static Random random(long seed, String task, String purpose) {
        return new Random(HeldOut.hash(seed + "/" + task + "/" + purpose));
    }
}
