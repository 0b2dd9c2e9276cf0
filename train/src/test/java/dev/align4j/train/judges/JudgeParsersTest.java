package dev.align4j.train.judges;

import org.junit.jupiter.api.Test;

import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link JudgeParsers} on hand-written judge outputs. */
class JudgeParsersTest {

    @Test
    void oneKindOfVerdictMarkerIsTheVerdictInPresentationOrder() {
        assertEquals(Verdict.FIRST, JudgeParsers.verdict("A is clearer and correct.\n[[A]]"));
        assertEquals(Verdict.SECOND, JudgeParsers.verdict("[[B]]"));
        assertEquals(Verdict.TIE, JudgeParsers.verdict("Both are fine. Verdict: [[C]]"));
        assertEquals(Verdict.SECOND, JudgeParsers.verdict("[[B]] ... so my final verdict is [[B]]"), "repeats of one kind");
    }

    @Test
    void noMarkerOrConflictingMarkersAreUnparsed() {
        assertEquals(Verdict.UNPARSED, JudgeParsers.verdict("Assistant A is better."));
        assertEquals(Verdict.UNPARSED, JudgeParsers.verdict(""));
        assertEquals(Verdict.UNPARSED, JudgeParsers.verdict("[[A]] or maybe [[B]]"));
        assertEquals(Verdict.UNPARSED, JudgeParsers.verdict("[[A]] if A is better, [[B]] if B, [[C]] for a tie"), "an echo of the instructions");
        assertEquals(Verdict.UNPARSED, JudgeParsers.verdict("[A] [[a]] [[D]] [[ A ]]"), "only the exact markers count");
    }

    @Test
    void bracketedRatingsInRange() {
        assertEquals(OptionalDouble.of(5), JudgeParsers.rating("Rating: [[5]]"));
        assertEquals(OptionalDouble.of(7.5), JudgeParsers.rating("Solid but verbose. Rating: [[7.5]]"));
        assertEquals(OptionalDouble.of(10), JudgeParsers.rating("[[10]]"));
        assertEquals(OptionalDouble.of(1), JudgeParsers.rating("[[1]]"));
        assertEquals(OptionalDouble.of(3), JudgeParsers.rating("At first [[8]], but the proof is wrong: Rating: [[3]]"), "the last wins");
    }

    @Test
    void outOfRangeOrAbsentRatingsAreUnparsed() {
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("Rating: [[11]]"));
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("Rating: [[0]]"));
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("Rating: [[-3]]"));
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("Rating: [[10.5]]"));
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("[[6]] on second thought [[0]]"), "the last word counts, not the last valid one");
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("A good answer, I would say excellent."));
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("Rating: [[high]]"));
    }

    @Test
    void aBareRatingIsTheFallback() {
        assertEquals(OptionalDouble.of(7), JudgeParsers.rating("Rating: 7"));
        assertEquals(OptionalDouble.of(6.5), JudgeParsers.rating("rating:6.5 out of 10"));
        assertEquals(OptionalDouble.of(4), JudgeParsers.rating("Rating: 9 ... no. Rating: 4"));
        assertEquals(OptionalDouble.of(2), JudgeParsers.rating("Rating: 9, final Rating: [[2]]"), "a bracketed rating beats the fallback");
        assertEquals(OptionalDouble.empty(), JudgeParsers.rating("Rating: 12"));
    }
}
