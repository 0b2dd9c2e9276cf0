package dev.align4j.eval.report;

import java.math.BigDecimal;
import java.util.Locale;

/** Escaping and number formatting shared by the page and its charts. */
final class Html {
    private Html() {}

    /** Text safe inside an element or a double- or single-quoted attribute, in HTML and in XML (SVG). */
    static String escape(String s) {
        if (s == null) return "";
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // Control characters other than tab/newline/CR are not allowed in XML; a model can emit them.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') out.append('\uFFFD');
                    else out.append(c);
                }
            }
        }
        return out.toString();
    }

    /** A held-out value as {@code Results} prints it: integers plain, else 4 decimals (2 from 100 up). */
    static String value(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return String.valueOf((long) v);
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.2f" : "%.4f", v);
    }

    /** A pixel coordinate: one decimal is finer than a screen pixel at the charts' size. */
    static String px(double v) {
        return BigDecimal.valueOf(Math.round(v * 10)).movePointLeft(1).stripTrailingZeros().toPlainString();
    }
}
