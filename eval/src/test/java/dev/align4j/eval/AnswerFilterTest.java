package dev.align4j.eval;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnswerFilterTest {

    private static AnswerFilter filter(String filter, String pattern, int group, String match) {
        TaskConfig c = EvalTesting.task("t", "generate_until", Path.of("x.jsonl"));
        c.filter = filter;
        c.regexPattern = pattern;
        c.groupSelect = group;
        c.match = match;
        c.validate("test");
        return new AnswerFilter(c);
    }

    @Test
    void gsm8kStrictRegexTakesTheFirstGroupOfTheChosenMatch() {
        AnswerFilter strict = filter("regex", "#### (\\-?[0-9\\.\\,]+)", 0, "exact");
        assertEquals(Optional.of("72"), strict.extract("She sold 48/2 = 24 clips.\n#### 72\n\nQuestion: #### 5"));
        AnswerFilter last = filter("regex", "#### (\\-?[0-9\\.\\,]+)", -1, "exact");
        assertEquals(Optional.of("5"), last.extract("#### 72 then #### 5"));
        assertEquals(Optional.empty(), strict.extract("no marker here"));
        AnswerFilter whole = filter("regex", "[0-9]+", 1, "exact"); // no group: the whole match; the second one
        assertEquals(Optional.of("34"), whole.extract("12 and 34 and 56"));
        assertEquals(Optional.empty(), filter("regex", "[0-9]+", 5, "exact").extract("12 and 34"));
    }

    @Test
    void lastNumberDropsThousandsCommas() {
        AnswerFilter f = filter("last_number", null, 0, "numeric");
        assertEquals(Optional.of("1234.5"), f.extract("First 3 apples, then 1,234.5 pears."));
        assertEquals(Optional.of("-7"), f.extract("it is -7"));
        assertEquals(Optional.empty(), f.extract("no digits"));
        assertEquals("72", f.gold("Natalia sold 48 + 24 = 72 clips"));
        assertEquals("seventy", f.gold("seventy"), "a gold the filter finds nothing in stays whole");
    }

    @Test
    void boxedTakesTheLastBalancedBox() {
        AnswerFilter f = filter("boxed", null, 0, "numeric");
        assertEquals(Optional.of("\\frac{1}{2}"), f.extract("so \\boxed{3} no, \\boxed{\\frac{1}{2}}"));
        assertTrue(f.matches("\\frac{1}{2}", "0.5"));
        assertFalse(f.matches("\\frac{1}{3}", "0.333"), "no tolerance: 1/3 is not 0.333");
    }

    @Test
    void numericAndExactMatching() {
        AnswerFilter numeric = filter("none", null, 0, "numeric");
        assertTrue(numeric.matches("1,000", "1000.0"));
        assertFalse(numeric.matches("1001", "1000"));
        assertFalse(numeric.matches("many", "many"), "numeric matching needs numbers");
        AnswerFilter exact = filter("none", null, 0, "exact");
        assertTrue(exact.matches("  Paris ", "Paris"));
        assertFalse(exact.matches("paris.", "Paris"));
        TaskConfig c = EvalTesting.task("t", "generate_until", Path.of("x.jsonl"));
        c.ignoreCase = true;
        c.ignorePunctuation = true;
        assertTrue(new AnswerFilter(c).matches("paris.", "Paris"));
    }
}
