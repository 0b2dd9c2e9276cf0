package dev.align4j.io.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Rewrites the pieces of Jinja2 expression syntax that Jinjava parses differently, inside one
 * {@code {{ }}} or {@code {% %}} tag (after {@link JinjaSource} has found the tags):
 * <ol>
 *   <li>slices {@code x[a:b:c]} (Jinjava has no step, so {@code messages[::-1]} fails to parse)
 *       become {@code py_slice(x, a, b, c)}, a function with Python's slice semantics, with
 *       {@code none} for an omitted bound;</li>
 *   <li>the unary {@code not}, which in Jinja2 applies to a whole comparison
 *       ({@code not x is defined} is {@code not (x is defined)}) but in Jinjava binds to the next
 *       operand only, gets explicit parentheses around its operand: everything up to the next
 *       {@code and}, {@code or}, {@code if}, {@code else}, comma, colon or closing bracket;</li>
 *   <li>a keyword argument's value, which in Jinja2 is a whole expression
 *       ({@code namespace(last=messages|length - 1)}) but in Jinjava ends before a binary operator,
 *       gets parentheses too (not in the signatures of {@code macro} and {@code call}).</li>
 * </ol>
 *
 * <p>Not a Jinja parser and not a per-template patch: it tokenizes the expression (names, numbers,
 * string literals, operators, brackets) and rewrites only the token sequences above, keeping every
 * other token, including newlines, so line numbers in errors stay right.
 *
 * <p>Based on Jinja2's parser (jinja2/parser.py: {@code parse_not} takes a {@code parse_compare}
 * operand; subscripts with {@code :} build a {@code Slice}; call arguments {@code name=expression}).
 */
final class ExpressionRewriter {
    private ExpressionRewriter() {}

    private enum Kind { SPACE, NAME, NUMBER, STRING, OP }

    private record Tok(Kind kind, String text) {
        boolean is(String s) {
            return (kind == Kind.OP || kind == Kind.NAME) && text.equals(s);
        }
    }

    /** Names that end no operand: operators and statement words that may precede {@code [} or {@code not}. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in", "is", "if", "elif", "else", "for",
            "print", "set", "with", "do", "call", "filter", "macro", "import", "from", "include", "as");
    private static final Tok NONE = new Tok(Kind.NAME, "none");
    private static final Tok COMMA = new Tok(Kind.OP, ",");

    /** A filter ({@code x|name}) or test ({@code x is name}) that a template uses, and its line. */
    record Use(boolean test, String name, int line) {}

    /**
     * The rewritten text of one tag's inside; adds the filters and tests it uses to {@code uses}.
     *
     * @param statement whether the tag is a {@code {% %}} statement (whose first word may be
     *                  {@code macro} or {@code call}, whose signatures keep their keyword defaults)
     * @param line      the template line the inside starts on
     */
    static String rewrite(String inside, boolean statement, int line, List<Use> uses) {
        List<Tok> tokens = tokenize(inside);
        collectUses(tokens, line, uses);
        int first = nextSignificant(tokens, 0);
        boolean signature = statement && first < tokens.size()
                && (tokens.get(first).is("macro") || tokens.get(first).is("call"));
        StringBuilder out = new StringBuilder(inside.length() + 16);
        for (Tok t : rewrite(tokens, !signature)) {
            out.append(t.text());
        }
        return out.toString();
    }

    private static void collectUses(List<Tok> tokens, int line, List<Use> uses) {
        int[] lines = new int[tokens.size()]; // line each token starts on
        for (int i = 0; i < tokens.size(); i++) {
            lines[i] = line;
            line += (int) tokens.get(i).text().chars().filter(c -> c == '\n').count();
        }
        for (int i = 0; i < tokens.size(); i++) {
            Tok t = tokens.get(i);
            boolean test = t.is("is");
            if (test || t.is("|")) {
                int name = nextSignificant(tokens, i + 1);
                if (test && name < tokens.size() && tokens.get(name).is("not")) {
                    name = nextSignificant(tokens, name + 1);
                }
                if (name < tokens.size() && tokens.get(name).kind() == Kind.NAME) {
                    uses.add(new Use(test, tokens.get(name).text(), lines[name]));
                }
            }
        }
    }

