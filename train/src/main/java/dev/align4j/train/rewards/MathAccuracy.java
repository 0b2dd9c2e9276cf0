package dev.align4j.train.rewards;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Math accuracy (TRL's {@code accuracy_reward} and {@code reasoning_accuracy_reward}): 1.0 when the
 * completion's final answer equals the gold answer in the row's {@code "solution"} column (the
 * column is configurable), 0.0 when it does not or has no final answer, null when the gold answer
 * cannot be parsed (TRL: "if gold is not parseable → return None to skip the example").
 *
 * <p>The final answer of a completion, decided here (TRL's math_verify extracts the boxed answer
 * first and otherwise needs an anchor, {@code try_extract_without_anchor=False}; so does this):
 * <ol>
 * <li>Reasoning: when the completion holds {@code </think>}, only the text after its last
 *     occurrence is read (Qwen3-style chat templates, whose generation prompt may already hold
 *     the opening {@code <think>}). A completion that opens {@code <think>} and never closes it
 *     has not answered: 0.0. The reasoning variant ({@link #reasoning()}, TRL's
 *     {@code reasoning_accuracy_reward}) gives 0.0 to every completion without {@code </think>}.
 * <li>The last balanced {@code \boxed{…}} (or {@code \fbox{…}}), nested braces included.
 * <li>Otherwise the last anchor: a line's text after {@code Answer:} / {@code answer is}
 *     (any case, so also "Final answer:", "The answer is") or after {@code ####} (GSM8K's
 *     marker); markdown emphasis around it ({@code **42**}) is dropped, and an anchor ending its line takes
 *     the next non-blank line.
 * <li>Otherwise none: no "last number in the text" guess, which would reward a completion for
 *     whatever number it ends on.
 * </ol>
 * The gold answer: the last {@code \boxed{…}} of the column's text if it has one (a MATH-style full
 * solution), else the text after its last {@code ####} (GSM8K), else the whole text. Both sides are
 * then evaluated exactly by {@link MathExpression} (numbers, fractions, simple arithmetic, over
 * rationals; its comment lists what is normalised away and what is beyond it) and compared exactly:
 * "2/4", "0.5" and "\frac{1}{2}" are equal, 0.333 and 1/3 are not. A gold answer that is a list of
 * numbers ("3, 17, 42": a comma and a space between items) is matched item by item, in order.
 *
 * <p>Deviations from TRL: math_verify also compares symbolic answers (variables, intervals, sets,
 * π); a gold answer of that kind does not parse here, so those rows get null (skipped), not a
 * wrong 0. A row without the column gets null (a multi-task dataset's other rows); a batch in
 * which no row has it throws, naming the column. TRL's reasoning variant gives 0.0 to an
 * unfinished reasoning even when the gold answer does not parse; here the gold is checked first.
 */
public final class MathAccuracy implements RewardFunction {
    /** TRL's column for the gold answer. */
    public static final String DEFAULT_COLUMN = "solution";

    private static final Pattern LIST = Pattern.compile("\\s*-?\\d+(?:\\.\\d+)?(?:,\\s+-?\\d+(?:\\.\\d+)?)+\\s*\\.?");
    private static final Pattern BOXED = Pattern.compile("\\\\(?:boxed|fbox)\\s*\\{");
    private static final Pattern ANCHOR = Pattern.compile("(?im)(?:\\banswer\\s*(?:is\\b\\s*:?|:)|####)[ \\t]*(.*)$");

    private final String name;
    private final String column;
    private final boolean requireReasoning;

    /** TRL's {@code accuracy_reward}: the {@code "solution"} column. */
    public MathAccuracy() {
        this(DEFAULT_COLUMN);
    }

    /** {@code accuracy_reward} on another column (e.g. GSM8K's {@code "answer"}). */
    public MathAccuracy(String column) {
        this("accuracy_reward", column, false);
    }

    /**
     * @param name             the metric name
     * @param column           the row's column holding the gold answer
     * @param requireReasoning 0.0 for a completion without {@code </think>} (TRL's {@code reasoning_accuracy_reward})
     */
    public MathAccuracy(String name, String column, boolean requireReasoning) {
        this.name = Objects.requireNonNull(name, "name");
        this.column = Objects.requireNonNull(column, "column");
        this.requireReasoning = requireReasoning;
    }

    /** TRL's {@code reasoning_accuracy_reward} on the {@code "solution"} column. */
    public static MathAccuracy reasoning() {
        return new MathAccuracy("reasoning_accuracy_reward", DEFAULT_COLUMN, true);
    }

    @Override
    public String name() {
        return name;
    }

    public String column() {
        return column;
    }

    @Override
    public List<Double> score(List<Sample> batch) {
        boolean anyHasColumn = batch.isEmpty();
        List<Double> out = new ArrayList<>(batch.size());
        for (Sample s : batch) {
            JsonNode gold = s.row().get(column);
            if (gold != null && !gold.isNull()) anyHasColumn = true;
            out.add(score(gold == null || gold.isNull() ? null : gold.asText(), s.completion()));
        }
        if (!anyHasColumn) {
            List<String> fields = new ArrayList<>();
            batch.getFirst().row().fieldNames().forEachRemaining(fields::add);
            throw new IllegalArgumentException(name + ": no row of the batch has the column \"" + column + "\" (the first row has "
                    + fields + "); set the gold answer column (TRL's accuracy_reward reads \"solution\")");
        }
        return out;
    }

    /** The score of one completion against the gold text: 1.0, 0.0, or null when the gold does not parse. */
    Double score(String goldText, String completion) {
        if (goldText == null) return null;
        List<Rational> goldList = numberList(goldAnswer(goldText));
        Optional<Rational> gold = goldList != null ? Optional.empty() : MathExpression.value(goldAnswer(goldText));
        if (gold.isEmpty() && goldList == null) return null;
        String text = completion;
        int close = text.lastIndexOf("</think>");
        if (close >= 0) {
            text = text.substring(close + "</think>".length());
        } else if (requireReasoning || text.contains("<think>")) {
            return 0.0; // the reasoning never finished, so there is no final answer
        }
        if (goldList != null) return goldList.equals(finalAnswer(text).map(MathAccuracy::numberList).orElse(null)) ? 1.0 : 0.0;
        Optional<Rational> answer = finalAnswer(text).flatMap(MathExpression::value);
        return answer.isPresent() && answer.get().equals(gold.get()) ? 1.0 : 0.0;
    }

    /**
     * A list of numbers written "3, 17, 42" (a comma and a space between items, so "1,000" stays one
     * number), each item's exact value in order; null when the text is not such a list. An answer
     * that is a list (a sorted list, say) is right when its items are the gold's, in the gold's order.
     */
    static List<Rational> numberList(String text) {
        if (!LIST.matcher(text).matches()) return null;
        List<Rational> out = new ArrayList<>();
        for (String item : text.strip().replaceAll("\\.$", "").split(",\\s+")) {
            Optional<Rational> v = MathExpression.value(item);
            if (v.isEmpty()) return null;
            out.add(v.get());
        }
        return out;
    }

    /** The gold answer in a solution text: its last {@code \boxed{…}}, else after its last {@code ####}, else all of it. */
    static String goldAnswer(String solution) {
        String boxed = lastBoxed(solution);
        if (boxed != null) return boxed;
        int hashes = solution.lastIndexOf("####");
        return hashes >= 0 ? solution.substring(hashes + 4) : solution;
    }

    /**
     * The final answer of a completion's text (no reasoning handling): the last balanced
     * {@code \boxed{…}}, else the last anchored answer, as the class comment describes.
     */
    public static Optional<String> finalAnswer(String text) {
        String boxed = lastBoxed(text);
        if (boxed != null) return Optional.of(boxed);
        Matcher m = ANCHOR.matcher(text);
        String last = null;
        int lastEnd = -1;
        while (m.find()) {
            last = m.group(1);
            lastEnd = m.end();
        }
        if (last == null) return Optional.empty();
        last = stripEmphasis(last);
        if (last.isEmpty()) {
            // "Answer:" ends its line: take the next non-blank line.
            for (String line : text.substring(lastEnd).split("\\R")) {
                if (!line.isBlank()) {
                    last = stripEmphasis(line);
                    break;
                }
            }
        }
        return last.isEmpty() ? Optional.empty() : Optional.of(last);
    }

    /**
     * Whether two short answers have the same exact value: both parse as numbers or simple
     * expressions (the class comment's normalisation; "1,000" = 1000, "1/2" = 0.5 = \frac{1}{2})
     * and are equal. {@code align4j eval}'s numeric matching.
     */
    public static boolean sameValue(String a, String b) {
        Optional<Rational> x = MathExpression.value(a);
        return x.isPresent() && x.equals(MathExpression.value(b));
    }

    /** The content of the last {@code \boxed{…}} of {@code text} whose braces balance. */
    public static Optional<String> boxed(String text) {
        return Optional.ofNullable(lastBoxed(text));
    }

    /** Drops markdown emphasis around an answer ("** 42", "**42**"), keeping a "*" inside it ("2*3"). */
    private static String stripEmphasis(String s) {
        return s.replaceAll("^[*_\\s]+|[*_\\s]+$", "");
    }

    /** The content of the last {@code \boxed{…}} whose braces balance, or null. */
    static String lastBoxed(String text) {
        List<Integer> opens = new ArrayList<>();
        Matcher m = BOXED.matcher(text);
        while (m.find()) opens.add(m.end() - 1);
        for (int k = opens.size() - 1; k >= 0; k--) {
            int open = opens.get(k);
            int close = MathExpression.closingBrace(text, open);
            if (close >= 0) return text.substring(open + 1, close);
        }
        return null;
    }

    @Override
    public String toString() {
        return "MathAccuracy[" + name + ", column=" + column + "]";
    }
}
