package dev.align4j.train.judges;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LlmPairwiseJudge}'s position swap, with a fake backend that answers from the rendered
 * prompt: which answer sits in position A and which in B.
 */
class LlmPairwiseJudgeTest {
    static final Comparison GOOD_FIRST = new Comparison("Why is the sky blue?", "a good answer: Rayleigh scattering", "a bad answer: paint");
    static final Comparison GOOD_SECOND = new Comparison("What is 2+2?", "a bad answer: 5", "a good answer: 4");
    static final List<Comparison> BOTH = List.of(GOOD_FIRST, GOOD_SECOND);

    @Test
    void aFairJudgePicksTheGoodAnswerInEitherPosition() {
        var backend = new FakeJudge((a, b) -> a.contains("good") ? "A explains. [[A]]" : b.contains("good") ? "[[B]]" : "[[C]]");
        try (var judge = new LlmPairwiseJudge(backend, FakeJudge.TEMPLATE)) {
            List<LlmPairwiseJudge.Judgement> detail = judge.judgeDetailed(BOTH);
            assertEquals(Verdict.FIRST, detail.get(0).verdict());
            assertEquals(Verdict.SECOND, detail.get(1).verdict());
            for (var j : detail) {
                assertEquals(j.verdict(), j.firstAsA(), "the order verdicts are in the comparison's terms");
                assertEquals(j.verdict(), j.secondAsA());
                assertEquals(2, j.parsedOrders());
                assertFalse(j.positionInconsistent());
            }
            assertEquals("A explains. [[A]]", detail.get(0).rawFirstAsA());
            assertEquals("[[B]]", detail.get(0).rawSecondAsA(), "second order: the good answer was shown as B");
        }
        assertEquals(1, backend.batches, "both orders of every comparison in one batch");
        assertEquals(4, backend.asked.size());
        assertTrue(backend.asked.get(0).getLast().content().contains("A: a good answer"), "first order: first as A");
        assertTrue(backend.asked.get(1).getLast().content().contains("A: a bad answer: paint"), "second order: second as A");
        assertEquals("Judge.", backend.asked.get(0).getFirst().content());
        assertTrue(backend.closed, "closing the judge closes its backend");
    }

    @Test
    void aJudgeThatAlwaysPicksPositionACancelsToTies() {
        var backend = new FakeJudge((a, b) -> "[[A]]");
        try (var judge = new LlmPairwiseJudge(backend, FakeJudge.TEMPLATE)) {
            assertEquals(List.of(Verdict.TIE, Verdict.TIE), judge.judge(BOTH));
            var j = judge.judgeDetailed(List.of(GOOD_FIRST)).getFirst();
            assertEquals(Verdict.FIRST, j.firstAsA());
            assertEquals(Verdict.SECOND, j.secondAsA());
            assertTrue(j.positionInconsistent());
        }
    }

    @Test
    void whenOneOrderIsUnparsedTheOtherDecides() {
        var backend = new FakeJudge((a, b) -> a.contains("good") ? "[[A]]" : "I cannot decide.");
        try (var judge = new LlmPairwiseJudge(backend, FakeJudge.TEMPLATE)) {
            var detail = judge.judgeDetailed(BOTH);
            assertEquals(Verdict.FIRST, detail.get(0).verdict());
            assertEquals(Verdict.UNPARSED, detail.get(0).secondAsA());
            assertEquals(Verdict.SECOND, detail.get(1).verdict());
            assertEquals(Verdict.UNPARSED, detail.get(1).firstAsA());
            assertEquals(1, detail.get(1).parsedOrders());
            assertFalse(detail.get(1).positionInconsistent());
        }
    }

    @Test
    void whenBothOrdersAreUnparsedTheVerdictIsUnparsed() {
        var backend = new FakeJudge((a, b) -> "[[A]] no, [[B]]");
        try (var judge = new LlmPairwiseJudge(backend, FakeJudge.TEMPLATE)) {
            var j = judge.judgeDetailed(List.of(GOOD_FIRST)).getFirst();
            assertEquals(Verdict.UNPARSED, j.verdict());
            assertEquals(0, j.parsedOrders());
            assertFalse(j.positionInconsistent());
        }
    }

