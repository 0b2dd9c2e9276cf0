package dev.align4j.data.synth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train/eval split: sizes as asked, no duplicates, no question in both, whatever the seeds; capacity errors. */
class HeldOutSplitTest {

    private static Set<String> questions(List<Problem> problems) {
        Set<String> out = new HashSet<>();
        for (Problem p : problems) out.add(p.question());
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"arithmetic", "sorting", "counting", "conversion"})
    void splitsHaveTheirSizesNoDuplicatesAndNoSharedQuestionAcrossSeeds(String name) {
        Task task = Task.named(name);
        Draw.Split a = Draw.problems(task, 500, 60, 1), b = Draw.problems(task, 500, 60, 2);
        for (Draw.Split s : List.of(a, b)) {
            assertEquals(500, s.train().size());
            assertEquals(60, s.eval().size());
            assertEquals(500, questions(s.train()).size(), "no duplicate training question");
            assertEquals(60, questions(s.eval()).size(), "no duplicate evaluation question");
            for (Problem p : s.train()) assertFalse(HeldOut.isEval(p.question()), p.question());
            for (Problem p : s.eval()) assertTrue(HeldOut.isEval(p.question()), p.question());
        }
        // not only within a run: one seed's evaluation questions are in no seed's training set
        Set<String> trainA = questions(a.train()), trainB = questions(b.train());
        for (String q : questions(a.eval())) assertFalse(trainA.contains(q) || trainB.contains(q), q);
        for (String q : questions(b.eval())) assertFalse(trainA.contains(q) || trainB.contains(q), q);
    }

    @Test
    void theEvaluationSetDoesNotDependOnTheTrainingSize() {
        for (Task task : Task.ALL) {
            assertEquals(Draw.problems(task, 10, 30, 5).eval(), Draw.problems(task, 700, 30, 5).eval(), task.name());
        }
    }

    @Test
    void aboutATenthOfQuestionsAreHeldOut() {
        Random rng = new Random(3);
        int held = 0, n = 20_000;
        for (int i = 0; i < n; i++) held += HeldOut.isEval(new Sorting().draw(rng).question()) ? 1 : 0;
        assertTrue(Math.abs(held - n / 10) < 300, held + " of " + n);
        assertEquals(HeldOut.hash("Tom has 3 apples."), HeldOut.hash("Tom has 3 apples."));
        assertTrue(HeldOut.hash("Tom has 3 apples.") != HeldOut.hash("Tom has 4 apples."));
    }

    /**
     * Counting's and conversion's spaces are small enough to draw whole: their capacities are exact,
     * not estimates. The rarest counting question (a level-1 word, one of its ~24 absent letters,
     * one of 4 templates) has probability about 1/57,600 a draw, so 1.2 million draws miss one of
     * the ~13,000 with probability about 13,000·e^(−20.8) ≈ 10^−5; conversion's rarest is 1/7,800.
     */
    @Test
    void smallCapacitiesAreExact() {
        for (Task task : List.of(new Counting(), new Conversion())) {
            Random rng = new Random(4);
            Set<String>[] seen = new Set[] {new HashSet<>(), new HashSet<>(), new HashSet<>()};
            int draws = task instanceof Counting ? 1_200_000 : 300_000;
            for (int i = 0; i < draws; i++) {
                Problem p = task.draw(rng);
                seen[p.level() - 1].add(p.question());
            }
            for (int level = 1; level <= 3; level++) assertEquals(task.capacity(level), seen[level - 1].size(), task.name() + " level " + level);
        }
        for (Task task : Task.ALL) {
            for (int level = 1; level <= 3; level++) {
                assertTrue(task.capacity(level) >= 800, task.name() + " level " + level + " has " + task.capacity(level));
            }
            assertTrue(task.capacity() >= 4000, task.name() + " has " + task.capacity());
        }
    }

    @Test
    void countsBeyondTheTaskFailClearly() {
        Task counting = Task.named("counting");
        var tooMany = assertThrows(IllegalArgumentException.class, () -> Draw.problems(counting, (int) counting.capacity(), 1, 0));
        assertTrue(tooMany.getMessage().contains("task counting has only " + counting.capacity() + " distinct problems"), tooMany.getMessage());
        // fewer than the whole space, but more evaluation problems than its held-out tenth holds
        int evalN = (int) (counting.capacity() / 5);
        var ranOut = assertThrows(IllegalArgumentException.class, () -> Draw.problems(counting, 10, evalN, 0));
        assertTrue(ranOut.getMessage().contains("ran out of distinct problems") && ranOut.getMessage().contains("--eval-n"), ranOut.getMessage());
        var badN = assertThrows(IllegalArgumentException.class, () -> Draw.problems(counting, 0, 1, 0));
        assertTrue(badN.getMessage().contains("--n must be at least 1"), badN.getMessage());
    }

    @Test
    void unknownTaskNamesListTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Task.parse("arithmetic,spelling"));
        assertTrue(e.getMessage().contains("unknown task 'spelling'") && e.getMessage().contains("arithmetic, sorting, counting, conversion"), e.getMessage());
        assertEquals(Task.ALL, Task.parse("all"));
        assertEquals(List.of(Task.named("sorting"), Task.named("counting")), Task.parse("sorting, counting,sorting"));
    }
}
