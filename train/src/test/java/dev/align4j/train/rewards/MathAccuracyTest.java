package dev.align4j.train.rewards;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.train.rewards.RewardFunction.Sample;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static dev.align4j.train.rewards.Samples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MathAccuracy} on hand-written completions: 1.0 right, 0.0 wrong or unanswered, null when the gold does not parse. */
class MathAccuracyTest {
    final MathAccuracy accuracy = new MathAccuracy();

    Double score(String gold, String completion) {
        return accuracy.score(List.of(sample("What is it?", completion, "solution", gold))).getFirst();
    }

    @Test
    void trlDocstringExample() {
        // trl/rewards/accuracy_rewards.py: [\boxed{\frac{1}{3}}, \boxed{\frac{1}{2}}] against \frac{1}{3} → [1.0, 0.0]
        List<Sample> batch = List.of(
                sample("p", "My answer is \\boxed{\\frac{1}{3}}", "solution", "\\frac{1}{3}"),
                sample("p", "My answer is \\boxed{\\frac{1}{2}}", "solution", "\\frac{1}{3}"));
        assertEquals(List.of(1.0, 0.0), accuracy.score(batch));
        assertEquals("accuracy_reward", accuracy.name());
    }

    @Test
    void boxedAnswersWithNestedBraces() {
        assertEquals(1.0, score("0.5", "so x = \\boxed{\\frac{1}{2}}."));
        assertEquals(1.0, score("1/2", "\\boxed{\\frac{\\sqrt{16}}{8}}"));
        assertEquals(1.0, score("12", "The length is \\boxed{12\\text{ cm}}"));
        assertEquals(1.0, score("5", "$\\boxed{x = 5}$"));
        assertEquals("\\frac{\\sqrt{16}}{8}", MathAccuracy.lastBoxed("a \\boxed{\\frac{\\sqrt{16}}{8}} b"));
    }

    @Test
    void theLastBalancedBoxWins() {
        String text = "First \\boxed{3}; no wait, \\boxed{4}.";
        assertEquals(1.0, score("4", text));
        assertEquals(0.0, score("3", text));
        // A last box cut off by truncation does not count: the previous one does.
        assertEquals(1.0, score("5", "\\boxed{5} and then \\boxed{6"));
        // A box beats an anchor, wherever it is.
        assertEquals(1.0, score("7", "\\boxed{7}\nAnswer: 8"));
    }

    @Test
    void anchoredAnswers() {
        assertEquals(1.0, score("42", "Let me compute.\nAnswer: 42"));
        assertEquals(1.0, score("42", "So the answer is 42."));
        assertEquals(1.0, score("42", "**Answer:** 42"));
        assertEquals(1.0, score("42", "Final answer: **42**"));
        assertEquals(1.0, score("42", "Answer:\n\n  42\n"));
        assertEquals(1.0, score("42", "answer: 41\nanswer: 42"), "the last anchor counts");
        assertEquals(0.0, score("41", "answer: 41\nanswer: 42"));
        assertEquals(1.0, score("1000", "She has 600 + 400.\n#### 1,000"));
        assertEquals(1.0, score("6", "Answer: 2*3"));
        assertEquals(Optional.of("$\\frac{1}{2}$"), MathAccuracy.finalAnswer("The answer is: $\\frac{1}{2}$"));
    }

    @Test
    void fractionsDecimalsAndFormsAreEqual() {
        assertEquals(1.0, score("\\frac{1}{2}", "Answer: 2/4"));
        assertEquals(1.0, score("\\frac{1}{2}", "Answer: 0.5"));
        assertEquals(1.0, score("\\frac{1}{2}", "\\boxed{\\dfrac12}"));
        assertEquals(1.0, score("0.75", "\\boxed{\\tfrac{3}{4}}"));
        assertEquals(1.0, score("-3", "\\boxed{-\\frac{6}{2}}"));
        assertEquals(1.0, score("1000", "\\boxed{1{,}000}"));
        assertEquals(1.0, score("50\\%", "Answer: 50"));
        assertEquals(1.0, score("18", "Answer: $18 dollars."));
        assertEquals(1.0, score("1024", "\\boxed{2^{10}}"));
        assertEquals(0.0, score("1/3", "Answer: 0.333"), "exact comparison, no tolerance");
    }

    @Test
    void wrongOrMissingAnswersScoreZero() {
        assertEquals(0.0, score("42", "\\boxed{43}"));
        assertEquals(0.0, score("42", "I think it is 42"), "no anchor: no last-number guess");
        assertEquals(0.0, score("42", "\\boxed{forty-two}"), "an answer that does not parse is wrong");
        assertEquals(0.0, score("42", ""));
    }

