package dev.align4j.data.synth;

import java.util.List;
import java.util.Random;

/**
 * The assistant's side of every conversational row: the well-formatted reply SFT teaches, a
 * reasoning block and then the answer line,
 * <pre>
 * &lt;think&gt;
 * 3 + 4 = 7
 * &lt;/think&gt;
 * Answer: 7
 * </pre>
 * and replies that give the right answer badly formatted, the rejected side of format
 * preference pairs: without the reasoning block, without the "Answer:" line, or wrapped in chatter.
 *
 * <p>Based on the reply format that TRL's {@code think_format_reward} and {@code accuracy_reward}
 * read (a {@code <think>…</think>} block, then the final answer; align4j's accuracy reward takes
 * it from the "Answer:" line after {@code </think>}), and DeepSeek-R1's reasoning format.
 *
 * <p>What it is not: a checker. Whether a reply is well formatted is decided by the tests and the
 * reward functions, not here.
 */
public final class Replies {
    private Replies() {}

    /** How a badly formatted reply departs from the format. */
    public enum BadFormat {
        /** The answer line alone, no reasoning block. */
        NO_THINK,
        /** The reasoning block and then the bare answer, no "Answer:" line. */
        NO_ANSWER_LINE,
        /** The well-formatted reply with chatter before and after it. */
        CHATTER
    }

    static final List<String> OPENINGS = List.of("Sure! Let me work this out.", "Great question!", "Okay, here is what I think.",
            "Happy to help with that.");
    static final List<String> CLOSINGS = List.of("I hope this helps!", "Let me know if you have any other questions.",
            "That was a fun one!", "Feel free to ask me another one.");

    /** The well-formatted reply. */
    public static String formatted(String reasoning, String answer) {
        return "<think>\n" + reasoning + "\n</think>\nAnswer: " + answer;
    }

    /** The right answer, badly formatted in the way {@code how} says. */
    public static String badlyFormatted(Problem p, BadFormat how, Random rng) {
        return switch (how) {
            case NO_THINK -> "Answer: " + p.answer();
            case NO_ANSWER_LINE -> "<think>\n" + p.reasoning() + "\n</think>\n" + p.answer();
            case CHATTER -> Text.pick(rng, OPENINGS) + "\n" + formatted(p.reasoning(), p.answer()) + "\n" + Text.pick(rng, CLOSINGS);
        };
    }

    /** The right answer badly formatted in a random way. */
    public static String badlyFormatted(Problem p, Random rng) {
        BadFormat[] all = BadFormat.values();
        return badlyFormatted(p, all[rng.nextInt(all.length)], rng);
    }
}
