package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Embedding lookup (gather rows) and its backward (scatter-add rows), as llm.c's
 * {@code encoder_forward} / {@code encoder_backward} without the position table.
 *
 * <p>The backward adds every token's gradient row into its id's row. Repeated ids make this a
 * reduction, so it runs in parallel over <em>columns</em>, and within a column adds the tokens in
 * token order: each element of the result is the same sequence of float additions as a plain
 * sequential loop, whatever the thread count. What it is not: an id check — ids are validated once
 * by {@code dev.align4j.tensor.Embedding}; here they are trusted.
 */
public final class EmbeddingKernels {
    private EmbeddingKernels() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * {@code out[k] = table[ids[k]]}.
     *
     * @param out   (N, C) at offset 0
     * @param table (V, C) at {@code tableOff}
     * @param ids   (N)
     */
    public static void gather(float[] out, float[] table, int tableOff, int[] ids, int n, int c) {
        Parallel.forRange(n, Parallel.grain(n, c), (k0, k1) -> {
            for (int k = k0; k < k1; k++) System.arraycopy(table, tableOff + ids[k] * c, out, k * c, c);
        });
    }

    /**
     * {@code dtable[ids[k]] += dout[k]} for k = 0, 1, …, N−1 in that order.
     *
     * @param dtable (V, C) at offset 0
     * @param dout   (N, C) at offset 0
     * @param ids    (N)
     */
    public static void scatterAdd(float[] dtable, float[] dout, int[] ids, int n, int c) {
        int lanes = S.length();
        int grain = (Parallel.grain(c, n) + lanes - 1) / lanes * lanes;
        Parallel.forRange(c, grain, (j0, j1) -> {
            int bound = j0 + S.loopBound(j1 - j0);
            for (int k = 0; k < n; k++) {
                int d = ids[k] * c, g = k * c;
                int j = j0;
                for (; j < bound; j += lanes) {
                    FloatVector.fromArray(S, dtable, d + j).add(FloatVector.fromArray(S, dout, g + j)).intoArray(dtable, d + j);
                }
                for (; j < j1; j++) dtable[d + j] += dout[g + j];
            }
        });
    }
}
