package dev.align4j.tensor.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The log-softmax normaliser of one row against a float64 sum, at odd sizes, large logits and an offset row. */
class LogSumExpTest {

    @Test
    void matchesTheFloat64Sum() {
        SplittableRandom r = new SplittableRandom(3);
        for (int v : new int[] {1, 7, 33, 65, 127, 4097, 50257}) {
            float[] x = new float[v + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 8 + (i % 97 == 0 ? 60 : 0));
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 5; i < x.length; i++) max = Math.max(max, x[i]);
            for (int i = 5; i < x.length; i++) sum += Math.exp(x[i] - max);
            assertEquals(max + Math.log(sum), LogSoftmaxKernels.logSumExp(x, 5, v), 1e-4 * Math.max(1, Math.abs(max)), "v=" + v);
        }
        assertThrows(IllegalArgumentException.class, () -> LogSoftmaxKernels.logSumExp(new float[4], 2, 3));
    }
}
