package dev.align4j.io.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python's {@code str} methods that chat templates call ({@code content.strip('\n')},
 * {@code content.split('</think>')[-1]}, {@code role.startswith('tool')}...), with Python's
 * semantics rather than Java's.
 *
 * <p>Not a general Python runtime: only the methods chat templates use, on whole strings, with
 * the argument forms listed per method. Where Java differs, Python wins: whitespace is Python's
 * {@code str.isspace()} set (Java's {@code trim} stops at U+0020 and {@code strip} misses U+00A0),
 * {@code split} takes a literal separator (Java's takes a regex), and lengths and indices count
 * code points.
 *
 * <p>Based on the Python 3 documentation of {@code str} (Built-in Types, "String Methods").
 */
final class PyStrings {
    private PyStrings() {}

    /** Python's {@code str.isspace()} for one code point. */
    static boolean isSpace(int cp) {
        return cp == 0x85 || Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    /** {@code s.strip()} / {@code s.strip(chars)}: chars is a set of code points, null for whitespace. */
    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.codePointAt(i), chars)) {
            i += Character.charCount(s.codePointAt(i));
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0 && strippable(s.codePointBefore(end), chars)) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(0, end);
    }

    private static boolean strippable(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.codePoints().anyMatch(c -> c == cp);
    }

    /**
     * {@code s.split(sep, maxsplit)}: with {@code sep == null}, splits on runs of whitespace and drops
     * empty strings at the ends; otherwise splits on the literal separator. {@code maxsplit < 0}
     * means no limit.
     */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = skipSpace(s, 0);
            while (i < s.length()) {
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(s.substring(i)); // the remainder keeps its trailing whitespace
                    return out;
                }
                int end = i;
                while (end < s.length() && !isSpace(s.codePointAt(end))) {
                    end += Character.charCount(s.codePointAt(end));
                }
                out.add(s.substring(i, end));
                i = skipSpace(s, end);
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new RenderError("empty separator (Python raises ValueError)");
        }
        int start = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxsplit < 0 || out.size() < maxsplit); at = s.indexOf(sep, start)) {
            out.add(s.substring(start, at));
            start = at + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && isSpace(s.codePointAt(i))) {
            i += Character.charCount(s.codePointAt(i));
        }
        return i;
    }

    /** {@code s.replace(old, new, count)}; {@code count < 0} replaces all, an empty old inserts between code points. */
    static String replace(String s, String old, String replacement, int count) {
        StringBuilder out = new StringBuilder();
        int done = 0;
        if (old.isEmpty()) {
            int i = 0;
            while (i <= s.length()) {
                if (count < 0 || done < count) {
                    out.append(replacement);
                    done++;
                }
                if (i == s.length()) {
                    break;
                }
                int n = Character.charCount(s.codePointAt(i));
                out.append(s, i, i + n);
                i += n;
            }
            return out.toString();
        }
        int start = 0;
        for (int at = s.indexOf(old); at >= 0 && (count < 0 || done < count); at = s.indexOf(old, start)) {
            out.append(s, start, at).append(replacement);
            start = at + old.length();
            done++;
        }
        return out.append(s, start, s.length()).toString();
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** {@code s.title()}: a cased character after an uncased one is title-cased, the others lower-cased. */
    static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            if (cased) {
                out.append(previousCased ? new String(Character.toChars(cp)).toLowerCase(Locale.ROOT)
                        : new String(Character.toChars(Character.toTitleCase(cp))));
            } else {
                out.appendCodePoint(cp);
            }
            previousCased = cased;
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /** {@code s.startswith(prefix)} where prefix is a string or a list (Python tuple) of strings. */
    static boolean startsWith(String s, Object prefix) {
        return anyAffix(prefix, "startswith", s::startsWith);
    }

    static boolean endsWith(String s, Object suffix) {
        return anyAffix(suffix, "endswith", s::endsWith);
    }

    private static boolean anyAffix(Object affix, String method, java.util.function.Predicate<String> test) {
        if (affix instanceof String one) {
            return test.test(one);
        }
        if (affix instanceof List<?> many && many.stream().allMatch(x -> x instanceof String)) {
            return many.stream().anyMatch(x -> test.test((String) x));
        }
        throw new RenderError(method + " takes a string or a tuple of strings, got " + PyValues.typeName(affix));
    }

    /** Number of code points: Python's {@code len(s)}. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
