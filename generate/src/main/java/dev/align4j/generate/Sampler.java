package dev.align4j.generate;

import dev.align4j.tensor.kernels.LogSoftmaxKernels;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Turns one row of logits into the next token: the logits processors of transformers, in its order,
 * then a draw from the resulting distribution, with the token's log-probs under that distribution
 * and under the raw model.
 *
 * <p>Each processor edits a logits row (V) in place, removing a token by setting its logit to −∞
 * (transformers' {@code filter_value}); each follows transformers'
 * {@code generation/logits_process.py}:
 * <ul>
 * <li>{@link #repetitionPenalty}: {@code RepetitionPenaltyLogitsProcessor} (Keskar et al. 2019,
 *     CTRL, eq. 1 extended to negative logits): a seen token's logit {@code x} becomes {@code x/θ}
 *     if {@code x > 0} and {@code x·θ} otherwise, once per distinct token;</li>
 * <li>{@link #temperature}: {@code TemperatureLogitsWarper}, {@code x / T};</li>
 * <li>{@link #topK}: {@code TopKLogitsWarper}, drops {@code x < } the k-th largest logit (ties
 *     with it stay);</li>
 * <li>{@link #topP}: {@code TopPLogitsWarper} (Holtzman et al. 2020): sorts ascending, drops the
 *     tokens whose cumulative probability is ≤ {@code 1 − top_p}, always keeps the most likely;</li>
 * <li>{@link #minP}: {@code MinPLogitsWarper} (Nguyen et al. 2024): drops tokens with
 *     {@code p < min_p · max p}.</li>
 * </ul>
 * Probabilities are computed in double; the raw log-prob uses the log-softmax normaliser of the
 * engine's fused kernels ({@link LogSoftmaxKernels#logSumExp}), in float, as the training losses do. Ties in top-p's sort are broken by token id (the lower id
 * counts as less likely); torch's sort leaves that order unspecified. What it is not: vectorised or
 * parallel (a row per sequence per step is small next to the forward pass), nor a sampler of
 * anything but one token.
 */
public final class Sampler {
    private Sampler() {}

    /** A sampled token with its log-prob under the processed (sampling) distribution and under the raw model. */
    public record Sampled(int token, double logprob, double rawLogprob) {}

    /**
     * Samples from {@code logits[offset .. offset + vocab)} (left unchanged) with {@code params}.
     * {@code seen} holds the ids already in the sequence (prompt and completion). Greedy
     * ({@code temperature = 0}) takes the argmax after the repetition penalty, lowest id on ties,
     * and its sampling log-prob is 0: the distribution used is a point mass.
     */
    public static Sampled sample(float[] logits, int offset, int vocab, SamplingParams params, BitSet seen, SplittableRandom rng) {
        float rawLse = LogSoftmaxKernels.logSumExp(logits, offset, vocab);
        if (params.temperature() == 0 && params.repetitionPenalty() == 1) { // greedy on the row itself: no copy
            int best = 0;
            for (int i = 1; i < vocab; i++) if (logits[offset + i] > logits[offset + best]) best = i;
            return new Sampled(best, 0, logits[offset + best] - rawLse);
        }
        float[] x = Arrays.copyOfRange(logits, offset, offset + vocab);
        repetitionPenalty(x, seen, (float) params.repetitionPenalty());
        if (params.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < vocab; i++) if (x[i] > x[best]) best = i;
            return new Sampled(best, 0, logits[offset + best] - rawLse);
        }
        temperature(x, (float) params.temperature());
        topK(x, params.topK());
        topP(x, params.topP());
        minP(x, params.minP());
        int token = draw(x, rng.nextDouble());
        return new Sampled(token, logSoftmaxAt(x, 0, vocab, token), logits[offset + token] - rawLse);
    }

    /** Divides positive logits of {@code seen} tokens by {@code penalty} and multiplies the others by it. */
    public static void repetitionPenalty(float[] x, BitSet seen, float penalty) {
        if (penalty == 1f) return;
        for (int i = seen.nextSetBit(0); i >= 0 && i < x.length; i = seen.nextSetBit(i + 1)) {
            x[i] = x[i] < 0 ? x[i] * penalty : x[i] / penalty;
        }
    }

    /** {@code x / t}, for {@code t > 0}. */
    public static void temperature(float[] x, float t) {
        if (t == 1f) return;
        for (int i = 0; i < x.length; i++) x[i] /= t;
    }

    /** Drops the logits below the {@code k}-th largest; {@code k = 0} or {@code k ≥ V} keeps all. */
    public static void topK(float[] x, int k) {
        if (k <= 0 || k >= x.length) return;
        float[] sorted = x.clone();
        Arrays.sort(sorted);
        float kth = sorted[x.length - k];
        for (int i = 0; i < x.length; i++) if (x[i] < kth) x[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * Drops, in ascending order of probability, the tokens whose cumulative probability is
     * {@code ≤ 1 − p}; the most likely token always stays. {@code p = 1} keeps all.
     */
    public static void topP(float[] x, double p) {
        if (p >= 1) return;
        double[] prob = softmax(x);
        int[] order = ascending(x);
        double cumulative = 0;
        for (int r = 0; r < order.length - 1; r++) {
            cumulative += prob[order[r]];
            if (cumulative <= 1 - p) x[order[r]] = Float.NEGATIVE_INFINITY;
        }
    }

    /** Drops the tokens with probability below {@code minP} times the largest probability. */
    public static void minP(float[] x, double minP) {
        if (minP <= 0) return;
        double[] prob = softmax(x);
        double top = 0;
        for (double q : prob) top = Math.max(top, q);
        double threshold = minP * top;
        for (int i = 0; i < x.length; i++) if (prob[i] < threshold) x[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * The token {@code i} where the cumulative probability, summed in token order, first exceeds
     * {@code u · Σ p}, for {@code u} uniform in [0, 1): inverse-CDF sampling of softmax(x).
     */
    static int draw(float[] x, double u) {
        double[] prob = softmax(x);
        double total = 0;
        for (double q : prob) total += q;
        double target = u * total, cumulative = 0;
        int last = -1;
        for (int i = 0; i < prob.length; i++) {
            if (prob[i] == 0) continue;
            cumulative += prob[i];
            last = i;
            if (cumulative > target) return i;
        }
        return last; // rounding: u·Σp at the very top of the range
    }

    /** {@code x[token] − log Σ exp x} over {@code x[offset .. offset + vocab)}, in double. */
    public static double logSoftmaxAt(float[] x, int offset, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, x[offset + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(x[offset + i] - max);
        return x[offset + token] - max - Math.log(sum);
    }

    /** softmax(x) in double; −∞ logits get probability 0. */
    static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double[] p = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) sum += p[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) p[i] /= sum;
        return p;
    }

    /** Token ids sorted by ascending logit, ties by ascending id: (order-preserving float bits, id) packed in a long. */
    private static int[] ascending(float[] x) {
        long[] keys = new long[x.length];
        for (int i = 0; i < x.length; i++) {
            int bits = Float.floatToIntBits(x[i]);
            bits ^= (bits >> 31) & 0x7fffffff; // negative floats: flip the magnitude so signed int order is float order
            keys[i] = ((long) bits << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[x.length];
        for (int i = 0; i < x.length; i++) order[i] = (int) keys[i];
        return order;
    }
}
