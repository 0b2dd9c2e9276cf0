package dev.align4j.train.rewards;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The exact value of a short answer written in plain text or LaTeX: numbers (integers, decimals,
 * thousands separators "1,000" and "1{,}000", negatives), fractions ({@code a/b},
 * {@code \frac{a}{b}}, {@code \dfrac}, {@code \tfrac}, {@code \frac12}), and expressions over them
 * with + − × ÷, {@code \cdot}, {@code \times}, {@code \div}, integer powers ({@code 2^{10}},
 * {@code 2^-1}), exact square roots ({@code \sqrt{16}}), parentheses and implicit multiplication
 * before a parenthesis ({@code 2(3+4)}), evaluated over {@link Rational}s.
 *
 * <p>Normalisation first (the same for the gold answer and the model's): math delimiters
 * ({@code $}, {@code \(}, {@code \[}), {@code \left}/{@code \right}, LaTeX spacing, {@code \%}
 * and {@code %} (so "50%" is 50, not 0.5), degrees ({@code ^\circ}, °) and currency ({@code \$})
 * are dropped; {@code \text{…}}, {@code \mathrm{…}}, {@code \mbox{…}}, {@code \textbf{…}} are
 * dropped when they hold no digit (units: {@code 5\text{ cm}} is 5) and unwrapped otherwise; a
 * leading single-letter assignment ({@code x = 5}) and trailing words ({@code 42 apples.}) are
 * dropped.
 *
 * <p>What it is not: math_verify, which TRL's {@code accuracy_reward} uses (sympy underneath).
 * No variables, no irrational constants (π, √2), no intervals, sets, tuples or matrices, no
 * scientific notation, no numeric tolerance (0.333 ≠ 1/3), no mixed numbers ({@code 2\frac12} is
 * refused, not read as 2½), nothing longer than {@value #MAX_ANSWER_CHARS} characters: such
 * answers do not parse, and {@link #value} returns empty.
 */
final class MathExpression {
    private MathExpression() {}

    private static final Pattern TEXT_COMMAND = Pattern.compile("\\\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\\s*\\{");
    private static final Pattern LEADING_ASSIGNMENT = Pattern.compile("^\\s*[A-Za-z]\\s*=(?!=)");
    /** Trailing words: after a space, or of two letters or more ("2x" stays, and does not parse). */
    private static final Pattern TRAILING_WORDS = Pattern.compile("(?:\\s+[A-Za-z]|(?<=[\\d)}])[A-Za-z]{2,})[A-Za-z\\s.]*$");
    private static final Pattern THIN_SPACE_THOUSANDS = Pattern.compile("(?<=\\d)\\\\,(?=\\d{3})");

    /** Longer answers are refused unread: a final answer is short, and this bounds the parser's recursion. */
    static final int MAX_ANSWER_CHARS = 1000;

    /** The exact value of {@code answer}; empty when it is not a number or an expression we evaluate. */
    static Optional<Rational> value(String answer) {
        if (answer == null || answer.length() > MAX_ANSWER_CHARS) return Optional.empty();
        String s = normalize(answer);
        if (s.isBlank()) return Optional.empty();
        try {
            return Optional.of(new Parser(s).parseAll());
        } catch (ArithmeticException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The normalisation of the class comment. */
    static String normalize(String answer) {
        String s = THIN_SPACE_THOUSANDS.matcher(answer.strip()).replaceAll("");
        s = s.replace("\\$", "").replace("$", "")
                .replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
                .replace("\\left", "").replace("\\right", "").replace("\\displaystyle", "")
                .replace("\\!", "").replace("\\,", " ").replace("\\;", " ").replace("\\:", " ").replace("\\ ", " ").replace("~", " ")
                .replace("\\%", "").replace("%", "")
                .replace("^{\\circ}", "").replace("^\\circ", "").replace("\\circ", "").replace("°", "")
                .replace("{,}", ",")
                .replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
                .replace("\\cdot", "*").replace("\\times", "*").replace("\\div", "/")
                .replace('×', '*').replace('·', '*').replace('⋅', '*').replace('÷', '/')
                .replace('−', '-').replace('–', '-');
        s = unwrapText(s);
        s = LEADING_ASSIGNMENT.matcher(s).replaceFirst("");
        s = TRAILING_WORDS.matcher(s).replaceFirst("");
        s = s.strip();
        while (s.endsWith(".")) s = s.substring(0, s.length() - 1).strip();
        return s;
    }

    /** Drops {@code \text{…}}-like groups that hold no digit, unwraps the others. */
    private static String unwrapText(String s) {
        var m = TEXT_COMMAND.matcher(s);
        StringBuilder out = new StringBuilder();
        int from = 0;
        while (m.find(from)) {
            int close = closingBrace(s, m.end() - 1);
            if (close < 0) break;
            String inner = s.substring(m.end(), close);
            out.append(s, from, m.start());
            if (inner.chars().anyMatch(Character::isDigit)) out.append(inner);
            else out.append(' ');
            from = close + 1;
        }
        out.append(s.substring(from));
        return out.toString();
    }

    /** The index of the '}' matching the '{' at {@code open}, or -1 when unbalanced. */
    static int closingBrace(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == '{' || s.charAt(i + 1) == '}')) {
                i++; // an escaped brace, \{ or \}
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Recursive descent over the normalised text:
     * <pre>
     * expr  := term (('+' | '-') term)*
     * term  := unary (('*' | '/') unary | &lt;'(' follows&gt; unary)*
     * unary := ('-' | '+') unary | power
     * power := atom ('^' exponent)?          exponent := ('-' | '+')? (atom | digits) ('^' exponent)?
     * atom  := number | '(' expr ')' | '{' expr '}' | '\frac' arg arg | '\sqrt' arg
     * arg   := '{' expr '}' | one digit
     * </pre>
     */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Rational parseAll() {
            Rational v = expr();
            skipSpace();
            if (pos != s.length()) throw error("unexpected '" + s.charAt(pos) + "'");
            return v;
        }

        private Rational expr() {
            Rational v = term();
            while (true) {
                if (eat('+')) v = v.add(term());
                else if (eat('-')) v = v.subtract(term());
                else return v;
            }
        }

        private Rational term() {
            Rational v = unary();
            while (true) {
                if (eat('*')) v = v.multiply(unary());
                else if (eat('/')) v = v.divide(unary());
                else if (peek() == '(') v = v.multiply(unary());
                else return v;
            }
        }

        private Rational unary() {
            if (eat('-')) return unary().negate();
            if (eat('+')) return unary();
            return power();
        }

        private Rational power() {
            Rational base = atom();
            return eat('^') ? base.pow(exponent()) : base;
        }

        private Rational exponent() {
            boolean negative = false;
            while (true) {
                if (eat('-')) negative = !negative;
                else if (!eat('+')) break;
            }
            Rational e = atom();
            if (eat('^')) e = e.pow(exponent());
            return negative ? e.negate() : e;
        }

        private Rational atom() {
            char c = peek();
            if (c == '(') {
                pos++;
                Rational v = expr();
                expect(')');
                return v;
            }
            if (c == '{') {
                pos++;
                Rational v = expr();
                expect('}');
                return v;
            }
            if (Character.isDigit(c) || c == '.') return number();
            if (s.startsWith("\\frac", pos)) {
                pos += "\\frac".length();
                Rational numerator = arg();
                return numerator.divide(arg());
            }
            if (s.startsWith("\\sqrt", pos)) {
                pos += "\\sqrt".length();
                return arg().sqrt();
            }
            throw error(pos < s.length() ? "unexpected '" + c + "'" : "unexpected end");
        }

        private Rational arg() {
            char c = peek();
            if (c == '{') return atom();
            if (Character.isDigit(c)) {
                pos++;
                return Rational.decimal(String.valueOf(c));
            }
            throw error("\\frac or \\sqrt without an argument");
        }

        /** Digits with optional thousands groups ("1,000,000": a lead of 1–3 digits, then groups of exactly 3), then a fraction part. */
        private Rational number() {
            StringBuilder digits = new StringBuilder();
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) digits.append(s.charAt(pos++));
            if (digits.length() >= 1 && digits.length() <= 3) {
                while (pos < s.length() && s.charAt(pos) == ',' && isDigits(pos + 1, 3)
                        && !(pos + 4 < s.length() && Character.isDigit(s.charAt(pos + 4)))) {
                    digits.append(s, pos + 1, pos + 4);
                    pos += 4;
                }
            }
            if (pos < s.length() && s.charAt(pos) == '.') {
                digits.append('.');
                pos++;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) digits.append(s.charAt(pos++));
            }
            if (digits.isEmpty() || digits.toString().equals(".")) throw error("a lone '.'");
            return Rational.decimal(digits.toString());
        }

        private boolean isDigits(int from, int count) {
            if (from + count > s.length()) return false;
            for (int i = from; i < from + count; i++) if (!Character.isDigit(s.charAt(i))) return false;
            return true;
        }

        private char peek() {
            skipSpace();
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private boolean eat(char c) {
            if (peek() != c) return false;
            pos++;
            return true;
        }

        private void expect(char c) {
            if (!eat(c)) throw error("expected '" + c + "'");
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + pos + " in \"" + s + "\"");
        }
    }
}
