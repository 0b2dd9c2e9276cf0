package dev.align4j.tensor.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused causal self-attention over a packed batch, forward and backward, never materialising a
 * {@code [T, T]} score or probability matrix.
 *
 * <p>What it is: the tiled algorithm of FlashAttention-2 on the CPU. Tokens are flat, {@code (T, ·)},
 * cut into segments by cumulative offsets (FlashAttention's {@code cu_seqlens}); token {@code i}
 * attends to {@code j} iff {@code j ≤ i} in the same segment, or {@code j} is in the segment's
 * shared prefix (an earlier segment it names, whose keys all its queries see: prefix sharing,
 * Wang et al. 2024, arXiv:2410.20305). Query head {@code h} reads kv head
 * {@code h / (H / Hkv)} (grouped-query attention). Layouts: {@code q, out, dq} (T, H, D);
 * {@code k, v, dk, dv} (T, Hkv, D); {@code lse} (T, H).
 * <ul>
 * <li>Forward, per (segment, head, block of {@link #BLOCK} queries): for each key block of the
 *     prefix, then of the segment up to the diagonal, {@code S = scale·Q·Kᵀ} (masked above the
 *     diagonal), the online softmax update
 *     {@code m' = max(m, rowmax S)}, {@code ℓ' = e^{m−m'}ℓ + Σ e^{S−m'}}, {@code O' = e^{m−m'}O + e^{S−m'}·V};
 *     at the end {@code O /= ℓ} and only the row statistic {@code lse = m + log ℓ} is saved. The
 *     tile is computed transposed, {@code Sᵀ = K·Qᵀ}, so each query is a vector lane: the row max
 *     and sum are lane-wise, with no horizontal reduction, and only the query tile is transposed.</li>
 * <li>Backward, per (family, kv head), a family being a segment and those that extend it, each
 *     segment in turn: {@code Dᵢ = dOᵢ·Oᵢ}; then for each key block of its prefix and its own, each
 *     query head of the group and each query block that sees the key block, the probabilities are
 *     recomputed from q, k and lse, {@code P = exp(S − lse)}, and
 *     {@code dV += Pᵀ·dO}, {@code dP = dO·Vᵀ}, {@code dS = P ⊙ (dP − D)}, {@code dQ += scale·dS·K},
 *     {@code dK += scale·dSᵀ·Q}.</li>
 * </ul>
 * Deterministic: a forward task writes only its own output rows; a backward task owns the dq rows
 * of its group's heads and the dk, dv rows of its kv head in its family's segments — a shared
 * prefix's receive the contributions of its own queries, then of each extension's, in segment order
 * — and adds into them in that fixed order, so no result depends on the thread count. The price:
 * backward parallelism is (families × kv heads), enough for packed batches, thin for one long
 * sequence with few kv heads.
 *
 * <p>What it is not: a decode kernel (one query against a KV cache), a dropout or ALiBi/sliding
 * window variant, or a general mask.
 *
 * <p>Based on: T. Dao, D. Y. Fu, S. Ermon, A. Rudra, C. Ré, "FlashAttention: Fast and
 * Memory-Efficient Exact Attention with IO-Awareness" (NeurIPS 2022), Algorithms 1–2 and the
 * recomputation of Section 3.1; T. Dao, "FlashAttention-2: Faster Attention with Better
 * Parallelism and Work Partitioning" (2023), Algorithms 1–2 (saving only the logsumexp, the
 * {@code D = rowsum(dO ⊙ O)} shortcut); the variable-length {@code cu_seqlens} interface of the
 * flash-attn library; F. Wang, S. Hegde, "Accelerating Direct Preference Optimization with Prefix
 * Sharing" (2024, arXiv:2410.20305) for the shared-prefix mask, which they build with
 * FlexAttention's block-sparse masks and here is two key ranges per query block.
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
     * are validated cumulative segment offsets ending at T, {@code prefixes} the validated prefix of
     * each segment (−1 for none); {@code nHead % nKvHead == 0}.
     */
    public static void causalForward(float[] out, float[] lse,
                                     float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                     int[] offsets, int[] prefixes, int nHead, int nKvHead, int headDim, float scale) {
        int[] blocks = queryBlocks(offsets, prefixes); // (prefix start, prefix end, segment start, block start, block end)
        int tasks = blocks.length / 5 * nHead;
        int group = nHead / nKvHead, d = headDim;
        Parallel.forRange(tasks, Parallel.grain(tasks, 4L * BLOCK * BLOCK * d), (t0, t1) -> {
            float[] qt = new float[d * BLOCK];     // (D, bq) the query tile, transposed
            float[] st = new float[BLOCK * BLOCK]; // (bk, bq) scores, transposed, then probabilities
            float[] o = new float[BLOCK * d];      // (bq, D) unnormalised output
            float[] m = new float[BLOCK], l = new float[BLOCK], corr = new float[BLOCK]; // (bq) max, sum, rescale
            for (int t = t0; t < t1; t++) {
                int b = t / nHead, h = t % nHead, g = h / group;
                int p0 = blocks[5 * b], p1 = blocks[5 * b + 1], s0 = blocks[5 * b + 2], i0 = blocks[5 * b + 3], i1 = blocks[5 * b + 4];
                int bq = i1 - i0, qs = nHead * d, ks = nKvHead * d;
                AttentionTiles.transpose(qt, bq, q, qOff + (i0 * nHead + h) * d, qs, bq, d);
                Arrays.fill(o, 0f);
                Arrays.fill(m, Float.NEGATIVE_INFINITY);
                Arrays.fill(l, 0f);
                for (int part = 0; part < 2; part++) { // the prefix's keys, all seen; then the segment's, up to the diagonal
                    int from = part == 0 ? p0 : s0, to = part == 0 ? p1 : i1;
                    for (int j0 = from; j0 < to; j0 += BLOCK) {
                        int bk = Math.min(j0 + BLOCK, to) - j0, kRow = (j0 * nKvHead + g) * d;
                        AttentionTiles.gemm(st, 0, bq, false, k, kOff + kRow, ks, 1, qt, 0, bq, bk, bq, d); // Sᵀ = K·Qᵀ
                        onlineSoftmax(st, bk, bq, part == 1 && j0 == i0, scale, m, l, corr);
                        for (int r = 0; r < bq; r++) if (corr[r] != 1f) AttentionTiles.scale(o, r * d, d, corr[r]);
                        AttentionTiles.gemm(o, 0, d, true, st, 0, 1, bq, v, vOff + kRow, ks, bq, d, bk);   // O += P·V
                    }
                }
                for (int r = 0; r < bq; r++) {
                    int row = (i0 + r) * nHead + h;
                    System.arraycopy(o, r * d, out, row * d, d);
                    AttentionTiles.scale(out, row * d, d, 1f / l[r]);
                    lse[row] = m[r] + (float) StrictMath.log(l[r]);
                }
            }
        });
    }

    /**
     * The online softmax step on a transposed score tile {@code st} (bk, bq): scales it, masks the
     * queries {@code i < j} of key {@code j} on a diagonal tile, and per query (a column, so a
     * lane): {@code m' = max(m, max_j S)}, {@code corr = e^{m − m'}}, {@code S ← e^{S − m'}},
     * {@code ℓ' = corr·ℓ + Σ_j e^{S − m'}} summed in key order.
     */
    private static void onlineSoftmax(float[] st, int bk, int bq, boolean diag, float scale, float[] m, float[] l,
                                      float[] corr) {
        for (int j = 0; j < bk; j++) {
            AttentionTiles.scale(st, j * bq, bq, scale);
            if (diag) Arrays.fill(st, j * bq, j * bq + j, Float.NEGATIVE_INFINITY);
        }
        int bound = S.loopBound(bq), i = 0;
        for (; i < bound; i += L) {
            FloatVector mOld = FloatVector.fromArray(S, m, i), mNew = mOld;
            for (int j = 0; j < bk; j++) mNew = mNew.max(FloatVector.fromArray(S, st, j * bq + i));
            FloatVector c = VectorMath.exp(mOld.sub(mNew)); // 0 on the first tile (m = −∞)
            FloatVector sum = FloatVector.fromArray(S, l, i).mul(c);
            for (int j = 0; j < bk; j++) {
                FloatVector p = VectorMath.exp(FloatVector.fromArray(S, st, j * bq + i).sub(mNew));
                p.intoArray(st, j * bq + i);
                sum = sum.add(p);
            }
            c.intoArray(corr, i);
            mNew.intoArray(m, i);
            sum.intoArray(l, i);
        }
        for (; i < bq; i++) {
            float mNew = m[i];
            for (int j = 0; j < bk; j++) mNew = Math.max(mNew, st[j * bq + i]);
            float c = VectorMath.exp(m[i] - mNew), sum = l[i] * c;
            for (int j = 0; j < bk; j++) {
                float p = VectorMath.exp(st[j * bq + i] - mNew);
                st[j * bq + i] = p;
                sum += p;
            }
            corr[i] = c;
            m[i] = mNew;
            l[i] = sum;
        }
    }

    /**
     * Backward: accumulates into {@code dq} (T, H, D), {@code dk} and {@code dv} (T, Hkv, D), each
     * from index 0 and skipped when null, given the upstream {@code dout}, the forward's {@code out}
     * and {@code lse} (all from index 0) and the forward's inputs, offsets and prefixes.
     */
    public static void causalBackward(float[] dq, float[] dk, float[] dv, float[] dout, float[] out, float[] lse,
                                      float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                      int[] offsets, int[] prefixes, int nHead, int nKvHead, int headDim, float scale) {
        int group = nHead / nKvHead, d = headDim;
        int qs = nHead * d, ks = nKvHead * d;
        int[][] families = families(prefixes);
        Parallel.forEach(families.length * nKvHead, t -> {
            int[] family = families[t / nKvHead];
            int g = t % nKvHead, longest = 0;
            for (int s : family) longest = Math.max(longest, offsets[s + 1] - offsets[s]);
            int tile = Math.min(BLOCK, longest);
            float[] dRow = new float[group * longest]; // (group, len) Dᵢ = dOᵢ·Oᵢ of the segment at hand
            float[] kt = new float[d * tile], vt = new float[d * tile]; // (D, bk) key and value tiles, transposed
            float[] p = new float[tile * tile];  // (bq, bk) probabilities
            float[] ds = new float[tile * tile]; // (bq, bk) dP, then scale·dS
            for (int s : family) { // the prefix's own attention first, then each segment extending it, in order
                int s0 = offsets[s], s1 = offsets[s + 1], len = s1 - s0, pre = prefixes[s];
                int p0 = pre < 0 ? 0 : offsets[pre], p1 = pre < 0 ? 0 : offsets[pre + 1];
                for (int hh = 0; hh < group; hh++) {
                    int h = g * group + hh;
                    for (int i = s0; i < s1; i++) {
                        dRow[hh * len + i - s0] = AttentionTiles.dot(dout, (i * nHead + h) * d, out, (i * nHead + h) * d, d);
                    }
                }
                for (int part = 0; part < 2; part++) { // the prefix's keys, seen by every query; then the segment's own
                    int from = part == 0 ? p0 : s0, to = part == 0 ? p1 : s1;
                    for (int j0 = from; j0 < to; j0 += BLOCK) {
                        int bk = Math.min(j0 + BLOCK, to) - j0, kRow = (j0 * nKvHead + g) * d;
                        AttentionTiles.transpose(kt, bk, k, kOff + kRow, ks, bk, d);
                        AttentionTiles.transpose(vt, bk, v, vOff + kRow, ks, bk, d);
                        for (int hh = 0; hh < group; hh++) {
                            int h = g * group + hh;
                            for (int i0 = part == 0 ? s0 : j0; i0 < s1; i0 += BLOCK) {
                                int bq = Math.min(i0 + BLOCK, s1) - i0, qRow = (i0 * nHead + h) * d;
                                boolean diag = part == 1 && i0 == j0;
                                AttentionTiles.gemm(p, 0, bk, false, q, qOff + qRow, qs, 1, kt, 0, bk, bq, bk, d);  // S
                                AttentionTiles.gemm(ds, 0, bk, false, dout, qRow, qs, 1, vt, 0, bk, bq, bk, d);     // dP
                                for (int r = 0; r < bq; r++) {
                                    int i = i0 + r;
                                    gradientRow(p, ds, r * bk, diag ? r + 1 : bk, bk, scale, lse[i * nHead + h], dRow[hh * len + i - s0]);
                                }
                                if (dv != null) AttentionTiles.gemm(dv, kRow, ks, true, p, 0, 1, bk, dout, qRow, qs, bk, d, bq);
                                if (dk != null) AttentionTiles.gemm(dk, kRow, ks, true, ds, 0, 1, bk, q, qOff + qRow, qs, bk, d, bq);
                                if (dq != null) AttentionTiles.gemm(dq, qRow, qs, true, ds, 0, bk, 1, k, kOff + kRow, ks, bq, d, bk);
                            }
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
            FloatVector pv = VectorMath.exp(FloatVector.fromArray(S, p, so + c).mul(scale).sub(lse));
            pv.intoArray(p, so + c);
            pv.mul(FloatVector.fromArray(S, ds, so + c).sub(dRow)).mul(scale).intoArray(ds, so + c);
        }
        for (; c < valid; c++) {
            float pv = VectorMath.exp(p[so + c] * scale - lse);
            p[so + c] = pv;
            ds[so + c] = pv * (ds[so + c] - dRow) * scale;
        }
        Arrays.fill(p, so + valid, so + bk, 0f);
        Arrays.fill(ds, so + valid, so + bk, 0f);
    }

    /**
     * The query blocks of every segment as (prefix start, prefix end, segment start, block start,
     * block end) quintuples; an empty prefix range where the segment has none.
     */
    private static int[] queryBlocks(int[] offsets, int[] prefixes) {
        int n = 0;
        for (int s = 0; s + 1 < offsets.length; s++) n += (offsets[s + 1] - offsets[s] + BLOCK - 1) / BLOCK;
        int[] blocks = new int[5 * n];
        int b = 0;
        for (int s = 0; s + 1 < offsets.length; s++) {
            int pre = prefixes[s];
            for (int i0 = offsets[s]; i0 < offsets[s + 1]; i0 += BLOCK) {
                blocks[b++] = pre < 0 ? 0 : offsets[pre];
                blocks[b++] = pre < 0 ? 0 : offsets[pre + 1];
                blocks[b++] = offsets[s];
                blocks[b++] = i0;
                blocks[b++] = Math.min(i0 + BLOCK, offsets[s + 1]);
            }
        }
        return blocks;
    }

    /**
     * The backward's units of work: each segment without a prefix, followed by the segments that
     * extend it in order. A family's rows of dk and dv receive every contribution they get (a
     * shared prefix's from each of its extensions), so one task per family and kv head writes them
     * alone, in a fixed order.
     */
    private static int[][] families(int[] prefixes) {
        int[] size = new int[prefixes.length];
        int roots = 0;
        for (int s = 0; s < prefixes.length; s++) {
            if (prefixes[s] < 0) roots++;
            size[prefixes[s] < 0 ? s : prefixes[s]]++;
        }
        int[][] families = new int[roots][];
        int[] index = new int[prefixes.length], filled = new int[roots];
        for (int s = 0, f = 0; s < prefixes.length; s++) {
            if (prefixes[s] < 0) {
                index[s] = f;
                families[f++] = new int[size[s]];
            }
            int root = prefixes[s] < 0 ? s : prefixes[s];
            families[index[root]][filled[index[root]]++] = s;
        }
        return families;
    }
}