    /** Index just past the string literal opening at {@code start}. */
    static int stringEnd(String s, int start) {
        char quote = s.charAt(start);
        int i = start + 1;
        while (i < s.length() && s.charAt(i) != quote) {
            i += s.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(s.length(), i + 1);
    }

    private static List<Tok> tokenize(String s) {
        List<Tok> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int j = i + 1;
            Kind kind;
            if (Character.isWhitespace(c)) {
                while (j < s.length() && Character.isWhitespace(s.charAt(j))) j++;
                kind = Kind.SPACE;
            } else if (Character.isLetter(c) || c == '_') {
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
                kind = Kind.NAME;
            } else if (Character.isDigit(c)) {
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_'
                        || (s.charAt(j) == '.' && j + 1 < s.length() && Character.isDigit(s.charAt(j + 1))))) j++;
                kind = Kind.NUMBER;
            } else if (c == '\'' || c == '"') {
                j = stringEnd(s, i);
                kind = Kind.STRING;
            } else {
                String two = s.length() >= i + 2 ? s.substring(i, i + 2) : "";
                j = List.of("**", "//", "==", "!=", "<=", ">=").contains(two) ? i + 2 : i + 1;
                kind = Kind.OP;
            }
            out.add(new Tok(kind, s.substring(i, j)));
            i = j;
        }
        return out;
    }

    private static List<Tok> rewrite(List<Tok> in, boolean keywordArguments) {
        List<Tok> out = new ArrayList<>();
        int i = 0;
        while (i < in.size()) {
            Tok t = in.get(i);
            if (isOpen(t)) {
                int close = matchForward(in, i);
                List<Tok> inner = rewrite(in.subList(i + 1, close), keywordArguments);
                if (t.is("(") && endsOperand(out) && keywordArguments) {
                    inner = parenthesizeKeywordValues(inner);
                }
                List<List<Tok>> parts = split(inner, ":");
                if (t.is("[") && endsOperand(out) && parts.size() > 1) {
                    if (parts.size() > 3) {
                        throw new IllegalArgumentException("a slice takes at most start:stop:step, got " + parts.size() + " parts");
                    }
                    int start = operandStart(out);
                    List<Tok> operand = new ArrayList<>(out.subList(start, out.size()));
                    out.subList(start, out.size()).clear();
                    out.add(new Tok(Kind.NAME, "py_slice"));
                    out.add(new Tok(Kind.OP, "("));
                    out.addAll(operand);
                    for (int p = 0; p < 3; p++) {
                        out.add(COMMA);
                        List<Tok> part = p < parts.size() ? parts.get(p) : List.of();
                        out.addAll(part.stream().allMatch(x -> x.kind() == Kind.SPACE) ? List.of(NONE) : part);
                    }
                    out.add(new Tok(Kind.OP, ")"));
                } else {
                    out.add(t);
                    out.addAll(inner);
                    if (close < in.size()) {
                        out.add(in.get(close));
                    }
                }
                i = close + 1;
            } else if (t.is("not") && isUnaryNot(out)) {
                int end = notOperandEnd(in, i + 1);
                out.add(t);
                out.add(new Tok(Kind.OP, "("));
                out.addAll(rewrite(in.subList(i + 1, end), keywordArguments));
                out.add(new Tok(Kind.OP, ")"));
                i = end;
            } else {
                out.add(t);
                i++;
            }
        }
        return out;
    }

    private static boolean isOpen(Tok t) {
        return t.is("(") || t.is("[") || t.is("{");
    }

    private static boolean isClose(Tok t) {
        return t.is(")") || t.is("]") || t.is("}");
    }

    private static boolean isOperandEnd(Tok t) {
        return switch (t.kind()) {
            case NAME -> !KEYWORDS.contains(t.text());
            case NUMBER, STRING -> true;
            case OP -> isClose(t);
            case SPACE -> false;
        };
    }

    private static int lastSignificant(List<Tok> tokens, int from) {
        int i = from;
        while (i >= 0 && tokens.get(i).kind() == Kind.SPACE) i--;
        return i;
    }

    private static boolean endsOperand(List<Tok> out) {
        int last = lastSignificant(out, out.size() - 1);
        return last >= 0 && isOperandEnd(out.get(last));
    }

    /** A {@code not} is unary unless it follows an operand ({@code x not in y}) or {@code is}. */
    private static boolean isUnaryNot(List<Tok> out) {
        int last = lastSignificant(out, out.size() - 1);
        return last < 0 || !(isOperandEnd(out.get(last)) || out.get(last).is("is"));
    }

    /** Start index in {@code out} of the postfix expression ending it: {@code a.b(c)[d]}, {@code 'x'}, {@code (e)}. */
    private static int operandStart(List<Tok> out) {
        int p = lastSignificant(out, out.size() - 1);
        while (true) {
            Tok t = out.get(p);
            if (isClose(t)) {
                int open = matchBackward(out, p);
                int before = lastSignificant(out, open - 1);
                if (t.is("}") || before < 0 || !isOperandEnd(out.get(before))) {
                    return open;
                }
                p = before; // a call f(...) or a subscript x[...]
            } else {
                int before = lastSignificant(out, p - 1);
                if (before < 1 || !out.get(before).is(".")) {
                    return p;
                }
                p = lastSignificant(out, before - 1); // attribute access x.name
            }
        }
    }

    private static int matchForward(List<Tok> tokens, int open) {
        int depth = 0;
        for (int i = open; i < tokens.size(); i++) {
            depth += isOpen(tokens.get(i)) ? 1 : isClose(tokens.get(i)) ? -1 : 0;
            if (depth == 0) {
                return i;
            }
        }
        return tokens.size();
    }

    private static int matchBackward(List<Tok> tokens, int close) {
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            depth += isClose(tokens.get(i)) ? 1 : isOpen(tokens.get(i)) ? -1 : 0;
            if (depth == 0) {
                return i;
            }
        }
        return 0;
    }

    /** End (exclusive) of the operand of a unary not that starts at {@code from}. */
    private static int notOperandEnd(List<Tok> in, int from) {
        int depth = 0;
        for (int i = from; i < in.size(); i++) {
            Tok t = in.get(i);
            if (isOpen(t)) {
                depth++;
            } else if (isClose(t)) {
                if (depth-- == 0) {
                    return i;
                }
            } else if (depth == 0 && (t.is("and") || t.is("or") || t.is("if") || t.is("else") || t.is(",") || t.is(":"))) {
                return i;
            }
        }
        return in.size();
    }

    /** In call arguments, {@code name=expr} becomes {@code name=(expr)} when expr has several tokens. */
    private static List<Tok> parenthesizeKeywordValues(List<Tok> arguments) {
        List<Tok> out = new ArrayList<>();
        for (List<Tok> argument : split(arguments, ",")) {
            if (!out.isEmpty()) {
                out.add(COMMA);
            }
            int name = nextSignificant(argument, 0);
            int equals = nextSignificant(argument, name + 1);
            List<Tok> value = argument.subList(Math.min(equals + 1, argument.size()), argument.size());
            if (equals < argument.size() && argument.get(name).kind() == Kind.NAME && argument.get(equals).is("=")
                    && value.stream().filter(x -> x.kind() != Kind.SPACE).count() > 1) {
                out.addAll(argument.subList(0, equals + 1));
                out.add(new Tok(Kind.OP, "("));
                out.addAll(value);
                out.add(new Tok(Kind.OP, ")"));
            } else {
                out.addAll(argument);
            }
        }
        return out;
    }

    private static int nextSignificant(List<Tok> tokens, int from) {
        int i = from;
        while (i < tokens.size() && tokens.get(i).kind() == Kind.SPACE) i++;
        return i;
    }

    /** The tokens split at top-level occurrences of {@code separator}. */
    private static List<List<Tok>> split(List<Tok> tokens, String separator) {
        List<List<Tok>> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Tok t = tokens.get(i);
            depth += isOpen(t) ? 1 : isClose(t) ? -1 : 0;
            if (depth == 0 && t.is(separator)) {
                parts.add(tokens.subList(start, i));
                start = i + 1;
            }
        }
        parts.add(tokens.subList(start, tokens.size()));
        return parts;
    }
}
