package dev.align4j.eval.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.align4j.eval.report.ReportFixtures.all;
import static dev.align4j.eval.report.ReportFixtures.polyline;
import static dev.align4j.eval.report.SvgChart.PLOT_BOTTOM;
import static dev.align4j.eval.report.SvgChart.PLOT_LEFT;
import static dev.align4j.eval.report.SvgChart.PLOT_RIGHT;
import static dev.align4j.eval.report.SvgChart.PLOT_TOP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgChartTest {

    private static Curve curve(String name, double... stepValue) {
        List<double[]> points = new java.util.ArrayList<>();
        for (int i = 0; i < stepValue.length; i += 2) points.add(new double[] {stepValue[i], stepValue[i + 1]});
        return new Curve(name, points);
    }

    @Test
    void pointsMapToTheCornersAndMiddleOfThePlotArea() {
        // Values 0, 5, 10 at steps 1, 2, 3: the span is exactly [1, 3] × [0, 10], so the points sit at the
        // left/bottom, centre/middle and right/top of the plot area (76..464 × 196..14).
        String svg = SvgChart.svg(List.of(curve("loss", 1, 0, 2, 5, 3, 10)), "step", "loss");
        List<double[]> p = polyline(svg, "loss");
        assertEquals(3, p.size());
        assertArrayEquals(new double[] {PLOT_LEFT, PLOT_BOTTOM}, p.get(0), 0.05);
        assertArrayEquals(new double[] {(PLOT_LEFT + PLOT_RIGHT) / 2, (PLOT_TOP + PLOT_BOTTOM) / 2}, p.get(1), 0.05);
        assertArrayEquals(new double[] {PLOT_RIGHT, PLOT_TOP}, p.get(2), 0.05);
        assertArrayEquals(new double[] {76, 196}, p.get(0), 0.05, "the constants as documented");
        assertEquals(List.of("0", "2", "4", "6", "8", "10"), all("text-anchor=\"end\" fill=\"#555\">([^<]*)</text>", svg), "y ticks");
        assertEquals(List.of("1", "2", "3"), all("text-anchor=\"middle\" fill=\"#555\">([^<]*)</text>", svg), "integer step ticks");
        assertTrue(svg.startsWith("<svg class=\"chart\" viewBox=\"0 0 480 260\""), svg.substring(0, 60));
    }

    @Test
    void aConstantSeriesAndASinglePointRenderWithoutDividingByZero() {
        String svg = SvgChart.svg(List.of(curve("kl", 1, 0.5, 2, 0.5, 3, 0.5), curve("eval_loss", 2, 0.5)), "step", "KL");
        assertFalse(svg.contains("NaN") || svg.contains("Infinity"), svg);
        for (double[] p : polyline(svg, "kl")) assertEquals((PLOT_TOP + PLOT_BOTTOM) / 2, p[1], 0.05, "a constant sits mid-height");
        assertEquals(1, all("(<circle data-series=\"eval_loss\")", svg).size(), "a single point is a dot");
        assertFalse(svg.contains("<polyline data-series=\"eval_loss\""));
        // One point alone: both spans are padded.
        String dot = SvgChart.svg(List.of(curve("reward", 7, 0)), "step", "reward");
        assertFalse(dot.contains("NaN") || dot.contains("Infinity"), dot);
        assertTrue(dot.contains("cx=\"270\" cy=\"105\""), "centred: " + dot);
        String empty = SvgChart.svg(List.of(), "step", "loss");
        assertFalse(empty.contains("NaN") || empty.contains("Infinity"), "nothing to draw still draws a frame");
    }

    @Test
    void ticksAreNiceNumbersInsideTheSpan() {
        assertArrayEquals(new double[] {0.2, 0.4, 0.6, 0.8}, SvgChart.niceTicks(0.13, 0.87, false), 1e-12);
        assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10}, SvgChart.niceTicks(0, 10, false), 1e-12);
        assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8, 1}, SvgChart.niceTicks(0, 1, false), 1e-12);
        assertArrayEquals(new double[] {1, 1.5, 2, 2.5, 3}, SvgChart.niceTicks(1, 3, false), 1e-12);
        assertArrayEquals(new double[] {1, 2, 3}, SvgChart.niceTicks(1, 3, true), 1e-12, "steps never get half ticks");
        assertArrayEquals(new double[] {200, 400, 600, 800, 1000}, SvgChart.niceTicks(1, 1000, true), 1e-12);
        assertArrayEquals(new double[] {-0.1, -0.05, 0, 0.05}, SvgChart.niceTicks(-0.12, 0.07, false), 1e-12);
        // Span 0.00106: a step of 0.0002 gives 6 ticks, 0.0005 gives 3; 6 is nearer five.
        assertArrayEquals(new double[] {0.6930, 0.6932, 0.6934, 0.6936, 0.6938, 0.6940}, SvgChart.niceTicks(0.69297, 0.69403, false), 1e-12);
        assertEquals(0.6, SvgChart.niceTicks(0.13, 0.87, false)[2], 0, "exact decimals, not 0.6000000000000001");
        for (double[] span : new double[][] {{0.13, 0.87}, {3e-6, 9.1e-5}, {-7, 1234}, {0.5, 0.50001}, {1e5, 9e6}}) {
            int n = SvgChart.niceTicks(span[0], span[1], false).length;
            assertTrue(n >= 3 && n <= 7, n + " ticks on " + span[0] + ".." + span[1]);
        }
    }

    @Test
    void tickLabelsUseTheStepsDecimalsOrScientificNotation() {
        String svg = SvgChart.svg(List.of(curve("rewards/accuracies", 1, 0.13, 40, 0.87)), "step", "accuracy");
        assertEquals(List.of("0.2", "0.4", "0.6", "0.8"), all("text-anchor=\"end\" fill=\"#555\">([^<]*)</text>", svg));
        assertEquals(List.of("10", "20", "30", "40"), all("text-anchor=\"middle\" fill=\"#555\">([^<]*)</text>", svg));
        String lr = SvgChart.svg(List.of(curve("learning_rate", 1, 0, 100, 5e-5)), "step", "learning rate");
        assertEquals(List.of("0", "1e-5", "2e-5", "3e-5", "4e-5", "5e-5"), all("text-anchor=\"end\" fill=\"#555\">([^<]*)</text>", lr));
        // Span 1.8e-5: a step of 2e-6 gives 9 ticks, 5e-6 gives 3 (1.5, 2.0, 2.5 e-5); 3 is nearer five.
        String kl = SvgChart.svg(List.of(curve("kl", 1, 1.1e-5, 2, 2.9e-5)), "step", "KL");
        assertEquals(List.of("1.5e-5", "2.0e-5", "2.5e-5"), all("text-anchor=\"end\" fill=\"#555\">([^<]*)</text>", kl));
    }

    @Test
    void theLegendWrapsAndGivesEachCurveItsColour() {
        List<Curve> curves = List.of(curve("reward", 1, 0, 2, 1), curve("objective/scores", 1, 0, 2, 1), curve("objective/rlhf_reward", 1, 0, 2, 1),
                curve("rewards/chosen", 1, 0, 2, 1), curve("rewards/rejected", 1, 0, 2, 1), curve("rewards/margins", 1, 0, 2, 1));
        String svg = SvgChart.svg(curves, "step", "reward");
        List<String> rows = all("<line x1=\"[^\"]*\" x2=\"[^\"]*\" y1=\"([^\"]*)\" y2=\"[^\"]*\" stroke=\"[^\"]*\" stroke-width=\"3\"/>", svg);
        assertEquals(6, rows.size());
        assertTrue(rows.stream().distinct().count() >= 2, "more than one legend row: " + rows);
        int height = Integer.parseInt(ReportFixtures.one("viewBox=\"0 0 480 (\\d+)\"", svg));
        assertTrue(height > 260, "the chart grows to hold the legend: " + height);
        List<String> strokes = all("<polyline data-series=\"[^\"]*\" fill=\"none\" stroke=\"([^\"]*)\"", svg);
        assertEquals(6, strokes.stream().distinct().count(), "distinct colours");
    }
}
