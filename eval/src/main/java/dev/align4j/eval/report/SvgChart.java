package dev.align4j.eval.report;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart as inline SVG, built as a string: a frame, gridlines at "nice" ticks, axis titles, one
 * {@code <polyline>} per curve and a legend. About 480×260, readable on screen and in print.
 *
 * <p>The axes span the data exactly (the first step at the plot area's left edge, the smallest value
 * on its bottom edge; the frame sits a few units outside), and the ticks are the multiples of 1, 2 or 5 × 10^k inside that span — about five of
 * them, as matplotlib's and d3's default locators choose. A constant curve gets a padded span so
 * nothing divides by zero; a one-point curve is drawn as a dot; steps that are all integers get
 * integer ticks.
 *
 * <p>What it is not: a plotting library. No log scales, no smoothing, no thinning (every logged point
 * is drawn, so a noisy RL reward looks noisy), no interaction, no script.
 */
public final class SvgChart {
    private SvgChart() {}

    /** The chart's width in SVG units; the height grows with the legend's rows. */
    public static final int WIDTH = 480;
    /**
     * The plot area, where the data span maps: the first step at {@code PLOT_LEFT}, the last at
     * {@code PLOT_RIGHT}, the smallest value at {@code PLOT_BOTTOM}, the largest at {@code PLOT_TOP}.
     * The frame is drawn {@link #INSET} outside it, so no line runs along the frame.
     */
    public static final double PLOT_LEFT = 76, PLOT_RIGHT = 464, PLOT_TOP = 14, PLOT_BOTTOM = 196;
    /** The gap between the plot area and its frame. */
    public static final double INSET = 6;
    /** matplotlib's tab10: distinct at a glance and still told apart by most colour-blind readers' pairs. */
    public static final List<String> PALETTE = List.of("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
            "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf");

    private static final int TARGET_TICKS = 5;
    private static final double FRAME_LEFT = PLOT_LEFT - INSET, FRAME_RIGHT = PLOT_RIGHT + INSET;
    private static final double FRAME_TOP = PLOT_TOP - INSET, FRAME_BOTTOM = PLOT_BOTTOM + INSET;
    private static final double LEGEND_TOP = 252, LEGEND_ROW = 16, CHAR_WIDTH = 6.2; // 11px sans-serif, roughly

    /** The chart of {@code curves}, coloured in palette order. */
    public static String svg(List<Curve> curves, String xTitle, String yTitle) {
        List<String> colours = new ArrayList<>();
        for (int i = 0; i < curves.size(); i++) colours.add(PALETTE.get(i % PALETTE.size()));
        return svg(curves, colours, xTitle, yTitle);
    }

