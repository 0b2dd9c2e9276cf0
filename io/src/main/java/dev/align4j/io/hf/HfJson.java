package dev.align4j.io.hf;

import dev.align4j.io.JsonText;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(obj, indent=2, sort_keys=True)} writes it, which
 * is how transformers writes {@code config.json} and {@code model.safetensors.index.json}.
 *
 * <p>What it is: a printer of Jackson trees matching Python byte for byte: keys sorted by code
 * point at every level, two-space indent, {@code ","} at line ends and {@code ": "} after keys,
 * {@code {}} and {@code []} for empty containers, control characters, DEL and non-ASCII escaped
 * as lowercase {@code \\uXXXX} ({@code ensure_ascii}), floats in Python's {@code repr} form
 * ({@code 1e-05}, {@code 10000.0}, {@code 1e+16}), and {@code NaN} / {@code Infinity} as Python
 * writes them. What it is not: a parser (Jackson parses), nor a writer of the trailing newline
 * (callers add it, as transformers does).
 *
 * <p>Based on: CPython's {@code json.encoder} and {@code float_repr} (shortest round-trip digits,
 * exponent form when the decimal exponent is below -4 or above 15). Java's {@link Double#toString}
 * gives the same shortest digits since JDK 19, except that it keeps two digits where one would
 * round-trip ({@code 4.9E-324} for Python's {@code 5e-324}); that case is shortened here.
 */
public final class HfJson {
    private HfJson() {}

    /** {@code json.dumps(node, indent=2, sort_keys=True)}. */
    public static String dumps(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        write(sb, node, 0);
        return sb.toString();
    }

    /** Compares strings by Unicode code point, the order of Python's {@code sorted} and Rust's {@code String}. */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static void write(StringBuilder sb, JsonNode node, int level) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                if (node.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
                fields.sort((x, y) -> compareCodePoints(x.getKey(), y.getKey()));
                sb.append('{');
                for (int k = 0; k < fields.size(); k++) {
                    newline(sb, level + 1, k > 0);
                    quote(sb, fields.get(k).getKey());
                    sb.append(": ");
                    write(sb, fields.get(k).getValue(), level + 1);
                }
                newline(sb, level, false);
                sb.append('}');
            }
            case ARRAY -> {
                if (node.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                for (int k = 0; k < node.size(); k++) {
                    newline(sb, level + 1, k > 0);
                    write(sb, node.get(k), level + 1);
                }
                newline(sb, level, false);
                sb.append(']');
            }
            case STRING -> quote(sb, node.textValue());
            case NUMBER -> sb.append(node.isIntegralNumber() ? node.bigIntegerValue().toString() : pyFloat(node.doubleValue()));
            case BOOLEAN -> sb.append(node.booleanValue() ? "true" : "false");
            case NULL -> sb.append("null");
            default -> throw new IllegalArgumentException("HfJson: cannot write a " + node.getNodeType() + " node");
        }
    }

    private static void newline(StringBuilder sb, int level, boolean comma) {
        if (comma) sb.append(',');
        sb.append('\n').append("  ".repeat(level));
    }

    /** A JSON string as Python's {@code ensure_ascii} encoder writes it. */
    static void quote(StringBuilder sb, String s) {
        JsonText.quote(sb, s, true);
    }

    /** Python's {@code repr(float)}. */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return Double.doubleToRawLongBits(d) < 0 ? "-0.0" : "0.0";
        BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (shortest.precision() == 2) { // Java keeps 2 digits where 1 would do (4.9E-324); Python takes the 1 digit
            BigDecimal one = shortest.round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (one.doubleValue() == Math.abs(d)) shortest = one.stripTrailingZeros();
        }
        String digits = shortest.unscaledValue().toString();
        int point = digits.length() - shortest.scale(); // value = 0.DIGITS × 10^point
        String sign = d < 0 ? "-" : "";
        if (point <= -4 || point > 16) {
            int exp = point - 1;
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        if (point <= 0) return sign + "0." + "0".repeat(-point) + digits;
        if (point >= digits.length()) return sign + digits + "0".repeat(point - digits.length()) + ".0";
        return sign + digits.substring(0, point) + "." + digits.substring(point);
    }
}
