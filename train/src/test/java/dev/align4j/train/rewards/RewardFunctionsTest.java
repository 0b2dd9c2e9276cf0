package dev.align4j.train.rewards;

import dev.align4j.train.JsonPost;
import dev.align4j.train.rewards.RewardFunction.Sample;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.align4j.train.rewards.Samples.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RewardFunctions}: TRL's weighted nansum, its per-function statistics, the error handling
 * around the functions, and the registry.
 *
 * <p>The weighted sum case, by hand: weights (0.5, 2), four completions,
 * <pre>
 * j   f1     f2     total
 * 0   1      2      0.5·1 + 2·2 = 4.5
 * 1   null   3      2·3         = 6
 * 2   0.5    null   0.5·0.5     = 0.25
 * 3   null   null   0 (nansum of nothing; warned)
 * </pre>
 * f1 over {1, 0.5}: mean 0.75, std √((0.25² + 0.25²)/1) = √0.125 = 0.35355339;
 * f2 over {2, 3}: mean 2.5, std √((0.5² + 0.5²)/1) = √0.5 = 0.70710678.
 */
class RewardFunctionsTest {

    static List<Sample> batch(int n) {
        List<Sample> b = new ArrayList<>();
        for (int j = 0; j < n; j++) b.add(sample("prompt " + j, "completion " + j));
        return b;
    }

    /** A function returning fixed scores, whatever the batch (for batches of the same size). */
    static RewardFunction fixed(String name, Double... scores) {
        return RewardFunction.of(name, b -> Arrays.asList(scores));
    }

    @Test
    void weightedSumSkipsNulls() {
        RewardFunctions rf = new RewardFunctions(List.of(fixed("f1", 1.0, null, 0.5, null), fixed("f2", 2.0, 3.0, null, null)),
                List.of(0.5, 2.0), false);
        RewardFunctions.Result r = rf.score(batch(4));
        assertArrayEquals(new double[] {4.5, 6, 0.25, 0}, r.totals(), 1e-12);
        assertEquals(List.of("f1", "f2"), r.names());
        assertEquals(Arrays.asList(1.0, null, 0.5, null), r.scores().get(0));
        assertEquals(0, r.errorCount());
        assertEquals(List.of(), r.errors());
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().getFirst().contains("1 of 4") && r.warnings().getFirst().contains("prompt 3")
                && r.warnings().getFirst().contains("completion 3"), r.warnings().getFirst());

