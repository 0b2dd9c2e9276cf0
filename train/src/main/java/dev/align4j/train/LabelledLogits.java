package dev.align4j.train;

import dev.align4j.data.Batch;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;

/**
 * The sums behind TRL 1.x's {@code logits/chosen} and {@code logits/rejected} (the DPO and KTO
 * trainers log them): over the rows that predict a completion token (labelled rows) of the chosen
 * sequences, and of the rejected ones, the vocabulary-mean logit summed, and the rows counted.
 *
 * @param chosenSum    the chosen sequences' labelled rows' mean logits, summed
 * @param rejectedSum  the rejected sequences'
 * @param chosenRows   the chosen sequences' labelled rows
 * @param rejectedRows the rejected sequences'
 */
public record LabelledLogits(double chosenSum, double rejectedSum, long chosenRows, long rejectedRows) {

    /** Over the batch's segments {@code sequences[i]}, chosen where {@code chosen[i]}, from the (T, V) logits. */
    public static LabelledLogits of(Batch b, Tensor logits, int[] sequences, boolean[] chosen) {
        var segments = b.packed().segments();
        float[] rowMeans = Reductions.mean(logits.detach(), 1, false).toArray(); // (T)
        int[] labels = b.labels();
        double[] sum = new double[2];
        long[] count = new long[2];
        for (int i = 0; i < sequences.length; i++) {
            int side = chosen[i] ? 0 : 1;
            for (int t = segments.start(sequences[i]); t < segments.end(sequences[i]); t++) {
                if (labels[t] == PackedBatch.IGNORE) continue;
                sum[side] += rowMeans[t];
                count[side]++;
            }
        }
        return new LabelledLogits(sum[0], sum[1], count[0], count[1]);
    }
}
