package dev.align4j.io.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prepares a chat template's source for Jinjava by doing what Jinja2's lexer does before parsing:
 * newlines normalized to {@code \n}, one trailing newline dropped ({@code keep_trailing_newline}
 * is off), and whitespace control: {@code {%-}/{@code -%}} (and the same marks on {@code {{ }}}
 * and {@code {# #}}) strip all adjacent whitespace, {@code trim_blocks} drops the first newline
 * after a block or comment tag, {@code lstrip_blocks} drops the spaces before a block or comment
 * tag that starts a line, {@code +} disables both. Expression insides go through
 * {@link ExpressionRewriter}, which also lists the filters and tests used, for the check Jinja2
 * makes when it compiles a template.
 *
 * <p>Not left to Jinjava, which loses a line number for every newline it trims (errors would
 * name the wrong line) and has no {@code +%}}: the output carries no whitespace-control marks and
 * Jinjava runs with trimming off. A stripped run of whitespace that holds newlines is kept as an
 * empty comment {@code {#\n#}}, which renders nothing but keeps every later line number right.
 * {@code {% raw %}} content is copied untouched.
 *
 * <p>Based on Jinja2's lexer (jinja2/lexer.py, {@code Lexer.tokeniter} and its rules: the
 * {@code OptionalLStrip} handling of the text before a tag, {@code block_suffix_re = "\n?"} when
 * {@code trim_blocks}, {@code \-%\}\s*} ends, {@code }}} ending an expression only outside
 * brackets), as configured by transformers ({@code trim_blocks=True, lstrip_blocks=True}).
 */
final class JinjaSource {
    private JinjaSource() {}

    private static final Pattern RAW_START = Pattern.compile("\\s*raw\\s*");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

    /** The source for Jinjava, and the filters and tests it uses (Jinja2 checks those when compiling). */
    record Prepared(String source, List<ExpressionRewriter.Use> uses) {}

    static Prepared prepare(String template) {
        String source = template.replace("\r\n", "\n").replace('\r', '\n');
        if (source.endsWith("\n")) {
            source = source.substring(0, source.length() - 1);
        }
        StringBuilder out = new StringBuilder(source.length() + 64);
        List<ExpressionRewriter.Use> uses = new ArrayList<>();
        boolean lineStarting = true;
        int pos = 0;
        int line = 1; // of pos
        while (pos < source.length()) {
            int start = nextTag(source, pos);
            char kind = start < 0 ? 0 : source.charAt(start + 1); // '{' expression, '%' statement, '#' comment
            char open = start < 0 ? 0 : markAt(source, start + 2);
            int insideStart = start + 2 + (open == 0 ? 0 : 1);
            int close = start < 0 ? -1 : kind == '#' ? source.indexOf("#}", insideStart)
                    : tagEnd(source, insideStart, kind == '%' ? "%}" : "}}");
            if (close < 0) { // no more tags, or an unclosed one that Jinjava will report
                out.append(source, pos, source.length());
                break;
            }
            char end = close > insideStart ? markAt(source, close - 1) : 0;
            String inside = source.substring(insideStart, end == 0 ? close : close - 1);
            String text = source.substring(pos, start);
            line += newlines(text);
            int keep = kept(text, open, kind != '{', lineStarting);
            out.append(text, 0, keep);
            keepLines(out, text.substring(keep));
            int after = close + 2;
            if (kind == '#') {
                out.append("{#").append(inside).append("#}");
            } else if (kind == '%' && RAW_START.matcher(inside).matches()) {
                String lead = end == '-' ? trailing(source, after, '-', true) : ""; // no trim_blocks after raw
                Matcher endRaw = RAW_END.matcher(source);
                if (!endRaw.find(after + lead.length())) {
                    out.append(source, start, source.length()); // missing endraw: Jinjava reports it
                    break;
                }
                String content = source.substring(after + lead.length(), endRaw.start());
                int contentKeep = kept(content, mark(endRaw.group(1)), true, lead.endsWith("\n"));
                keepLines(out, lead); // outside the raw block, which would print the comment
                out.append("{% raw %}").append(content, 0, contentKeep).append("{% endraw %}");
                keepLines(out, content.substring(contentKeep));
                after = endRaw.end();
                end = mark(endRaw.group(2));
            } else {
                // Spaces keep a leading or trailing - or + of the expression from reading as a mark.
                out.append(kind == '{' ? "{{ " : "{% ").append(ExpressionRewriter.rewrite(inside, kind == '%', line, uses))
                        .append(kind == '{' ? " }}" : " %}");
            }
            String suffix = trailing(source, after, end, kind != '{');
            keepLines(out, suffix);
            line += newlines(source.substring(start, after + suffix.length()));
            pos = after + suffix.length();
            lineStarting = source.charAt(pos - 1) == '\n';
        }
        return new Prepared(out.toString(), List.copyOf(uses));
    }

    private static int newlines(String s) {
        return (int) s.chars().filter(c -> c == '\n').count();
    }

    /** Index of the next "{{", "{%" or "{#" at or after {@code from}, or -1. */
    private static int nextTag(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    private static char mark(String group) {
        return group.isEmpty() ? 0 : group.charAt(0);
    }

    /** '-' or '+' when that whitespace-control mark is at {@code i}, else 0. */
    private static char markAt(String s, int i) {
        return i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+') ? s.charAt(i) : 0;
    }

    /**
     * The whitespace a tag strips after itself, from {@code from}: all of it after a {@code -} end
     * mark; one newline after a block or comment tag without mark (trim_blocks); none otherwise.
     */
    private static String trailing(String s, int from, char end, boolean block) {
        if (end == '-') {
            int i = from;
            while (i < s.length() && PyStrings.isSpace(s.charAt(i))) {
                i++;
            }
            return s.substring(from, i);
        }
        return block && end == 0 && from < s.length() && s.charAt(from) == '\n' ? "\n" : "";
    }

    /**
     * How much of the text before a tag stays: a {@code -} open mark strips all trailing whitespace;
     * otherwise, before a block or comment tag without {@code +}, lstrip_blocks strips the spaces
     * between the last newline (or the start of a line) and the tag.
     */
    private static int kept(String text, char open, boolean block, boolean lineStarting) {
        int keep = text.length();
        if (open == '-') {
            while (keep > 0 && PyStrings.isSpace(text.charAt(keep - 1))) {
                keep--;
            }
        } else if (open != '+' && block) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                    && text.substring(lineStart).chars().allMatch(c -> c != '\n' && PyStrings.isSpace(c))) {
                keep = lineStart;
            }
        }
        return keep;
    }

    /** Stripped whitespace renders nothing, but its newlines stay (in a comment) for line numbers. */
    private static void keepLines(StringBuilder out, String stripped) {
        int n = newlines(stripped);
        if (n > 0) {
            out.append("{#").append("\n".repeat(n)).append("#}");
        }
    }

    /** Index of the closing delimiter, outside string literals and brackets, or -1. */
    private static int tagEnd(String s, int from, String close) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = ExpressionRewriter.stringEnd(s, i) - 1;
            } else if (depth == 0 && s.startsWith(close, i)) {
                return i;
            } else if ("([{".indexOf(c) >= 0) {
                depth++;
            } else if (")]}".indexOf(c) >= 0 && depth > 0) {
                depth--;
            }
        }
        return -1;
    }
}
