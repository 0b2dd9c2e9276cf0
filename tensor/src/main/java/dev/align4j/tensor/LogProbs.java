package dev.align4j.tensor;

import dev.align4j.tensor.kernels.LogSoftmaxKernels;

import java.util.Arrays;

/**
 * Log-probabilities of tokens straight from logits: the fused "log-softmax, then gather the
 * label" that every trainer needs (SFT's cross-entropy, DPO's sequence log-probs, PPO/GRPO's
 * per-token log-probs and ratios), plus the entropy RL trainers log or regularise.
 *
 * <p>Based on PyTorch {@code F.log_softmax} + {@code gather} (TRL's {@code selective_log_softmax})
 * and {@code F.cross_entropy(reduction='mean', ignore_index=-100)}. Only per-row statistics are
 * kept; the (N, V) probability matrix never exists, forward or backward
 * ({@link LogSoftmaxKernels}). What it is not: a general softmax / log-softmax op, or a loss
 * with label smoothing or class weights; sequence sums and masking live in the trainers' loss
 * code.
 */
public final class LogProbs {
    private LogProbs() {}

    /** PyTorch's and Hugging Face's label for "no loss at this position". */
    public static final int IGNORE_INDEX = -100;

    /** Passed to the kernels when nothing is ignored: labels are all checked to be in [0, V), so −1 never matches. */
    private static final int NOTHING_IGNORED = -1;

    /**
     * {@code log softmax(logits[i])[labels[i]]} for every row.
     *
     * @param logits (N, V)
     * @param labels (N), each in [0, V)
     * @return (N)
     */
    public static Tensor tokenLogProbs(Tensor logits, int[] labels) {
        int[] copy = checkLabels("tokenLogProbs", logits, labels, false, 0);
        return gather(logits, copy, NOTHING_IGNORED);
    }

    /**
     * As {@link #tokenLogProbs(Tensor, int[])}, with 0 (and no gradient) at rows whose label is
     * {@code ignoreIndex}: the negative of PyTorch's {@code F.cross_entropy(reduction='none')}.
     *
     * @param logits (N, V)
     * @param labels (N), each in [0, V) or equal to {@code ignoreIndex}
     * @return (N)
     */
    public static Tensor tokenLogProbs(Tensor logits, int[] labels, int ignoreIndex) {
        int[] copy = checkLabels("tokenLogProbs", logits, labels, true, ignoreIndex);
        return gather(logits, copy, ignoreIndex);
    }

    private static Tensor gather(Tensor logits, int[] labels, int ignoreIndex) {
        int n = logits.dim(0), v = logits.dim(1);
        Tensor out = Tensor.zeros(n);
        float[] lse = new float[n]; // (N)
        LogSoftmaxKernels.tokenLogProbsForward(out.data, lse, logits.data, logits.offset, labels, ignoreIndex, n, v);
        Autograd.record(out, "tokenLogProbs", () -> {
            if (logits.requiresGrad()) {
                LogSoftmaxKernels.tokenLogProbsBackward(logits.gradBuffer(), out.gradOrNull(), logits.data, logits.offset,
                        lse, labels, ignoreIndex, n, v);
            }
        }, logits);
        return out;
    }

    /** {@link #crossEntropy(Tensor, int[], int)} ignoring label {@link #IGNORE_INDEX} (−100). */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return crossEntropy(logits, labels, IGNORE_INDEX);
    }

    /**
     * Mean negative log-likelihood over the rows whose label is not {@code ignoreIndex}, as
     * PyTorch's {@code F.cross_entropy(logits, labels, ignore_index=ignoreIndex)}. When every row
     * is ignored the mean is 0/0: NaN, as PyTorch returns, and the backward adds nothing (PyTorch's
     * gradient is zero too).
     *
     * @param logits (N, V)
     * @param labels (N), each in [0, V) or equal to {@code ignoreIndex}
     * @return a scalar
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels, int ignoreIndex) {
        int[] copy = checkLabels("crossEntropy", logits, labels, true, ignoreIndex);
        int n = logits.dim(0), v = logits.dim(1);
        float[] logp = new float[n], lse = new float[n]; // (N), (N)
        LogSoftmaxKernels.tokenLogProbsForward(logp, lse, logits.data, logits.offset, copy, ignoreIndex, n, v);
        int count = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (copy[i] == ignoreIndex) continue;
            count++;
            sum += logp[i];
        }
        Tensor out = Tensor.scalar(count == 0 ? Float.NaN : (float) (-sum / count));
        int counted = count;
        Autograd.record(out, "crossEntropy", () -> {
            if (!logits.requiresGrad() || counted == 0) return;
            float[] dy = new float[n]; // (N): d loss / d logp_i = −1/count (ignored rows are skipped by the kernel)
            Arrays.fill(dy, -out.gradOrNull()[0] / counted);
            LogSoftmaxKernels.tokenLogProbsBackward(logits.gradBuffer(), dy, logits.data, logits.offset, lse, copy,
                    ignoreIndex, n, v);
        }, logits);
        return out;
    }

    /**
     * The entropy of each row's softmax, {@code −Σ_j p_ij·log p_ij}, in nats.
     *
     * @param logits (N, V)
     * @return (N)
     */
    public static Tensor entropy(Tensor logits) {
        checkLogits("entropy", logits);
        int n = logits.dim(0), v = logits.dim(1);
        Tensor out = Tensor.zeros(n);
        float[] lse = new float[n]; // (N)
        LogSoftmaxKernels.entropyForward(out.data, lse, logits.data, logits.offset, n, v);
        Autograd.record(out, "entropy", () -> {
            if (logits.requiresGrad()) {
                LogSoftmaxKernels.entropyBackward(logits.gradBuffer(), out.gradOrNull(), logits.data, logits.offset, lse,
                        out.data, n, v);
            }
        }, logits);
        return out;
    }

    private static void checkLogits(String op, Tensor logits) {
        Tensor.requireFloat32(op, logits);
        if (logits.rank() != 2 || logits.dim(1) == 0) {
            throw new IllegalArgumentException(op + ": logits must be (N, V) with V ≥ 1, got " + logits.describe()
                    + "; view (B, T, V) logits as (B·T, V)");
        }
    }

    /** Checks logits and labels once; returns a copy of the labels for the backward to keep. */
    private static int[] checkLabels(String op, Tensor logits, int[] labels, boolean ignoring, int ignoreIndex) {
        checkLogits(op, logits);
        int n = logits.dim(0), v = logits.dim(1);
        if (labels.length != n) {
            throw new IllegalArgumentException(op + ": " + labels.length + " labels for logits " + logits.describe()
                    + "; need one label per row (N=" + n + ")");
        }
        for (int i = 0; i < n; i++) {
            int l = labels[i];
            if ((l < 0 || l >= v) && !(ignoring && l == ignoreIndex)) {
                throw new IllegalArgumentException(op + ": label " + l + " at position " + i + " is out of range for V=" + v
                        + " (logits " + logits.describe() + ")"
                        + (ignoring ? " and is not the ignore index " + ignoreIndex : "; use the overload with an ignore index to skip rows"));
            }
        }
        return labels.clone();
    }
}
