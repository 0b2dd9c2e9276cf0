package dev.align4j.train;

import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prompts packed with their sampled responses, for the forward passes of RL trainers (PPO, GRPO):
 * the sequences {@code prompt ++ response} end to end, the row of each response token's state (the
 * token before it, whose logits predict it and whose hidden state is its value), and the response
 * tokens as labels on those rows.
 *
 * @param batch  the packed sequences
 * @param rows   (N) the row of each response token's state, response by response
 * @param labels (T) the response tokens on their rows, {@link PackedBatch#IGNORE} elsewhere
 */
public record ResponseBatch(PackedBatch batch, int[] rows, int[] labels) {

    /** Packs {@code queries.get(i) ++ responses.get(i)} for each i. */
    public static ResponseBatch of(List<int[]> queries, List<int[]> responses) {
        List<int[]> sequences = new ArrayList<>(queries.size());
        int total = 0, n = 0;
        for (int i = 0; i < queries.size(); i++) {
            int[] q = queries.get(i), r = responses.get(i), s = Arrays.copyOf(q, q.length + r.length);
            System.arraycopy(r, 0, s, q.length, r.length);
            sequences.add(s);
            total += s.length;
            n += r.length;
        }
        int[] rows = new int[n], labels = new int[total];
        Arrays.fill(labels, PackedBatch.IGNORE);
        int start = 0, k = 0;
        for (int i = 0; i < queries.size(); i++) {
            int p = queries.get(i).length;
            int[] r = responses.get(i);
            for (int t = 0; t < r.length; t++) {
                rows[k++] = start + p - 1 + t;
                labels[start + p - 1 + t] = r[t];
            }
            start += p + r.length;
        }
        return new ResponseBatch(PackedBatch.of(sequences), rows, labels);
    }

    /** The model's logits divided by the sampling temperature (T, V); the logits themselves at temperature 1. */
    public Tensor scaledLogits(CausalLM model, double temperature) {
        Tensor logits = model.logits(batch);
        return temperature == 1 ? logits : Elementwise.mulScalar(logits, (float) (1 / temperature));
    }

    /** The response tokens' log-probs (N) under logits already scaled by {@link #scaledLogits}. */
    public Tensor logprobs(Tensor scaledLogits) {
        return ShapeOps.indexSelect(LogProbs.tokenLogProbs(scaledLogits, labels, PackedBatch.IGNORE), 0, rows);
    }

    /** The response tokens' log-probs at the sampling temperature (N). */
    public Tensor logprobs(CausalLM model, double temperature) {
        return logprobs(scaledLogits(model, temperature));
    }

    /**
     * The entropy of the distribution at each response row (N): logsumexp(x) − Σ softmax(x)·x, from
     * detached logits (T, V), read in place (a (T, V) copy per micro-batch would cost more than the sums).
     */
    public float[] entropies(Tensor logits) {
        float[] x = logits.storage(), out = new float[rows.length];
        int v = logits.dim(1);
        for (int k = 0; k < rows.length; k++) {
            int base = logits.offset() + rows[k] * v;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, x[base + j]);
            double z = 0, dot = 0;
            for (int j = 0; j < v; j++) {
                double e = Math.exp(x[base + j] - max);
                z += e;
                dot += e * x[base + j];
            }
            out[k] = (float) (Math.log(z) + max - dot / z);
        }
        return out;
    }

    /** The mean of {@link #entropies}. */
    public double meanEntropy(Tensor logits) {
        double sum = 0;
        for (float e : entropies(logits)) sum += e;
        return sum / Math.max(1, rows.length);
    }
}
