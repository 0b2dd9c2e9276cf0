package dev.align4j.tensor.optim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.align4j.tensor.optim.AdamWTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Schedules against Hugging Face's lambdas ({@code transformers/optimization.py}), worked by hand
 * for 10 warmup steps out of 100:
 * <ul>
 * <li>warmup (all but constant): λ(0) = 0, λ(5) = 5/10 = 0.5, λ(10) is the first post-warmup value.
 * <li>linear: λ(10) = 90/90 = 1, λ(55) = 45/90 = 0.5, λ(99) = 1/90, λ(100) = 0.
 * <li>cosine, progress p = (s − 10)/90: λ(10) = ½(1 + cos 0) = 1; λ(25): p = 1/6,
 *     ½(1 + cos(π/6)) = ½ + √3/4 = 0.9330127018922193; λ(55): p = ½, ½(1 + cos(π/2)) = 0.5;
 *     λ(100) = ½(1 + cos π) = 0.
 * <li>cosine_with_min_lr, r = 0.1: the cosine value c becomes 0.9·c + 0.1: 1, 0.9397114317029974,
 *     0.55 and 0.1.
 * <li>constant_with_warmup: 1 from step 10 on. constant: 1 everywhere, warmup ignored as in HF.
 * </ul>
 */
class LrScheduleTest {

    @ParameterizedTest(name = "{0} step {1}")
    @CsvSource({
            "linear,0,0", "linear,5,0.5", "linear,10,1", "linear,55,0.5", "linear,99,0.011111111111111112", "linear,100,0",
            "cosine,0,0", "cosine,5,0.5", "cosine,10,1", "cosine,25,0.9330127018922193", "cosine,55,0.5", "cosine,100,0",
            "constant_with_warmup,0,0", "constant_with_warmup,5,0.5", "constant_with_warmup,10,1",
            "constant_with_warmup,100,1",
            "constant,0,1", "constant,5,1", "constant,100,1"})
    void multipliersWithTenWarmupStepsOfAHundred(String type, int step, double expected) {
        LrSchedule s = LrSchedule.of(SchedulerType.fromHfName(type), 2e-5, 10, 100);
        assertEquals(expected, s.multiplier(step), 1e-15);
        assertEquals(2e-5 * expected, s.learningRate(step), 1e-20);
    }

    @ParameterizedTest(name = "step {0}")
    @CsvSource({"0,0", "5,0.5", "10,1", "25,0.9397114317029974", "55,0.55", "100,0.1"})
    void cosineWithMinLrRate(int step, double expected) {
        assertEquals(expected, LrSchedule.cosineWithMinLrRate(1e-4, 10, 100, 0.1).multiplier(step), 1e-15);
    }

    @Test
    void cosineWithAbsoluteMinLrEndsThere() {
        LrSchedule s = LrSchedule.cosineWithMinLr(2e-5, 0, 50, 2e-6);
        assertEquals(0.1, s.minLrRate(), 1e-15);
        assertEquals(2e-5, s.learningRate(0), 1e-20);
        assertEquals(2e-6, s.learningRate(50), 1e-20);
    }

    @Test
    void withoutWarmupTheFirstStepRunsAtTheFullRate() {
        assertEquals(1.0, LrSchedule.of(SchedulerType.LINEAR, 1e-3, 0, 10).multiplier(0));
        assertEquals(1.0, LrSchedule.of(SchedulerType.COSINE, 1e-3, 0, 10).multiplier(0));
        assertEquals(0.0, LrSchedule.of(SchedulerType.LINEAR, 1e-3, 10, 10).multiplier(10)); // max(1, T − W) guards 0
    }

    @ParameterizedTest
    @EnumSource(SchedulerType.class)
    void hfNamesRoundTrip(SchedulerType t) {
        assertEquals(t, SchedulerType.fromHfName(t.hfName()));
    }

    @Test
    void unknownOrMisspelledNamesListTheSupportedOnes() {
        assertMessage(() -> SchedulerType.fromHfName("cosine_with_restarts"), "\"cosine_with_min_lr\"");
        assertMessage(() -> SchedulerType.fromHfName("Linear"), "unsupported value \"Linear\"");
    }

    @ParameterizedTest(name = "warmup_steps={0} warmup_ratio={1} of {2}")
    @CsvSource({"0,0.1,95,10", "0,0.07,100,8", "5,0.1,95,5", "0,0,100,0", "0,1,7,7"})
    void warmupStepsFollowTrainingArguments(int steps, double ratio, int total, int expected) {
        assertEquals(expected, LrSchedule.warmupSteps(steps, ratio, total));
    }

    @Test
    void badInputsAreRejected() {
        assertMessage(() -> LrSchedule.of(SchedulerType.LINEAR, 1e-3, 11, 10), "num_warmup_steps");
        assertMessage(() -> LrSchedule.of(SchedulerType.LINEAR, 1e-3, -1, 10), "num_warmup_steps");
        assertMessage(() -> LrSchedule.of(SchedulerType.COSINE, 1e-3, 0, 0), "num_training_steps");
        assertMessage(() -> LrSchedule.of(SchedulerType.COSINE, -1e-3, 0, 10), "learning_rate");
        assertMessage(() -> LrSchedule.of(SchedulerType.COSINE_WITH_MIN_LR, 1e-3, 0, 10), "min_lr");
        assertMessage(() -> LrSchedule.cosineWithMinLrRate(1e-3, 0, 10, 1.5), "min_lr_rate");
        assertMessage(() -> LrSchedule.cosineWithMinLr(0, 0, 10, 1e-6), "learning_rate > 0");
        assertMessage(() -> new LrSchedule(SchedulerType.LINEAR, 1e-3, 0, 10, 0.1), "only to cosine_with_min_lr");
        LrSchedule s = LrSchedule.of(SchedulerType.LINEAR, 1e-3, 0, 10);
        assertMessage(() -> s.learningRate(-1), "step -1");
        assertMessage(() -> s.learningRate(11), "step 11");
        assertMessage(() -> LrSchedule.warmupSteps(0, 1.5, 10), "warmup_ratio");
        assertMessage(() -> LrSchedule.warmupSteps(-2, 0, 10), "warmup_steps");
    }
}