    /** The chart of {@code curves}, {@code colours.get(i)} for curve i (any CSS colour). Empty curves are left out. */
    public static String svg(List<Curve> curves, List<String> colours, String xTitle, String yTitle) {
        if (colours.size() < curves.size()) {
            throw new IllegalArgumentException(curves.size() + " curves but " + colours.size() + " colours: give one colour per curve");
        }
        double xLo = Double.POSITIVE_INFINITY, xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        boolean integerSteps = true;
        for (Curve c : curves) {
            for (double[] p : c.points()) {
                xLo = Math.min(xLo, p[0]);
                xHi = Math.max(xHi, p[0]);
                yLo = Math.min(yLo, p[1]);
                yHi = Math.max(yHi, p[1]);
                integerSteps &= p[0] == Math.rint(p[0]);
            }
        }
        if (xLo > xHi) { // nothing to draw: an empty frame rather than an exception in the middle of a report
            xLo = 0;
            xHi = 1;
            yLo = 0;
            yHi = 1;
        }
        double[] xSpan = span(xLo, xHi, integerSteps), ySpan = span(yLo, yHi, false);
        Axis x = new Axis(xSpan[0], xSpan[1], PLOT_LEFT, PLOT_RIGHT), y = new Axis(ySpan[0], ySpan[1], PLOT_BOTTOM, PLOT_TOP);

        // The legend wraps onto as many rows as it needs; the plot area stays where it is.
        List<double[]> legendAt = new ArrayList<>();
        double lx = FRAME_LEFT, ly = LEGEND_TOP;
        for (Curve c : curves) {
            double w = 22 + CHAR_WIDTH * c.name().length() + 14;
            if (lx + w > WIDTH - 4 && lx > FRAME_LEFT) {
                lx = FRAME_LEFT;
                ly += LEGEND_ROW;
            }
            legendAt.add(new double[] {lx, ly});
            lx += w;
        }
        int height = (int) Math.ceil(ly + 8);

        StringBuilder s = new StringBuilder(4096);
        s.append("<svg class=\"chart\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" width=\"").append(WIDTH).append("\" height=\"").append(height)
                .append("\" role=\"img\" aria-label=\"").append(Html.escape(yTitle)).append(" by ").append(Html.escape(xTitle))
                .append("\" font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\" font-size=\"11\">\n");
        s.append("<rect x=\"").append(Html.px(FRAME_LEFT)).append("\" y=\"").append(Html.px(FRAME_TOP))
                .append("\" width=\"").append(Html.px(FRAME_RIGHT - FRAME_LEFT)).append("\" height=\"").append(Html.px(FRAME_BOTTOM - FRAME_TOP))
                .append("\" fill=\"#fcfcfd\" stroke=\"#d0d4da\"/>\n");

        double[] yTicks = niceTicks(y.lo, y.hi, false);
        int yDecimals = decimals(y.lo, y.hi, false);
        for (double t : yTicks) {
            String py = Html.px(y.map(t));
            s.append("<line x1=\"").append(Html.px(FRAME_LEFT)).append("\" x2=\"").append(Html.px(FRAME_RIGHT))
                    .append("\" y1=\"").append(py).append("\" y2=\"").append(py).append("\" stroke=\"#e6e8eb\"/>\n");
            s.append("<text class=\"tick\" x=\"").append(Html.px(FRAME_LEFT - 5)).append("\" y=\"").append(py)
                    .append("\" dy=\"0.32em\" text-anchor=\"end\" fill=\"#555\">").append(tickLabel(t, yDecimals, yTicks)).append("</text>\n");
        }
        double[] xTicks = niceTicks(x.lo, x.hi, integerSteps);
        int xDecimals = decimals(x.lo, x.hi, integerSteps);
        for (double t : xTicks) {
            String px = Html.px(x.map(t));
            s.append("<line x1=\"").append(px).append("\" x2=\"").append(px).append("\" y1=\"").append(Html.px(FRAME_BOTTOM))
                    .append("\" y2=\"").append(Html.px(FRAME_BOTTOM + 4)).append("\" stroke=\"#888\"/>\n");
            s.append("<text class=\"tick\" x=\"").append(px).append("\" y=\"").append(Html.px(FRAME_BOTTOM + 16))
                    .append("\" text-anchor=\"middle\" fill=\"#555\">").append(tickLabel(t, xDecimals, xTicks)).append("</text>\n");
        }
        s.append("<line x1=\"").append(Html.px(FRAME_LEFT)).append("\" x2=\"").append(Html.px(FRAME_RIGHT)).append("\" y1=\"")
                .append(Html.px(FRAME_BOTTOM)).append("\" y2=\"").append(Html.px(FRAME_BOTTOM)).append("\" stroke=\"#888\"/>\n");
        s.append("<line x1=\"").append(Html.px(FRAME_LEFT)).append("\" x2=\"").append(Html.px(FRAME_LEFT)).append("\" y1=\"")
                .append(Html.px(FRAME_TOP)).append("\" y2=\"").append(Html.px(FRAME_BOTTOM)).append("\" stroke=\"#888\"/>\n");
        s.append("<text class=\"axis-title\" x=\"").append(Html.px((PLOT_LEFT + PLOT_RIGHT) / 2)).append("\" y=\"")
                .append(Html.px(FRAME_BOTTOM + 33)).append("\" text-anchor=\"middle\" fill=\"#333\">").append(Html.escape(xTitle)).append("</text>\n");
        double yMid = (PLOT_TOP + PLOT_BOTTOM) / 2;
        s.append("<text class=\"axis-title\" x=\"12\" y=\"").append(Html.px(yMid)).append("\" transform=\"rotate(-90 12 ")
                .append(Html.px(yMid)).append(")\" text-anchor=\"middle\" dy=\"0.32em\" fill=\"#333\">").append(Html.escape(yTitle)).append("</text>\n");

        for (int i = 0; i < curves.size(); i++) {
            Curve c = curves.get(i);
            String colour = Html.escape(colours.get(i)), name = Html.escape(c.name());
            if (c.points().size() > 1) {
                s.append("<polyline data-series=\"").append(name).append("\" fill=\"none\" stroke=\"").append(colour)
                        .append("\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"");
                for (int k = 0; k < c.points().size(); k++) {
                    double[] p = c.points().get(k);
                    if (k > 0) s.append(' ');
                    s.append(Html.px(x.map(p[0]))).append(',').append(Html.px(y.map(p[1])));
                }
                s.append("\"/>\n");
            }
            // Dots where there are few points (an eval every N steps), and the only mark for a one-point curve.
            if (c.points().size() <= 12) {
                double r = c.points().size() == 1 ? 3.5 : 2.5;
                for (double[] p : c.points()) {
                    s.append("<circle data-series=\"").append(name).append("\" cx=\"").append(Html.px(x.map(p[0])))
                            .append("\" cy=\"").append(Html.px(y.map(p[1]))).append("\" r=\"").append(Html.px(r))
                            .append("\" fill=\"").append(colour).append("\"/>\n");
                }
            }
        }

        s.append("<g class=\"legend\">\n");
        for (int i = 0; i < curves.size(); i++) {
            double[] at = legendAt.get(i);
            s.append("<line x1=\"").append(Html.px(at[0])).append("\" x2=\"").append(Html.px(at[0] + 16)).append("\" y1=\"")
                    .append(Html.px(at[1])).append("\" y2=\"").append(Html.px(at[1])).append("\" stroke=\"").append(Html.escape(colours.get(i)))
                    .append("\" stroke-width=\"3\"/>");
            s.append("<text x=\"").append(Html.px(at[0] + 22)).append("\" y=\"").append(Html.px(at[1]))
                    .append("\" dy=\"0.32em\" fill=\"#333\">").append(Html.escape(curves.get(i).name())).append("</text>\n");
        }
        s.append("</g>\n</svg>");
        return s.toString();
    }

    /** A linear map from a data span onto a pixel span (the y one runs upwards: bottom pixel for the low value). */
    private record Axis(double lo, double hi, double from, double to) {
        double map(double v) {
            return from + (v - lo) / (hi - lo) * (to - from);
        }
    }

    /**
     * The axis span for data in [lo, hi]: the data span itself, or, when it is a single value, that
     * value ± 10% (± 1 at zero, and ± 1 step on an integer axis) so the map never divides by zero.
     */
    static double[] span(double lo, double hi, boolean integers) {
        if (hi > lo) return new double[] {lo, hi};
        double pad = integers ? 1 : lo == 0 ? 1 : Math.abs(lo) * 0.1;
        return new double[] {lo - pad, hi + pad};
    }

    /**
     * The tick values inside [lo, hi]: the multiples of the step from 1, 2, 5 × 10^k whose count is
     * closest to five (on a tie the coarser step, fewer labels to read). {@code integers} keeps the
     * step at 1 or more, for step axes. Examples: 0.13..0.87 → 0.2, 0.4, 0.6, 0.8; 0..10 → 0, 2, …, 10.
     */
    public static double[] niceTicks(double lo, double hi, boolean integers) {
        BigDecimal step = step(lo, hi, integers);
        double d = step.doubleValue();
        long first = (long) Math.ceil(lo / d - 1e-9), last = (long) Math.floor(hi / d + 1e-9);
        double[] ticks = new double[(int) Math.max(0, last - first + 1)];
        for (int i = 0; i < ticks.length; i++) ticks[i] = step.multiply(BigDecimal.valueOf(first + i)).doubleValue();
        return ticks;
    }

    private static BigDecimal step(double lo, double hi, boolean integers) {
        if (!(hi > lo) || !Double.isFinite(hi - lo)) {
            throw new IllegalArgumentException("ticks need a finite span with hi > lo, got [" + lo + ", " + hi + "]; pad a constant span first");
        }
        int top = (int) Math.floor(Math.log10(hi - lo));
        BigDecimal best = null;
        long bestScore = Long.MAX_VALUE;
        for (int k = top - 2; k <= top + 1; k++) {
            for (int m : new int[] {1, 2, 5}) {
                BigDecimal step = BigDecimal.valueOf(m).scaleByPowerOfTen(k);
                double d = step.doubleValue();
                if (integers && d < 1) continue;
                long count = (long) Math.floor(hi / d + 1e-9) - (long) Math.ceil(lo / d - 1e-9) + 1;
                long score = Math.abs(count - TARGET_TICKS);
                if (score <= bestScore) { // steps ascend, so a tie goes to the coarser one
                    best = step;
                    bestScore = score;
                }
            }
        }
        return best;
    }

    /** The decimals the step has (0.2 → 1, 0.05 → 2, 5 → 0, 2000 → -3): the places a tick label needs. */
    private static int decimals(double lo, double hi, boolean integers) {
        return step(lo, hi, integers).stripTrailingZeros().scale();
    }

    /**
     * A tick's label with the step's decimals, so labels line up ({@code 0.2, 0.4}, not {@code 0.2,
     * 0.4000000001}); in scientific notation when that would take more than 4 decimals or the values
     * reach a million, where plain digits would run into the axis title.
     */
    static String tickLabel(double t, int decimals, double[] ticks) {
        double maxAbs = 0;
        for (double v : ticks) maxAbs = Math.max(maxAbs, Math.abs(v));
        if (decimals <= 4 && maxAbs < 1e6) return BigDecimal.valueOf(t).setScale(Math.max(0, decimals), RoundingMode.HALF_EVEN).toPlainString();
        if (t == 0) return "0";
        int significant = Math.max(0, Math.min(6, (int) Math.floor(Math.log10(maxAbs)) + decimals));
        String e = String.format(Locale.ROOT, "%." + significant + "e", t); // 2.5e-05
        int at = e.indexOf('e');
        return e.substring(0, at) + "e" + Integer.parseInt(e.substring(at + 1).replace("+", ""));
    }
}