    @Test
    void unparsableGoldIsNull() {
        assertNull(score("x^2+1", "\\boxed{x^2+1}"));
        assertNull(score("\\text{(A)}", "Answer: (A)"));
        assertNull(score("", "\\boxed{1}"));
        assertNull(score("[0, 1]", "\\boxed{[0,1]}"));
    }

    @Test
    void goldIsTakenFromFullSolutions() {
        // MATH-style: the solution column is a worked solution ending in a box.
        assertEquals(1.0, score("We add them, so the answer is $\\boxed{\\frac{3}{5}}$.", "Answer: 0.6"));
        // GSM8K-style on its "answer" column.
        MathAccuracy gsm8k = new MathAccuracy("answer");
        List<Double> s = gsm8k.score(List.of(sample("p", "#### 72", "answer", "48/2 = 24 clips in May.\n48+24 = 72\n#### 72")));
        assertEquals(List.of(1.0), s);
        assertEquals("answer", gsm8k.column());
    }

    @Test
    void numericGoldColumns() {
        ObjectNode row = JsonLines.MAPPER.createObjectNode().put("solution", 0.25);
        assertEquals(List.of(1.0), accuracy.score(List.of(new Sample("p", "\\boxed{\\frac14}", 5, false, row))));
    }

    @Test
    void thinkBlocks() {
        // The answer is read after </think>; a box inside the reasoning does not count.
        assertEquals(1.0, score("42", "<think>maybe \\boxed{41}</think>The answer is \\boxed{42}"));
        assertEquals(0.0, score("41", "<think>maybe \\boxed{41}</think>The answer is \\boxed{42}"));
        assertEquals(0.0, score("42", "<think>it is \\boxed{42}</think>I am not sure."));
        // Reasoning that never closes has not answered.
        assertEquals(0.0, score("42", "<think>so \\boxed{42}"));
        // Qwen3-style: the template's generation prompt opened <think>, the completion only closes it.
        assertEquals(1.0, score("42", "6 times 7\n</think>\n\n\\boxed{42}"));
        // The last </think> counts (TRL's content.split("</think>")[-1]).
        assertEquals(1.0, score("2", "<think>a</think>\\boxed{1}<think>b</think>\\boxed{2}"));
        assertEquals(0.0, score("1", "<think>a</think>\\boxed{1}<think>b</think>so?"));
    }

    @Test
    void reasoningVariantRequiresAClosedThinkBlock() {
        MathAccuracy reasoning = MathAccuracy.reasoning();
        assertEquals("reasoning_accuracy_reward", reasoning.name());
        List<Sample> batch = List.of(
                sample("p", "<think> Reasoning content </think> The final answer is \\boxed{\\frac{1}{3}}", "solution", "\\frac{1}{3}"),
                sample("p", "<think> Reasoning content </think> The final answer is \\boxed{\\frac{1}{2}}", "solution", "\\frac{1}{3}"),
                sample("p", "<think> Reasoning with a partial \\boxed{\\frac{1}{3}} but no final answer", "solution", "\\frac{1}{3}"),
                sample("p", "\\boxed{\\frac{1}{3}}", "solution", "\\frac{1}{3}"));
        // TRL's docstring example for the first three, [1.0, 0.0, 0.0]; no </think> at all is 0 too.
        assertEquals(List.of(1.0, 0.0, 0.0, 0.0), reasoning.score(batch));
        assertEquals(1.0, accuracy.score(List.of(batch.get(3))).getFirst(), "the plain variant needs no think block");
    }

    @Test
    void rowsWithoutTheColumnAreNotApplicable() {
        List<Sample> batch = List.of(sample("p", "\\boxed{1}", "solution", "1"), sample("p", "\\boxed{1}", "other", "1"));
        assertEquals(Arrays.asList(1.0, null), accuracy.score(batch));
    }

    @Test
    void aBatchWithoutTheColumnNamesIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> accuracy.score(List.of(sample("p", "\\boxed{1}", "answer", "1"))));
        assertTrue(e.getMessage().contains("\"solution\"") && e.getMessage().contains("[answer]"), e.getMessage());
    }

    @Test
    void aListOfNumbersIsMatchedItemByItemInOrder() {
        assertEquals(1.0, score("3, 17, 42", "<think>\n3 < 17 < 42\n</think>\nAnswer: 3, 17, 42"));
        assertEquals(1.0, score("3, 17, 42", "Answer: 3,  17, 42."));
        assertEquals(0.0, score("3, 17, 42", "Answer: 17, 3, 42"), "the order is the answer");
        assertEquals(0.0, score("3, 17, 42", "Answer: 3, 17"));
        assertEquals(0.0, score("3, 17, 42", "Answer: 62"));
        assertEquals(1.0, score("1,000", "Answer: 1000"), "a thousands comma has no space: one number");
        assertEquals(0.0, score("1, 000", "Answer: 1000"), "comma and space: a list of two");
    }
}