    @Test
    void aWinAndATieGiveTheWin() {
        // The judge sees the good answer only when it is shown first; otherwise it calls a tie.
        var backend = new FakeJudge((a, b) -> a.contains("good") ? "[[A]]" : "[[C]]");
        try (var judge = new LlmPairwiseJudge(backend, FakeJudge.TEMPLATE)) {
            var detail = judge.judgeDetailed(BOTH);
            assertEquals(Verdict.FIRST, detail.get(0).verdict());
            assertEquals(Verdict.TIE, detail.get(0).secondAsA());
            assertEquals(Verdict.SECOND, detail.get(1).verdict());
            assertEquals(Verdict.TIE, detail.get(1).firstAsA());
            assertTrue(detail.get(1).positionInconsistent(), "a win and a tie differ between orders");
        }
    }

    @Test
    void combiningFollowsTheMeanScoreOfTheFirstAnswer() {
        // first's score per order: FIRST 1, TIE 0.5, SECOND 0; the mean of the parsed ones against 0.5.
        Verdict F = Verdict.FIRST, S = Verdict.SECOND, T = Verdict.TIE, U = Verdict.UNPARSED;
        Verdict[][] table = { // {firstAsA, secondAsA, combined}
                {F, F, F}, {F, T, F}, {F, S, T}, {F, U, F},
                {T, F, F}, {T, T, T}, {T, S, S}, {T, U, T},
                {S, F, T}, {S, T, S}, {S, S, S}, {S, U, S},
                {U, F, F}, {U, T, T}, {U, S, S}, {U, U, U},
        };
        for (Verdict[] row : table) assertEquals(row[2], LlmPairwiseJudge.combine(row[0], row[1]), row[0] + " + " + row[1]);
    }

    @Test
    void theDefaultTemplateShowsTheAnswersInBothOrders() {
        // With the built-in template, A's answer is rendered before B's: a judge preferring "good" finds it by position.
        List<List<Message>> asked = new java.util.ArrayList<>();
        ChatBackend backend = conversations -> conversations.stream().map(c -> {
            asked.add(c);
            String user = c.getLast().content();
            return user.indexOf("a good answer") < user.indexOf("a bad answer") ? "[[A]]" : "[[B]]";
        }).toList();
        try (var judge = new LlmPairwiseJudge(backend)) {
            assertEquals(List.of(Verdict.FIRST, Verdict.SECOND), judge.judge(BOTH));
        }
        assertEquals("system", asked.getFirst().getFirst().role());
        assertTrue(asked.getFirst().getLast().content().contains(GOOD_FIRST.prompt()));
    }

    @Test
    void nothingToJudgeAsksNothing() {
        var backend = new FakeJudge((a, b) -> "[[A]]");
        try (var judge = new LlmPairwiseJudge(backend, FakeJudge.TEMPLATE)) {
            assertEquals(List.of(), judge.judge(List.of()));
        }
        assertEquals(0, backend.batches);
    }

    @Test
    void aSingleAnswerTemplateIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LlmPairwiseJudge(new FakeJudge((a, b) -> ""), JudgeTemplate.defaultSingle()));
        assertTrue(e.getMessage().contains("single.txt") && e.getMessage().contains("{answer_a}"), e.getMessage());
    }

    @Test
    void anUnreachableBackendPropagates() {
        ChatBackend down = conversations -> {
            throw new JudgeUnavailableException("judge server POST http://127.0.0.1:9/v1/chat/completions: refused");
        };
        try (var judge = new LlmPairwiseJudge(down, FakeJudge.TEMPLATE)) {
            assertThrows(JudgeUnavailableException.class, () -> judge.judge(BOTH));
        }
    }
}
