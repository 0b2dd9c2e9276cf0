package dev.align4j.train.rewards;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.align4j.train.rewards.Samples.ofLength;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OverlongPenalty} at each boundary of DAPO Eq. 13 with L_max = 100, L_cache = 20 (so
 * L_max − L_cache = 80), values by hand: (80 − |y|)/20 in the band,
 * <pre>
 * |y|   0   80   81      90     99      100   101   1000
 * R     0   0    −0.05   −0.5   −0.95   −1    −1    −1
 * </pre>
 * At |y| = L_max the band's formula and the last case agree (−L_cache/L_cache = −1), so which of
 * the two covers that point cannot be observed.
 */
class OverlongPenaltyTest {

    @Test
    void boundaries() {
        OverlongPenalty p = new OverlongPenalty(100, 20);
        assertEquals("soft_overlong_punishment_reward", p.name());
        int[] lengths = {0, 80, 81, 90, 99, 100, 101, 1000};
        double[] expected = {0, 0, -0.05, -0.5, -0.95, -1, -1, -1};
        for (int k = 0; k < lengths.length; k++) assertEquals(expected[k], p.penalty(lengths[k]), 1e-12, "length " + lengths[k]);
        // TRL's docstring example: max_completion_len=100, soft_punish_cache=20, 90 tokens → −0.5.
        assertEquals(List.of(-0.5, 0.0), p.score(List.of(ofLength(90), ofLength(10))));
    }

    @Test
    void zeroCacheIsAHardCutoff() {
        OverlongPenalty p = new OverlongPenalty(100, 0);
        assertEquals(0.0, p.penalty(100));
        assertEquals(-1.0, p.penalty(101));
    }

    @Test
    void cacheEqualToMaxPunishesTheWholeRange() {
        OverlongPenalty p = new OverlongPenalty(4, 4);
        assertEquals(0.0, p.penalty(0));
        assertEquals(-0.25, p.penalty(1));
        assertEquals(-1.0, p.penalty(4));
    }

    @Test
    void invalidLengthsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new OverlongPenalty(100, 101));
        assertTrue(e.getMessage().contains("soft_punish_cache 101"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new OverlongPenalty(100, -1));
        assertThrows(IllegalArgumentException.class, () -> new OverlongPenalty(0, 0));
    }
}
