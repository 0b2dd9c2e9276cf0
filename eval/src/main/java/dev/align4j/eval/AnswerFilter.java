package dev.align4j.eval;

import dev.align4j.train.rewards.MathAccuracy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How a generative task takes the answer out of a completion and compares it with the gold, the
 * GSM8K style of lm-evaluation-harness: a filter, then a match.
 *
 * <p>Filters: {@code none} (the completion, trimmed); {@code regex} (lm-evaluation-harness's
 * RegexFilter: the match {@code group_select} — 0 the first, −1 the last — and its first group, or
 * the whole match when the pattern has none; GSM8K's strict match is {@code #### (\-?[0-9\.\,]+)});
 * {@code last_number} (the last number of the text, its thousands commas dropped: GSM8K's flexible
 * extraction); {@code boxed} (the last balanced {@code \boxed{…}}). A completion the filter finds
 * nothing in has no answer, which never matches. The gold ({@code doc_to_target}) goes through the
 * same filter and stays whole when the filter finds nothing in it.
 *
 * <p>Matches: {@code exact} (string equality after trimming, optionally ignoring case and
 * punctuation, as lm-evaluation-harness's exact_match options) or {@code numeric} (the same exact
 * value as numbers or simple expressions, {@link MathAccuracy#sameValue}: "1,000" = 1000.0,
 * "1/2" = 0.5).
 */
final class AnswerFilter {
    private static final Pattern NUMBER = Pattern.compile("-?\\d[\\d,]*(?:\\.\\d+)?");
    private static final Pattern PUNCTUATION = Pattern.compile("\\p{Punct}");

    private final String filter;
    private final Pattern regex;
    private final int groupSelect;
    private final boolean numeric, ignoreCase, ignorePunctuation;

    AnswerFilter(TaskConfig c) {
        this.filter = c.filter;
        try {
            this.regex = c.regexPattern == null ? null : Pattern.compile(c.regexPattern);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("task " + c.task + ": regex_pattern is not a valid regular expression: " + e.getDescription());
        }
        this.groupSelect = c.groupSelect;
        this.numeric = c.match.equals("numeric");
        this.ignoreCase = c.ignoreCase;
        this.ignorePunctuation = c.ignorePunctuation;
    }

    /** The answer in {@code text}, or empty when the filter finds none. */
    Optional<String> extract(String text) {
        return switch (filter) {
            case "none" -> Optional.of(text.strip());
            case "boxed" -> MathAccuracy.boxed(text).map(String::strip);
            case "last_number" -> {
                Matcher m = NUMBER.matcher(text);
                String last = null;
                while (m.find()) last = m.group();
                yield Optional.ofNullable(last).map(s -> s.replace(",", ""));
            }
            case "regex" -> {
                List<String> found = new ArrayList<>();
                Matcher m = regex.matcher(text);
                while (m.find()) found.add(m.groupCount() > 0 && m.group(1) != null ? m.group(1) : m.group());
                if (found.isEmpty()) yield Optional.empty();
                int at = groupSelect < 0 ? found.size() + groupSelect : groupSelect;
                yield at >= 0 && at < found.size() ? Optional.of(found.get(at).strip()) : Optional.empty();
            }
            default -> throw new IllegalStateException("unvalidated filter " + filter);
        };
    }

    /** The gold answer of a target text: the filter's answer, or the whole text trimmed. */
    String gold(String target) {
        return extract(target).orElse(target.strip());
    }

    /** Whether an extracted answer matches the gold. */
    boolean matches(String answer, String gold) {
        if (numeric) return MathAccuracy.sameValue(answer, gold);
        return normalise(answer).equals(normalise(gold));
    }

    private String normalise(String s) {
        s = s.strip();
        if (ignoreCase) s = s.toLowerCase(Locale.ROOT);
        if (ignorePunctuation) s = PUNCTUATION.matcher(s).replaceAll("");
        return s;
    }
}
