package dev.align4j.train.rewards;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact evaluator behind {@link MathAccuracy}: each row's text against its value worked out by
 * hand (as a reduced fraction), and texts it must refuse rather than guess.
 */
class MathExpressionTest {

    static Rational r(String fraction) {
        String[] p = fraction.split("/");
        return p.length == 1 ? Rational.of(Long.parseLong(p[0]), 1) : Rational.of(Long.parseLong(p[0]), Long.parseLong(p[1]));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            42                              | 42
            -7                              | -7
            2/4                             | 1/2
            0.5                             | 1/2
            .5                              | 1/2
            0.125                           | 1/8
            \\frac{1}{2}                    | 1/2
            \\dfrac{3}{4}                   | 3/4
            \\tfrac{6}{8}                   | 3/4
            \\frac12                        | 1/2
            -\\frac{6}{2}                   | -3
            \\frac{-1}{3}                   | -1/3
            \\frac{\\frac{1}{2}}{\\frac{3}{4}} | 2/3
            1,000                           | 1000
            1{,}000                         | 1000
            1\\,000                         | 1000
            1,000,000                       | 1000000
            2^{10}                          | 1024
            2^10                            | 1024
            2^{-1}                          | 1/2
            -2^2                            | -4
            (-2)^2                          | 4
            2^3^2                           | 512
            (1+2)*3                         | 9
            1+2*3                           | 7
            2(3+4)                          | 14
            (1)(2)                          | 2
            3\\cdot4                        | 12
            3 \\times 4                     | 12
            6\\div4                         | 3/2
            10-4-3                          | 3
            12/3/2                          | 2
            \\sqrt{16}                      | 4
            \\sqrt{\\frac{9}{4}}            | 3/2
            $\\left(\\frac{1}{2}\\right)$   | 1/2
            \\[ 7 \\]                       | 7
            x = 5                           | 5
            42 apples.                      | 42
            12\\text{ cm}                   | 12
            \\text{12}                      | 12
            50\\%                           | 50
            50%                             | 50
            90^\\circ                       | 90
            90°                             | 90
            \\$18.50                        | 37/2
            −3                              | -3
            """)
    void evaluatesExactly(String text, String expected) {
        assertEquals(Optional.of(r(expected)), MathExpression.value(text), text);
    }

    @ParameterizedTest(name = "refuses {0}")
    @ValueSource(strings = {"", "   ", "x", "2x", "x^2+1", "\\pi", "2\\pi", "\\sqrt{2}", "1/0", "\\frac{1}{0}", "0^{-1}",
            "2^{1/2}", "1,2", "1, 2", "1234,567", "(1,2)", "[0,1]", "2\\frac12", "1e3", "2^{1000000}", "(1+2", "1+", "\\frac{1}",
            "\\text{(A)}", "."})
    void refusesWhatItCannotEvaluate(String text) {
        assertEquals(Optional.empty(), MathExpression.value(text), text);
    }

    @Test
    void equalValuesAreEqualRecords() {
        assertEquals(MathExpression.value("2/4"), MathExpression.value("\\frac{1}{2}"));
        assertEquals(MathExpression.value("0.50"), MathExpression.value("1/2"));
        assertTrue(MathExpression.value("0.333").isPresent());
        assertTrue(!MathExpression.value("0.333").equals(MathExpression.value("1/3")), "no numeric tolerance");
    }

    @Test
    void deepNestingIsRefusedNotOverflowed() {
        String deep = "(".repeat(100_000) + "1" + ")".repeat(100_000);
        assertEquals(Optional.empty(), MathExpression.value(deep));
        String nested = "(".repeat(300) + "1" + ")".repeat(300);
        assertEquals(Optional.of(Rational.ONE), MathExpression.value(nested), "within the length cap");
    }

    @Test
    void closingBraceSkipsNestedAndEscapedBraces() {
        String s = "{a{b}\\}c}d";
        assertEquals(8, MathExpression.closingBrace(s, 0));
        assertEquals(-1, MathExpression.closingBrace("{a{b}", 0));
    }
}