        assertEquals(0.75, r.mean(0), 1e-12);
        assertEquals(0.35355339, r.std(0), 1e-8);
        assertEquals(2.5, r.mean(1), 1e-12);
        assertEquals(0.70710678, r.std(1), 1e-8);
        Map<String, Double> m = r.metrics();
        assertEquals(List.of("rewards/f1/mean", "rewards/f1/std", "rewards/f2/mean", "rewards/f2/std"), List.copyOf(m.keySet()));
        assertEquals(0.75, m.get("rewards/f1/mean"), 1e-12);
    }

    @Test
    void defaultWeightsAreOne() {
        RewardFunctions rf = new RewardFunctions(List.of(fixed("a", 1.0, -2.0), fixed("b", 0.5, 0.25)));
        assertArrayEquals(new double[] {1, 1}, rf.weights());
        assertArrayEquals(new double[] {1.5, -1.75}, rf.score(batch(2)).totals(), 1e-12);
        assertEquals(List.of(), rf.score(batch(2)).warnings());
    }

    @Test
    void statisticsFollowTorchNanmeanAndTrlNanstd() {
        assertEquals(Double.NaN, RewardFunctions.nanMean(Arrays.asList(null, null)));
        assertEquals(Double.NaN, RewardFunctions.nanStd(Arrays.asList(3.0, null)), "one value: 0·n/(n−1) = NaN in TRL");
        assertEquals(2.0, RewardFunctions.nanMean(Arrays.asList(1.0, null, 3.0)));
        assertEquals(Math.sqrt(2), RewardFunctions.nanStd(Arrays.asList(1.0, null, 3.0)), 1e-12);
    }

    @Test
    void wrongWeightCountNamesBothCounts() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new RewardFunctions(List.of(fixed("a"), fixed("b")), List.of(1.0, 1.0, 1.0), false));
        assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("2 reward functions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RewardFunctions(List.of(fixed("a")), List.of(Double.NaN), false));
        assertThrows(IllegalArgumentException.class, () -> new RewardFunctions(List.of()));
    }

    @Test
    void duplicateNamesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RewardFunctions(List.of(fixed("a"), fixed("a"))));
        assertTrue(e.getMessage().contains("\"a\""), e.getMessage());
    }

    /** Throws for the completion holding "boom", scores the others by their length. */
    static final RewardFunction FRAGILE = RewardFunction.perCompletion("fragile", s -> {
        if (s.completion().contains("boom")) throw new ArithmeticException("cannot score " + s.completion());
        return (double) s.completion().length();
    });

    static List<Sample> batchWithBoom() {
        return List.of(sample("add 1 and 1", "two"), sample("add 2 and 2", "boom, four"), sample("add 3 and 3", "six!"));
    }

    @Test
    void aFunctionThrowingForOneCompletionIsReportedAndTheOthersScored() {
        RewardFunctions rf = new RewardFunctions(List.of(FRAGILE, fixed("const", 1.0, 1.0, 1.0)));
        RewardFunctions.Result r = rf.score(batchWithBoom());
        assertEquals(Arrays.asList(3.0, null, 4.0), r.scores().get(0));
        assertArrayEquals(new double[] {4, 1, 5}, r.totals(), 1e-12);
        assertEquals(1, r.errorCount());
        String msg = r.errors().getFirst();
        assertTrue(msg.contains("\"fragile\"") && msg.contains("add 2 and 2") && msg.contains("boom, four")
                && msg.contains("ArithmeticException") && msg.contains("completion 1 of 3"), msg);
    }

    @Test
    void aBatchFunctionThatThrowsIsRetriedOneCompletionAtATime() {
        AtomicInteger calls = new AtomicInteger();
        RewardFunction batchy = RewardFunction.of("batchy", b -> {
            calls.incrementAndGet();
            List<Double> out = new ArrayList<>();
            for (Sample s : b) {
                if (s.completion().contains("boom")) throw new IllegalStateException("bad input");
                out.add(1.0);
            }
            return out;
        });
        RewardFunctions.Result r = new RewardFunctions(List.of(batchy)).score(batchWithBoom());
        assertEquals(Arrays.asList(1.0, null, 1.0), r.scores().getFirst());
        assertEquals(1, r.errorCount());
        assertEquals(4, calls.get(), "the batch once, then each completion alone");
    }

    @Test
    void nonFiniteScoresAreErrors() {
        RewardFunctions.Result r = new RewardFunctions(List.of(fixed("odd", Double.NaN, Double.POSITIVE_INFINITY, 2.0))).score(batch(3));
        assertEquals(Arrays.asList(null, null, 2.0), r.scores().getFirst());
        assertEquals(2, r.errorCount());
        assertTrue(r.errors().get(0).contains("returned NaN") && r.errors().get(1).contains("returned Infinity"), r.errors().toString());
        assertArrayEquals(new double[] {0, 0, 2}, r.totals(), 1e-12);
    }

    @Test
    void strictStopsNamingFunctionPromptAndCompletion() {
        RewardFunctions rf = new RewardFunctions(List.of(FRAGILE), null, true);
        var e = assertThrows(IllegalStateException.class, () -> rf.score(batchWithBoom()));
        assertTrue(e.getMessage().contains("\"fragile\"") && e.getMessage().contains("add 2 and 2")
                && e.getMessage().contains("boom, four"), e.getMessage());
        assertInstanceOf(ArithmeticException.class, e.getCause());

        RewardFunctions nan = new RewardFunctions(List.of(fixed("odd", 1.0, Double.NaN)), null, true);
        var e2 = assertThrows(IllegalStateException.class, () -> nan.score(batch(2)));
        assertTrue(e2.getMessage().contains("\"odd\"") && e2.getMessage().contains("prompt 1") && e2.getMessage().contains("NaN"),
                e2.getMessage());
    }

    @Test
    void wrongSizeIsAlwaysAnError() {
        RewardFunctions rf = new RewardFunctions(List.of(fixed("short", 1.0, 2.0)));
        var e = assertThrows(IllegalStateException.class, () -> rf.score(batch(3)));
        assertTrue(e.getMessage().contains("\"short\"") && e.getMessage().contains("2 scores") && e.getMessage().contains("3 completions"),
                e.getMessage());
        RewardFunctions nullList = new RewardFunctions(List.of(RewardFunction.of("none", b -> null)));
        assertThrows(IllegalStateException.class, () -> nullList.score(batch(1)));
    }

    @Test
    void anUnavailableFunctionNullsTheBatchOnce() {
        AtomicInteger calls = new AtomicInteger();
        RewardFunction down = RewardFunction.of("down", b -> {
            calls.incrementAndGet();
            throw new RewardUnavailableException("connection refused");
        });
        RewardFunctions.Result r = new RewardFunctions(List.of(down, fixed("const", 1.0, 2.0, 3.0))).score(batch(3));
        assertEquals(1, calls.get(), "not retried per completion");
        assertEquals(Arrays.asList(null, null, null), r.scores().getFirst());
        assertEquals(3, r.errorCount());
        assertEquals(1, r.errors().size());
        assertTrue(r.errors().getFirst().contains("\"down\"") && r.errors().getFirst().contains("connection refused"), r.errors().getFirst());
        assertArrayEquals(new double[] {1, 2, 3}, r.totals(), 1e-12);
        assertEquals(Double.NaN, r.mean(0));

        var e = assertThrows(IllegalStateException.class, () -> new RewardFunctions(List.of(down), null, true).score(batch(2)));
        assertTrue(e.getMessage().contains("\"down\"") && e.getMessage().contains("prompt 0"), e.getMessage());
    }

    @Test
    void functionsCannotModifyTheBatch() {
        RewardFunction vandal = RewardFunction.of("vandal", b -> {
            b.clear();
            return List.of();
        });
        RewardFunctions.Result r = new RewardFunctions(List.of(vandal)).score(new ArrayList<>(batch(1)));
        assertEquals(1, r.errorCount());
        assertTrue(r.errors().getFirst().contains("UnsupportedOperationException"), r.errors().getFirst());
    }

    @Test
    void abbreviationKeepsHeadAndTailOnOneLine() {
        String a = JsonPost.abbreviate("x".repeat(50) + "\nEND", 20);
        assertEquals(20, a.length());
        assertTrue(a.startsWith("xxxxxxxx") && a.endsWith("\\nEND") && a.contains(" … "), a);
        assertEquals("short\\ntext", JsonPost.abbreviate("short\ntext", 80));
    }

    @Test
    void registryResolvesBuiltIns() {
        assertInstanceOf(MathAccuracy.class, RewardFunctions.builtIn("accuracy_reward", 256));
        assertEquals("reasoning_accuracy_reward", RewardFunctions.builtIn("reasoning_accuracy_reward", 256).name());
        assertInstanceOf(FormatReward.class, RewardFunctions.builtIn("think_format_reward", 256));
        OverlongPenalty p = (OverlongPenalty) RewardFunctions.builtIn("get_soft_overlong_punishment", 1280);
        assertEquals(1280, p.maxCompletionLength());
        assertEquals(256, p.softPunishCache(), "20% by default");
        assertEquals(100, ((OverlongPenalty) RewardFunctions.builtIn("soft_overlong_punishment", 1280, 100)).softPunishCache());
        try (HttpScorer h = (HttpScorer) RewardFunctions.builtIn("http:http://localhost:8000/score", 256)) {
            assertEquals(URI.create("http://localhost:8000/score"), h.url());
            assertEquals("http_reward", h.name());
        }
        try (HttpScorer h = (HttpScorer) RewardFunctions.builtIn("https://example.org/r", 256)) {
            assertEquals(URI.create("https://example.org/r"), h.url());
        }
    }

    @Test
    void registryErrorsListTheKnownNames() {
        var e = assertThrows(IllegalArgumentException.class, () -> RewardFunctions.builtIn("my_lib.rewards.custom", 256));
        for (String known : RewardFunctions.BUILT_IN_NAMES) assertTrue(e.getMessage().contains(known), e.getMessage());
        assertTrue(e.getMessage().contains("my_lib.rewards.custom"), e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> RewardFunctions.builtIn("http:localhost", 256));
        assertTrue(bad.getMessage().contains("http:localhost"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RewardFunctions.builtIn("soft_overlong_punishment", 100, 200));
    }

    @Test
    void builtInsCombine() {
        // One GRPO group of two completions, accuracy + format, by hand: [1 + 1, 0 + 0].
        RewardFunctions rf = new RewardFunctions(List.of(RewardFunctions.builtIn("accuracy_reward", 100),
                RewardFunctions.builtIn("think_format_reward", 100)));
        RewardFunctions.Result r = rf.score(List.of(
                sample("1+1?", "<think>easy</think>\\boxed{2}", "solution", "2"),
                sample("1+1?", "\\boxed{3}", "solution", "2")));
        assertArrayEquals(new double[] {2, 0}, r.totals(), 1e-12);
    }
}
