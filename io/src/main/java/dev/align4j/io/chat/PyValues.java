package dev.align4j.io.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * How Python writes the values chat templates handle: {@code str(x)} (what {@code {{ x }}},
 * {@code |string} and {@code |join} print), {@code repr(x)} (items inside a printed list or dict)
 * and {@code json.dumps(x, ...)} (the {@code |tojson} filter of transformers).
 *
 * <p>Not a serializer for arbitrary Java objects: template data is maps, lists, strings, numbers,
 * booleans and null (Python None), and {@link Map.Entry} for the pairs of {@code dict.items()}
 * (a Python tuple). Anything else is printed with {@code toString()} and refused by
 * {@link #toJson}, as Python's json module refuses unknown types.
 *
 * <p>Based on CPython: {@code float.__repr__} (shortest round-tripping digits, exponent form when
 * the decimal exponent is below -4 or at least 16, {@code 1e-05}, {@code 1e+16}),
 * {@code str.__repr__} (single quotes unless the text holds a single quote and no double quote;
 * non-printable characters escaped), and {@code json.dumps} with transformers' defaults
 * ({@code ensure_ascii=False, indent=None, separators=None, sort_keys=False}: items joined by
 * {@code ", "} and keys by {@code ": "}, or {@code ","} between items when an indent is given;
 * control characters escaped as a backslash, {@code u} and four hex digits; NaN and infinities as {@code NaN}, {@code Infinity}).
 * Jinja2 prints an undefined variable as "" and Jinjava cannot tell it from None, so a top-level
 * null prints as "" (inside a list or dict it is {@code None}).
 */
final class PyValues {
    private PyValues() {}

    /** {@code str(x)} as Jinja2 prints it; a top-level null (undefined or None) prints as "". */
    static String str(Object x) {
        if (x == null) {
            return "";
        }
        if (x instanceof String s) {
            return s;
        }
        if (x instanceof SafeString s) {
            return s.toString();
        }
        return repr(x);
    }

    /** {@code repr(x)}. */
    static String repr(Object x) {
        StringBuilder out = new StringBuilder();
        repr(x, out);
        return out.toString();
    }

    private static void repr(Object x, StringBuilder out) {
        switch (x) {
            case null -> out.append("None");
            case Boolean b -> out.append(b ? "True" : "False");
            case String s -> reprString(s, out);
            case SafeString s -> reprString(s.toString(), out);
            case Double d -> out.append(floatRepr(d, false));
            case Float f -> out.append(floatRepr(f.doubleValue(), false));
            case BigDecimal d -> out.append(floatRepr(d.doubleValue(), false));
            case Number n -> out.append(n); // Integer, Long, BigInteger
            case Map.Entry<?, ?> e -> {
                out.append('(');
                repr(e.getKey(), out);
                out.append(", ");
                repr(e.getValue(), out);
                out.append(')');
            }
            case Map<?, ?> m -> {
                out.append('{');
                String sep = "";
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    out.append(sep);
                    repr(e.getKey(), out);
                    out.append(": ");
                    repr(e.getValue(), out);
                    sep = ", ";
                }
                out.append('}');
            }
            case List<?> l -> {
                out.append('[');
                String sep = "";
                for (Object item : l) {
                    out.append(sep);
                    repr(item, out);
                    sep = ", ";
                }
                out.append(']');
            }
            default -> out.append(x);
        }
    }

    private static void reprString(String s, StringBuilder out) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        out.append(quote);
        s.codePoints().forEach(cp -> {
            if (cp == '\\' || cp == quote) {
                out.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                out.append("\\n");
            } else if (cp == '\r') {
                out.append("\\r");
            } else if (cp == '\t') {
                out.append("\\t");
            } else if (isPrintable(cp)) {
                out.appendCodePoint(cp);
            } else {
                out.append(cp <= 0xff ? String.format("\\x%02x", cp)
                        : cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp));
            }
        });
        out.append(quote);
    }

    /** Python's {@code str.isprintable()} for one code point. */
    private static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                 Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** {@code repr(float)}; {@code json} selects JSON's spelling of NaN and the infinities. */
    static String floatRepr(double d, boolean json) {
        if (Double.isNaN(d)) {
            return json ? "NaN" : "nan";
        }
        if (Double.isInfinite(d)) {
            return (d < 0 ? "-" : "") + (json ? "Infinity" : "inf");
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        // Double.toString gives the shortest digits that round-trip (JDK 19+), as Python's repr does,
        // except that it always writes two digits where one might do (4.9E-324 for Python's 5e-324).
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        BigDecimal oneDigit = exact.round(new MathContext(1, RoundingMode.HALF_EVEN));
        if (exact.precision() == 2 && oneDigit.doubleValue() == Math.abs(d)) {
            exact = oneDigit.stripTrailingZeros();
        }
        String digits = exact.unscaledValue().toString();
        int point = digits.length() - exact.scale(); // value = 0.<digits> * 10^point
        StringBuilder out = new StringBuilder(d < 0 ? "-" : "");
        if (point > -4 && point <= 16) {
            if (point <= 0) {
                out.append("0.").append("0".repeat(-point)).append(digits);
            } else if (point >= digits.length()) {
                out.append(digits).append("0".repeat(point - digits.length())).append(".0");
            } else {
                out.append(digits, 0, point).append('.').append(digits, point, digits.length());
            }
        } else {
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.').append(digits, 1, digits.length());
            }
            int exponent = point - 1;
            out.append('e').append(exponent < 0 ? '-' : '+').append(String.format("%02d", Math.abs(exponent)));
        }
        return out.toString();
    }

    /**
     * {@code json.dumps(x, ensure_ascii, indent, separators, sort_keys)}.
     *
     * @param indent     null for one line, else the string repeated per nesting level
     * @param separators null for the defaults, else {item separator, key separator}
     */
    static String toJson(Object x, boolean ensureAscii, String indent, String[] separators, boolean sortKeys) {
        String item = separators != null ? separators[0] : indent == null ? ", " : ",";
        String key = separators != null ? separators[1] : ": ";
        StringBuilder out = new StringBuilder();
        new Json(ensureAscii, indent, item, key, sortKeys, out).write(x, 0);
        return out.toString();
    }

    private record Json(boolean ensureAscii, String indent, String item, String key, boolean sortKeys, StringBuilder out) {
        void write(Object x, int level) {
            switch (x) {
                case null -> out.append("null");
                case Boolean b -> out.append(b);
                case String s -> string(s);
                case SafeString s -> string(s.toString());
                case Double d -> out.append(floatRepr(d, true));
                case Float f -> out.append(floatRepr(f.doubleValue(), true));
                case BigDecimal d -> out.append(floatRepr(d.doubleValue(), true));
                case Integer i -> out.append(i);
                case Long l -> out.append(l);
                case Short s -> out.append(s);
                case Byte b -> out.append(b);
                case BigInteger i -> out.append(i);
                case Map.Entry<?, ?> e -> container('[', ']', List.of(e.getKey(), e.getValue()), null, level);
                case List<?> l -> container('[', ']', l, null, level);
                case Map<?, ?> m -> {
                    List<Map.Entry<String, Object>> entries = new ArrayList<>();
                    m.forEach((k, v) -> entries.add(new AbstractMap.SimpleEntry<>(jsonKey(k), v)));
                    if (sortKeys) {
                        entries.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
                    }
                    container('{', '}', null, entries, level);
                }
                default -> throw new RenderError("tojson: Object of type " + typeName(x)
                        + " is not JSON serializable");
            }
        }

        private void container(char open, char close, List<?> items, List<Map.Entry<String, Object>> entries, int level) {
            int n = items != null ? items.size() : entries.size();
            out.append(open);
            if (n == 0) {
                out.append(close);
                return;
            }
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.append(item);
                }
                newline(level + 1);
                if (items != null) {
                    write(items.get(i), level + 1);
                } else {
                    string(entries.get(i).getKey());
                    out.append(key);
                    write(entries.get(i).getValue(), level + 1);
                }
            }
            newline(level);
            out.append(close);
        }

        private void newline(int level) {
            if (indent != null) {
                out.append('\n').append(indent.repeat(level));
            }
        }

        private void string(String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                            out.append(String.format("\\u%04x", (int) c)); // UTF-16 units: surrogate pairs, as Python
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }

    /** A dict key as json.dumps writes it: strings as they are, numbers, booleans and None spelled out. */
    private static String jsonKey(Object k) {
        return switch (k) {
            case String s -> s;
            case null -> "null";
            case Boolean b -> b.toString();
            case Double d -> floatRepr(d, true);
            case Number n -> n.toString();
            default -> throw new RenderError("tojson: keys must be str, int, float, bool or None, not "
                    + typeName(k));
        };
    }

    /** Python's name for the type of a template value, for messages. */
    static String typeName(Object x) {
        return switch (x) {
            case null -> "NoneType";
            case String s -> "str";
            case SafeString s -> "str";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case Number n -> "int";
            case Map<?, ?> m -> "dict";
            case List<?> l -> "list";
            case Map.Entry<?, ?> e -> "tuple";
            default -> x.getClass().getSimpleName();
        };
    }
}
