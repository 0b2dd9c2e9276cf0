package dev.align4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Both ways of scoring cached keys — 16 at a time with folded lane sums (16-lane vectors) and key by
 * key (any other width, so it runs here only through this test) — against attention recomputed in
 * float64, over segments with past rows and several new tokens, GQA, and head sizes with and
 * without a partial vector.
 */
class CachedAttentionKernelsTest {

    @ParameterizedTest(name = "headDim={0} blocks={1}")
    @CsvSource({"64, true", "64, false", "24, true", "24, false"})
    void scoresMatchFloat64(int d, boolean blocks) {
        int nHead = 4, nKvHead = 2, group = nHead / nKvHead, row = nKvHead * d, capacity = 48;
        int[] fresh = {1, 3, 2}, lengths = {17, 40, 5}, offsets = {0, 1, 4, 6};
        SplittableRandom r = new SplittableRandom(d);
        int t = offsets[3];
        float[] q = new float[3 + t * nHead * d]; // from offset 3
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[][] k = new float[3][], v = new float[3][];
        int[] kOff = {0, 5, 2}, vOff = {1, 0, 7};
        for (int s = 0; s < 3; s++) {
            k[s] = new float[kOff[s] + capacity * row];
            v[s] = new float[vOff[s] + capacity * row];
            for (int i = 0; i < k[s].length; i++) k[s][i] = (float) r.nextGaussian();
            for (int i = 0; i < v[s].length; i++) v[s][i] = (float) r.nextGaussian();
        }
        float scale = (float) (1 / Math.sqrt(d));
        float[] out = new float[t * nHead * d];
        CachedAttentionKernels.forward(out, q, 3, k, kOff, v, vOff, lengths, offsets, nHead, nKvHead, d, scale, blocks);
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < fresh[s]; i++) {
                int token = offsets[s] + i, keys = lengths[s] - fresh[s] + i + 1;
                for (int h = 0; h < nHead; h++) {
                    double[] p = new double[keys];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < keys; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += (double) q[3 + (token * nHead + h) * d + c] * k[s][kOff[s] + j * row + (h / group) * d + c];
                        p[j] = scale * dot;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < keys; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int c = 0; c < d; c++) {
                        double o = 0;
                        for (int j = 0; j < keys; j++) o += p[j] / sum * v[s][vOff[s] + j * row + (h / group) * d + c];
                        assertEquals(o, out[(token * nHead + h) * d + c], 2e-5, "segment " + s + " token " + i + " head " + h + " lane " + c);
                    }
                }
            }
        }
    }
}
