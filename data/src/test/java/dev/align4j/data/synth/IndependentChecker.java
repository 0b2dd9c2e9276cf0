package dev.align4j.data.synth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a generated question back and works out its answer and level from the question text
 * alone, with regular expressions and its own tables — none of the generators' code — so that the
 * tests catch a generator whose answers are wrong. Also reads replies: whether one is in the
 * trained format, and which answer it gives.
 */
final class IndependentChecker {
    private IndependentChecker() {}

    /** The answer and the level a question should have. */
    record Solved(String answer, int level) {}

    static Solved solve(String task, String question) {
        return switch (task) {
            case "arithmetic" -> arithmetic(question);
            case "sorting" -> sorting(question);
            case "counting" -> counting(question);
            case "conversion" -> conversion(question);
            default -> throw new AssertionError("no checker for task " + task);
        };
    }

    // ---- arithmetic: numbers, and the verb before each one says add or subtract ----

    private static final Pattern PRODUCT = Pattern.compile("(\\d+) (?:boxes|bags|packs|jars|baskets|crates|trays|tins) (?:of|with) (\\d+)");
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final Pattern ADD_CUE = Pattern.compile("(?:has|had|buys|finds|gets|receives|collects|wins|picks up|is given) $");
    private static final Pattern SUBTRACT_CUE = Pattern.compile("(?:gives away|loses|sells|trades away|donates) $");
    private static final Pattern ARITHMETIC_ASK = Pattern.compile("How many [a-z ]+ (?:does [A-Z][a-z]+ have (?:now|left)|do [A-Z][a-z]+ and [A-Z][a-z]+ have together now)\\?$");

    static Solved arithmetic(String question) {
        if (!ARITHMETIC_ASK.matcher(question).find()) throw new AssertionError("not an arithmetic question: " + question);
        boolean product = false;
        Matcher pm = PRODUCT.matcher(question);
        StringBuilder flat = new StringBuilder();
        while (pm.find()) {
            product = true;
            pm.appendReplacement(flat, Long.toString(Long.parseLong(pm.group(1)) * Long.parseLong(pm.group(2))));
        }
        pm.appendTail(flat);
        String text = flat.toString();
        Matcher m = NUMBER.matcher(text);
        long total = 0;
        int from = 0;
        List<Long> plain = new ArrayList<>();
        while (m.find()) {
            String before = text.substring(from, m.start());
            long v = Long.parseLong(m.group());
            if (SUBTRACT_CUE.matcher(before).find()) total -= v;
            else if (ADD_CUE.matcher(before).find()) total += v;
            else throw new AssertionError("no verb before " + v + " in: " + question);
            if (total < 0) throw new AssertionError("a negative count in: " + question);
            plain.add(v);
            from = m.end();
        }
        int level = product ? 3 : plain.size() == 2 && plain.stream().allMatch(v -> v <= 9) ? 1 : 2;
        if (level == 2 && !plain.stream().allMatch(v -> v <= 20)) throw new AssertionError("a level-2 number above 20 in: " + question);
        return new Solved(Long.toString(total), level);
    }

    // ---- sorting: the direction's words and the list after the colon ----

    private static final Pattern ASCENDING = Pattern.compile("ascending|smallest to largest|least to greatest");
    private static final Pattern DESCENDING = Pattern.compile("descending|largest to smallest|greatest to least");
    private static final Pattern LIST = Pattern.compile(": ((?:\\d+, )+\\d+)\\.$");

    static Solved sorting(String question) {
        boolean up = ASCENDING.matcher(question).find(), down = DESCENDING.matcher(question).find();
        if (up == down) throw new AssertionError("no single direction in: " + question);
        Matcher m = LIST.matcher(question);
        if (!m.find()) throw new AssertionError("no list in: " + question);
        int[] values = Arrays.stream(m.group(1).split(", ")).mapToInt(Integer::parseInt).toArray();
        if (Arrays.stream(values).distinct().count() != values.length || Arrays.stream(values).anyMatch(v -> v < 0 || v > 99)) {
            throw new AssertionError("not distinct values 0..99: " + question);
        }
        int[] sorted = values.clone();
        Arrays.sort(sorted);
        StringBuilder answer = new StringBuilder();
        for (int i = 0; i < sorted.length; i++) {
            if (i > 0) answer.append(", ");
            answer.append(up ? sorted[i] : sorted[sorted.length - 1 - i]);
        }
        int level = switch (values.length) {
            case 3 -> 1;
            case 4 -> 2;
            case 5, 6 -> 3;
            default -> throw new AssertionError("a list of " + values.length + ": " + question);
        };
        return new Solved(answer.toString(), level);
    }

    // ---- counting: the quoted letter and the quoted word ----

    private static final Pattern QUOTED = Pattern.compile("\"([a-z]+)\"");

    static Solved counting(String question) {
        Matcher m = QUOTED.matcher(question);
        String letter = null, word = null;
        while (m.find()) {
            if (m.group(1).length() == 1) letter = m.group(1);
            else word = m.group(1);
        }
        if (letter == null || word == null) throw new AssertionError("no letter and word in: " + question);
        int n = word.length() - word.replace(letter, "").length();
        if (n > 3) throw new AssertionError("a letter that occurs " + n + " times: " + question);
        return new Solved(Integer.toString(n), word.length() <= 4 ? 1 : word.length() <= 6 ? 2 : 3);
    }

