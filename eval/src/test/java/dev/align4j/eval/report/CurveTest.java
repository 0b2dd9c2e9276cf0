package dev.align4j.eval.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CurveTest {

    @Test
    void skipsRecordsWithoutAFiniteValueAndKeepsLogOrder() {
        var log = ReportFixtures.log(
                "{\"step\": 10, \"loss\": 2.0}",
                "{\"step\": 20}",
                "{\"step\": 30, \"loss\": null}",
                "{\"step\": 40, \"loss\": \"NaN\"}",
                "{\"step\": 25, \"loss\": 1.5}",
                "{\"loss\": 1.0}");
        Curve c = Curve.of("loss", log);
        assertEquals(3, c.points().size());
        assertArrayEquals(new double[] {10, 2.0}, c.points().get(0));
        assertArrayEquals(new double[] {25, 1.5}, c.points().get(1), "data order, not sorted");
        assertArrayEquals(new double[] {6, 1.0}, c.points().get(2), "no step: the record's 1-based position");
        assertTrue(Curve.of("reward", log).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new Curve("x", List.of(new double[] {1})));
    }
}
