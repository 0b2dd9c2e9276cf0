package dev.align4j.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused causal self-attention over a packed batch, forward and backward, never materialising a
 * {@code [T, T]} score or probability matrix.
 *
 * <p>What it is: the tiled algorithm of FlashAttention-2 on the CPU. Tokens are flat, {@code (T, ·)},
 * cut into segments by cumulative offsets (FlashAttention's {@code cu_seqlens}); token {@code i}
 * attends to {@code j} iff {@code j ≤ i} in the same segment. Query head {@code h} reads kv head
 * {@code h / (H / Hkv)} (grouped-query attention). Layouts: {@code q, out, dq} (T, H, D);
 * {@code k, v, dk, dv} (T, Hkv, D); {@code lse} (T, H).
 * <ul>
 * <li>Forward, per (segment, head, block of {@link #BLOCK} queries): for each key block up to the
 *     diagonal, {@code S = scale·Q·Kᵀ} (masked above the diagonal), the online softmax update
 *     {@code m' = max(m, rowmax S)}, {@code ℓ' = e^{m−m'}ℓ + Σ e^{S−m'}}, {@code O' = e^{m−m'}O + e^{S−m'}·V};
 *     at the end {@code O /= ℓ} and only the row statistic {@code lse = m + log ℓ} is saved.</li>
 * <li>Backward, per (segment, kv head): {@code Dᵢ = dOᵢ·Oᵢ}; then for each key block, each query
 *     head of the group and each query block at or below the diagonal, the probabilities are
 *     recomputed from q, k and lse, {@code P = exp(S − lse)}, and
 *     {@code dV += Pᵀ·dO}, {@code dP = dO·Vᵀ}, {@code dS = P ⊙ (dP − D)}, {@code dQ += scale·dS·K},
 *     {@code dK += scale·dSᵀ·Q}.</li>
 * </ul>
 * Deterministic: a forward task writes only its own output rows; a backward task owns the dq rows
 * of its group's heads and the dk, dv rows of its kv head in its segment, and adds into them in a
 * fixed order, so no result depends on the thread count. The price: backward parallelism is
 * (segments × kv heads), enough for packed batches, thin for one long sequence with few kv heads.
 *
 * <p>What it is not: a decode kernel (one query against a KV cache), a dropout or ALiBi/sliding
 * window variant, or a general mask.
 *
 * <p>Based on: T. Dao, D. Y. Fu, S. Ermon, A. Rudra, C. Ré, "FlashAttention: Fast and
 * Memory-Efficient Exact Attention with IO-Awareness" (NeurIPS 2022), Algorithms 1–2 and the
 * recomputation of Section 3.1; T. Dao, "FlashAttention-2: Faster Attention with Better
 * Parallelism and Work Partitioning" (2023), Algorithms 1–2 (saving only the logsumexp, the
 * {@code D = rowsum(dO ⊙ O)} shortcut); and the variable-length {@code cu_seqlens} interface of
 * the flash-attn library.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** Queries and keys per tile. */
    public static final int BLOCK = 64;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /**
     * Forward: writes {@code out} (T, H, D) and {@code lse} (T, H), both from index 0, from
     * {@code q} (T, H, D), {@code k} and {@code v} (T, Hkv, D) at their offsets. {@code offsets}
     * are validated cumulative segment offsets ending at T; {@code nHead % nKvHead == 0}.
     */
    public static void causalForward(float[] out, float[] lse,
                                     float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                     int[] offsets, int nHead, int nKvHead, int headDim, float scale) {
        int[] blocks = queryBlocks(offsets); // (segment start, block start, block end) triples
        int tasks = blocks.length / 3 * nHead;
        int group = nHead / nKvHead, d = headDim;
        Parallel.forRange(tasks, Parallel.grain(tasks, 4L * BLOCK * BLOCK * d), (t0, t1) -> {
            float[] kt = new float[d * BLOCK];      // (D, bk) a key tile, transposed
            float[] s = new float[BLOCK * BLOCK];   // (bq, bk) scores, then probabilities
            float[] o = new float[BLOCK * d];       // (bq, D) unnormalised output
            float[] m = new float[BLOCK];           // (bq) running row max
            float[] lv = new float[BLOCK * L];      // (bq, lanes) running row sum, lane-wise
            float[] lt = new float[BLOCK];          // (bq) running row sum of the scalar tails
            for (int t = t0; t < t1; t++) {
                int b = t / nHead, h = t % nHead, g = h / group;
                int s0 = blocks[3 * b], i0 = blocks[3 * b + 1], i1 = blocks[3 * b + 2], bq = i1 - i0;
                int qs = nHead * d, ks = nKvHead * d;
                Arrays.fill(o, 0f);
                Arrays.fill(m, Float.NEGATIVE_INFINITY);
                Arrays.fill(lv, 0f);
                Arrays.fill(lt, 0f);
                for (int j0 = s0; j0 < i1; j0 += BLOCK) {
                    int bk = Math.min(j0 + BLOCK, i1) - j0;
                    boolean diag = j0 == i0;
                    AttentionTiles.transpose(kt, bk, k, kOff + (j0 * nKvHead + g) * d, ks, bk, d);
                    AttentionTiles.gemm(s, 0, bk, false, q, qOff + (i0 * nHead + h) * d, qs, 1, kt, 0, bk, bq, bk, d);
                    for (int r = 0; r < bq; r++) onlineSoftmaxRow(s, r * bk, diag ? r + 1 : bk, bk, scale, m, lv, lt, o, r, d);
                    AttentionTiles.gemm(o, 0, d, true, s, 0, bk, 1, v, vOff + (j0 * nKvHead + g) * d, ks, bq, d, bk);
                }
                for (int r = 0; r < bq; r++) {
                    float l = SoftmaxKernels.sumLanes(FloatVector.fromArray(S, lv, r * L)) + lt[r];
                    int row = (i0 + r) * nHead + h;
                    System.arraycopy(o, r * d, out, row * d, d);
                    AttentionTiles.scale(out, row * d, d, 1f / l);
                    lse[row] = m[r] + (float) StrictMath.log(l);
                }
            }
        });
    }

    /**
     * One row of a score tile at {@code s[so .. so + bk)}, of which the first {@code valid} are
     * unmasked: scales them, turns them into {@code e^{S − m'}} (masked entries into 0), and
     * rescales the row's running sum and output by {@code e^{m − m'}}.
     */
    private static void onlineSoftmaxRow(float[] s, int so, int valid, int bk, float scale,
                                         float[] m, float[] lv, float[] lt, float[] o, int r, int d) {
        AttentionTiles.scale(s, so, valid, scale);
        Arrays.fill(s, so + valid, so + bk, Float.NEGATIVE_INFINITY);
        int bound = S.loopBound(bk), c = 0;
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; c < bound; c += L) vmax = vmax.max(FloatVector.fromArray(S, s, so + c));
        float rowMax = vmax.reduceLanes(VectorOperators.MAX); // exact in any order
        for (; c < bk; c++) rowMax = Math.max(rowMax, s[so + c]);

        float mNew = Math.max(m[r], rowMax); // finite: column 0 of a row is never masked
        float corr = SoftmaxKernels.exp(m[r] - mNew); // 0 on the first tile (m = −∞)
        m[r] = mNew;
        FloatVector acc = FloatVector.fromArray(S, lv, r * L).mul(corr);
        for (c = 0; c < bound; c += L) {
            FloatVector p = SoftmaxKernels.exp(FloatVector.fromArray(S, s, so + c).sub(mNew));
            p.intoArray(s, so + c);
            acc = acc.add(p);
        }
        acc.intoArray(lv, r * L);
        float tail = lt[r] * corr;
        for (; c < bk; c++) {
            float p = SoftmaxKernels.exp(s[so + c] - mNew);
            s[so + c] = p;
            tail += p;
        }
        lt[r] = tail;
        if (corr != 1f) AttentionTiles.scale(o, r * d, d, corr);
    }

    /**
     * Backward: accumulates into {@code dq} (T, H, D), {@code dk} and {@code dv} (T, Hkv, D), each
     * from index 0 and skipped when null, given the upstream {@code dout}, the forward's {@code out}
     * and {@code lse} (all from index 0) and the forward's inputs at their offsets.
     */
    public static void causalBackward(float[] dq, float[] dk, float[] dv, float[] dout, float[] out, float[] lse,
                                      float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                      int[] offsets, int nHead, int nKvHead, int headDim, float scale) {
        int segments = offsets.length - 1, group = nHead / nKvHead, d = headDim;
        int qs = nHead * d, ks = nKvHead * d;
        Parallel.forRange(segments * nKvHead, 1, (t0, t1) -> {
            float[] kt = new float[d * BLOCK], vt = new float[d * BLOCK]; // (D, bk) key and value tiles, transposed
            float[] p = new float[BLOCK * BLOCK];  // (bq, bk) probabilities
            float[] ds = new float[BLOCK * BLOCK]; // (bq, bk) dP, then scale·dS
            for (int t = t0; t < t1; t++) {
                int s0 = offsets[t / nKvHead], s1 = offsets[t / nKvHead + 1], g = t % nKvHead, len = s1 - s0;
                float[] dRow = new float[group * len]; // (group, len) Dᵢ = dOᵢ·Oᵢ
                for (int hh = 0; hh < group; hh++) {
                    int h = g * group + hh;
                    for (int i = s0; i < s1; i++) {
                        dRow[hh * len + i - s0] = AttentionTiles.dot(dout, (i * nHead + h) * d, out, (i * nHead + h) * d, d);
                    }
                }
                for (int j0 = s0; j0 < s1; j0 += BLOCK) {
                    int bk = Math.min(j0 + BLOCK, s1) - j0, kRow = (j0 * nKvHead + g) * d;
                    AttentionTiles.transpose(kt, bk, k, kOff + kRow, ks, bk, d);
                    AttentionTiles.transpose(vt, bk, v, vOff + kRow, ks, bk, d);
                    for (int hh = 0; hh < group; hh++) {
                        int h = g * group + hh;
                        for (int i0 = j0; i0 < s1; i0 += BLOCK) {
                            int bq = Math.min(i0 + BLOCK, s1) - i0, qRow = (i0 * nHead + h) * d;
                            AttentionTiles.gemm(p, 0, bk, false, q, qOff + qRow, qs, 1, kt, 0, bk, bq, bk, d);  // S
                            AttentionTiles.gemm(ds, 0, bk, false, dout, qRow, qs, 1, vt, 0, bk, bq, bk, d);     // dP
                            for (int r = 0; r < bq; r++) {
                                int i = i0 + r;
                                gradientRow(p, ds, r * bk, i0 == j0 ? r + 1 : bk, bk, scale,
                                        lse[i * nHead + h], dRow[hh * len + i - s0]);
                            }
                            if (dv != null) AttentionTiles.gemm(dv, kRow, ks, true, p, 0, 1, bk, dout, qRow, qs, bk, d, bq);
                            if (dk != null) AttentionTiles.gemm(dk, kRow, ks, true, ds, 0, 1, bk, q, qOff + qRow, qs, bk, d, bq);
                            if (dq != null) AttentionTiles.gemm(dq, qRow, qs, true, ds, 0, bk, 1, k, kOff + kRow, ks, bq, d, bk);
                        }
                    }
                }
            }
        });
    }

    /**
     * One row of a tile: {@code p = exp(scale·S − lse)} and {@code ds = scale·p·(dP − D)} over the
     * first {@code valid} entries, zero over the masked rest.
     */
    private static void gradientRow(float[] p, float[] ds, int so, int valid, int bk, float scale, float lse, float dRow) {
        int bound = S.loopBound(valid), c = 0;
        for (; c < bound; c += L) {
            FloatVector pv = SoftmaxKernels.exp(FloatVector.fromArray(S, p, so + c).mul(scale).sub(lse));
            pv.intoArray(p, so + c);
            pv.mul(FloatVector.fromArray(S, ds, so + c).sub(dRow)).mul(scale).intoArray(ds, so + c);
        }
        for (; c < valid; c++) {
            float pv = SoftmaxKernels.exp(p[so + c] * scale - lse);
            p[so + c] = pv;
            ds[so + c] = pv * (ds[so + c] - dRow) * scale;
        }
        Arrays.fill(p, so + valid, so + bk, 0f);
        Arrays.fill(ds, so + valid, so + bk, 0f);
    }

    /** The query blocks of every segment as (segment start, block start, block end) triples. */
    private static int[] queryBlocks(int[] offsets) {
        int n = 0;
        for (int s = 0; s + 1 < offsets.length; s++) n += (offsets[s + 1] - offsets[s] + BLOCK - 1) / BLOCK;
        int[] blocks = new int[3 * n];
        int b = 0;
        for (int s = 0; s + 1 < offsets.length; s++) {
            for (int i0 = offsets[s]; i0 < offsets[s + 1]; i0 += BLOCK) {
                blocks[b++] = offsets[s];
                blocks[b++] = i0;
                blocks[b++] = Math.min(i0 + BLOCK, offsets[s + 1]);
            }
        }
        return blocks;
    }
}
