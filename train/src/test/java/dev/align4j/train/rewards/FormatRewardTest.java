package dev.align4j.train.rewards;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.align4j.train.rewards.Samples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link FormatReward}: TRL's think pattern and a custom one, on completions that match and ones that do not. */
class FormatRewardTest {

    static double score(FormatReward f, String completion) {
        return f.score(List.of(sample("p", completion))).getFirst();
    }

    @Test
    void trlDocstringExample() {
        FormatReward f = new FormatReward();
        assertEquals("think_format_reward", f.name());
        assertEquals(List.of(1.0, 0.0), f.score(List.of(
                sample("p", "<think>\nThis is my reasoning.\n</think>\nThis is my answer."),
                sample("p", "<think>\nThis is my reasoning.\nThis is my answer."))));
    }

    @Test
    void thinkPattern() {
        FormatReward f = new FormatReward();
        assertEquals(1.0, score(f, "<think></think>"));
        assertEquals(1.0, score(f, "<think>a\nb</think>"));
        assertEquals(1.0, score(f, "<think>a</think>\n\nanswer\nover lines"));
        assertEquals(0.0, score(f, "<think>a</think><think>b</think>"), "a second <think>");
        assertEquals(0.0, score(f, "<think>a<think>b</think>"), "a nested <think>");
        assertEquals(0.0, score(f, "Sure! <think>a</think>"), "text before <think>");
        assertEquals(0.0, score(f, "\n<think>a</think>"), "must start with <think>");
        assertEquals(0.0, score(f, "reasoning</think> answer"), "no opening tag (a template that opened it in the prompt)");
        assertEquals(0.0, score(f, ""));
    }

    @Test
    void customPatternMustMatchTheWholeCompletion() {
        FormatReward f = new FormatReward("<think>.*?</think>\\s*<answer>.*?</answer>");
        assertEquals("format_reward", f.name());
        assertEquals(1.0, score(f, "<think>x\ny</think>\n<answer>42</answer>"));
        assertEquals(0.0, score(f, "<think>x</think>\n<answer>42</answer> and more"), "full match, not a prefix");
        assertEquals(0.0, score(f, "<think>x</think>42"));
        assertEquals("answer_format", new FormatReward("answer_format", "<answer>.*</answer>").name());
    }

    @Test
    void invalidPatternFailsAtConstruction() {
        assertThrows(java.util.regex.PatternSyntaxException.class, () -> new FormatReward("(unclosed"));
    }
}