    // ---- conversion: each unit's size in its dimension's smallest unit ----

    private static final Map<String, Long> SIZE = Map.ofEntries(
            Map.entry("second", 1L), Map.entry("minute", 60L), Map.entry("hour", 3600L), Map.entry("day", 86_400L), Map.entry("week", 604_800L),
            Map.entry("month", 1L), Map.entry("year", 12L),
            Map.entry("millimeter", 1L), Map.entry("centimeter", 10L), Map.entry("meter", 1000L), Map.entry("kilometer", 1_000_000L),
            Map.entry("inch", 1L), Map.entry("foot", 12L), Map.entry("yard", 36L),
            Map.entry("gram", 1L), Map.entry("kilogram", 1000L), Map.entry("milliliter", 1L), Map.entry("liter", 1000L),
            Map.entry("cent", 1L), Map.entry("dollar", 100L));
    private static final Map<String, String> DIMENSION = Map.ofEntries(
            Map.entry("second", "time"), Map.entry("minute", "time"), Map.entry("hour", "time"), Map.entry("day", "time"), Map.entry("week", "time"),
            Map.entry("month", "calendar"), Map.entry("year", "calendar"),
            Map.entry("millimeter", "metric length"), Map.entry("centimeter", "metric length"), Map.entry("meter", "metric length"),
            Map.entry("kilometer", "metric length"), Map.entry("inch", "imperial length"), Map.entry("foot", "imperial length"),
            Map.entry("yard", "imperial length"), Map.entry("gram", "mass"), Map.entry("kilogram", "mass"), Map.entry("milliliter", "volume"),
            Map.entry("liter", "volume"), Map.entry("cent", "money"), Map.entry("dollar", "money"));
    /** Units one step apart, the conversions a level-1 or level-2 question makes. */
    private static final Set<String> NEIGHBOURS = Set.of("week/day", "day/hour", "hour/minute", "minute/second", "year/month",
            "kilometer/meter", "meter/centimeter", "centimeter/millimeter", "kilogram/gram", "liter/milliliter", "yard/foot",
            "foot/inch", "dollar/cent");
    private static final Pattern GIVEN = Pattern.compile("(\\d+) ([a-z]+)");
    private static final Pattern ASKED = Pattern.compile("^How many ([a-z]+) are (?:there )?in|^Convert .* to ([a-z]+)\\.$|is how many ([a-z]+)\\?$");

    static Solved conversion(String question) {
        Matcher g = GIVEN.matcher(question), a = ASKED.matcher(question);
        if (!g.find() || !a.find()) throw new AssertionError("no amount or asked unit in: " + question);
        long amount = Long.parseLong(g.group(1));
        String from = unit(g.group(2)), to = unit(a.group(1) != null ? a.group(1) : a.group(2) != null ? a.group(2) : a.group(3));
        if (!DIMENSION.get(from).equals(DIMENSION.get(to))) throw new AssertionError("units of different kinds: " + question);
        long base = amount * SIZE.get(from);
        if (base % SIZE.get(to) != 0) throw new AssertionError("not a whole number: " + question);
        boolean up = SIZE.get(to) > SIZE.get(from);
        boolean neighbours = NEIGHBOURS.contains(up ? to + "/" + from : from + "/" + to);
        int level = up ? 2 : neighbours ? 1 : 3;
        if (up && !neighbours) throw new AssertionError("a conversion up more than one unit: " + question);
        return new Solved(Long.toString(base / SIZE.get(to)), level);
    }

    private static String unit(String word) {
        String singular = switch (word) {
            case "feet" -> "foot";
            case "inches" -> "inch";
            default -> word.endsWith("s") ? word.substring(0, word.length() - 1) : word;
        };
        if (!SIZE.containsKey(singular)) throw new AssertionError("unknown unit " + word);
        return singular;
    }

    // ---- replies ----

    private static final Pattern WELL_FORMATTED = Pattern.compile("\\A<think>\\n((?:(?!</?think>).)+)\\n</think>\\nAnswer: ([^\\n]+)\\z", Pattern.DOTALL);
    private static final Pattern ANSWER_LINE = Pattern.compile("(?m)^Answer: (.+)$");

    /** Whether a reply is exactly a reasoning block then one answer line. */
    static boolean wellFormatted(String reply) {
        return WELL_FORMATTED.matcher(reply).matches();
    }

    /** The answer a reply gives: its last "Answer:" line, else its last line after {@code </think>}. */
    static String answerOf(String reply) {
        String after = reply.contains("</think>") ? reply.substring(reply.lastIndexOf("</think>") + "</think>".length()) : reply;
        Matcher m = ANSWER_LINE.matcher(after);
        String last = null;
        while (m.find()) last = m.group(1);
        if (last != null) return last;
        String[] lines = after.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** The reasoning block of a reply, or null. */
    static String reasoningOf(String reply) {
        Matcher m = WELL_FORMATTED.matcher(reply);
        return m.matches() ? m.group(1) : null;
    }
}
