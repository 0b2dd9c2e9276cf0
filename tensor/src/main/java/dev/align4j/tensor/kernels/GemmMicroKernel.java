package dev.align4j.tensor.kernels;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel of {@link Gemm}: one {@code MR × NR} tile of C from an A
 * micro-panel and a B micro-panel packed by {@link GemmPacking}; and, for the products of a decode
 * step ({@link SkinnyGemm}), the same tile over packed BF16 pairs ({@link #tilePairs}) and an 8-row
 * one for a last row panel of at most 8 rows ({@link #tile8}). Each tile size is its own method,
 * written out: the accumulators must stay in registers (see below).
 *
 * <p>The tile is {@code MR = 12} rows by {@code NR = 2} vectors ({@code 12 × 32} floats with
 * AVX-512). Its 24 accumulators live in vector registers for the whole {@code kc} loop; each step
 * loads one row of the B micro-panel (two vectors) and, for each of the 12 rows, broadcasts one
 * element of A and issues two fused multiply-adds: 24 FMAs for 14 loads, enough to keep both FMA
 * ports busy (Goto &amp; van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS
 * 34(3), 2008, section 4; the BLIS micro-kernel of Van Zee &amp; van de Geijn, ACM TOMS 41(3), 2015).
 * The JIT turns each broadcast into a {@code vbroadcastss} from memory and the loop carries no
 * bounds checks (checked in the disassembly).
 *
 * <p>Shapes measured alone (panels in L1/L2, one thread, AVX-512 at about 220 GFLOP/s peak):
 * 12×2 vectors 185-193 GFLOP/s, 14×2 169-190 (spills), 8×2 172-177, 10×2 177-180, 13×2 169-181,
 * 8×3 164-182, 6×4 153, 6×3 140, 4×4 125; unrolling the {@code p} loop by 2 or 4 was slower.
 *
 * <p>Deliberately not here: blocking, packing, threads (see {@link Gemm}). The tile is sized for
 * 32 vector registers; with 16 (AVX2) the JIT spills accumulators, still correct. The
 * accumulators must stay locals of this one method: a helper taking a vector that the JIT does
 * not inline boxes it and allocates on every call (seen: a store helper cut the speed by 5×).
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Ints of one float vector's width: BF16 pairs. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    static final int V = S.length();
    /** Rows of a tile. */
    static final int MR = 12;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * V;

    /**
     * {@code C[0:rows, 0:cols] (+)= Σ_p A[p]ᵀ·B[p]} over {@code p < kc}, where {@code A[p]} is the
     * {@code MR} floats at {@code a[ai + p·MR]} and {@code B[p]} the {@code NR} floats at
     * {@code b[bi + p·NR]}. Adds to C when {@code add}, else overwrites it. A tile cut by the edge
     * of C ({@code rows < MR} or {@code cols < NR}) is computed whole into {@code edge}
     * ({@code MR·NR} floats) and only its valid part is written to C.
     */
    static void tile(int kc, float[] a, int ai, float[] b, int bi,
                     float[] c, int ci, int ldc, int rows, int cols, boolean add, float[] edge) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector cA0 = FloatVector.zero(S), cA1 = FloatVector.zero(S); // rows 10 and 11: A and B
        FloatVector cB0 = FloatVector.zero(S), cB1 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ap = ai + p * MR, bp = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);     // (V) B[p, 0:V]
            FloatVector b1 = FloatVector.fromArray(S, b, bp + V); // (V) B[p, V:2V]
            FloatVector x;
            x = FloatVector.broadcast(S, a[ap]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ap + 1]);  c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ap + 2]);  c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ap + 3]);  c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ap + 4]);  c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ap + 5]);  c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ap + 6]);  c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ap + 7]);  c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, a[ap + 8]);  c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, a[ap + 9]);  c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, a[ap + 10]); cA0 = x.fma(b0, cA0); cA1 = x.fma(b1, cA1);
            x = FloatVector.broadcast(S, a[ap + 11]); cB0 = x.fma(b0, cB0); cB1 = x.fma(b1, cB1);
        }
        boolean full = rows == MR && cols == NR;
        float[] t = full ? c : edge; // the target: C itself, or the edge tile (MR, NR)
        int o = full ? ci : 0, ld = full ? ldc : NR;
        if (full && add) {
            c00 = c00.add(FloatVector.fromArray(S, t, o));               c01 = c01.add(FloatVector.fromArray(S, t, o + V));
            c10 = c10.add(FloatVector.fromArray(S, t, o + ld));          c11 = c11.add(FloatVector.fromArray(S, t, o + ld + V));
            c20 = c20.add(FloatVector.fromArray(S, t, o + 2 * ld));      c21 = c21.add(FloatVector.fromArray(S, t, o + 2 * ld + V));
            c30 = c30.add(FloatVector.fromArray(S, t, o + 3 * ld));      c31 = c31.add(FloatVector.fromArray(S, t, o + 3 * ld + V));
            c40 = c40.add(FloatVector.fromArray(S, t, o + 4 * ld));      c41 = c41.add(FloatVector.fromArray(S, t, o + 4 * ld + V));
            c50 = c50.add(FloatVector.fromArray(S, t, o + 5 * ld));      c51 = c51.add(FloatVector.fromArray(S, t, o + 5 * ld + V));
            c60 = c60.add(FloatVector.fromArray(S, t, o + 6 * ld));      c61 = c61.add(FloatVector.fromArray(S, t, o + 6 * ld + V));
            c70 = c70.add(FloatVector.fromArray(S, t, o + 7 * ld));      c71 = c71.add(FloatVector.fromArray(S, t, o + 7 * ld + V));
            c80 = c80.add(FloatVector.fromArray(S, t, o + 8 * ld));      c81 = c81.add(FloatVector.fromArray(S, t, o + 8 * ld + V));
            c90 = c90.add(FloatVector.fromArray(S, t, o + 9 * ld));      c91 = c91.add(FloatVector.fromArray(S, t, o + 9 * ld + V));
            cA0 = cA0.add(FloatVector.fromArray(S, t, o + 10 * ld));   cA1 = cA1.add(FloatVector.fromArray(S, t, o + 10 * ld + V));
            cB0 = cB0.add(FloatVector.fromArray(S, t, o + 11 * ld));   cB1 = cB1.add(FloatVector.fromArray(S, t, o + 11 * ld + V));
        }
        c00.intoArray(t, o);           c01.intoArray(t, o + V);
        c10.intoArray(t, o + ld);      c11.intoArray(t, o + ld + V);
        c20.intoArray(t, o + 2 * ld);  c21.intoArray(t, o + 2 * ld + V);
        c30.intoArray(t, o + 3 * ld);  c31.intoArray(t, o + 3 * ld + V);
        c40.intoArray(t, o + 4 * ld);  c41.intoArray(t, o + 4 * ld + V);
        c50.intoArray(t, o + 5 * ld);  c51.intoArray(t, o + 5 * ld + V);
        c60.intoArray(t, o + 6 * ld);  c61.intoArray(t, o + 6 * ld + V);
        c70.intoArray(t, o + 7 * ld);  c71.intoArray(t, o + 7 * ld + V);
        c80.intoArray(t, o + 8 * ld);  c81.intoArray(t, o + 8 * ld + V);
        c90.intoArray(t, o + 9 * ld);  c91.intoArray(t, o + 9 * ld + V);
        cA0.intoArray(t, o + 10 * ld); cA1.intoArray(t, o + 10 * ld + V);
        cB0.intoArray(t, o + 11 * ld); cB1.intoArray(t, o + 11 * ld + V);
        if (!full) store(c, ci, ldc, rows, cols, add, edge);
    }

    /**
     * {@link #tile} with B kept as BF16 pairs ({@link DecodePanels}): {@code B[p]} is the {@code NR}
     * values of the {@code NR/2} ints at {@code b[bi + s·NR/2]}, {@code s = DecodePanels.slot(p, kc)}
     * (the block's rows in a few streams), int {@code t} holding column {@code t} in its low half
     * and column {@code t + NR/2} in its high half, widened in registers (a shift and a mask) as
     * they are read. Exact, so C is bit-identical to {@link #tile} over the
     * same values widened in memory. Why: widening each block into a float32 scratch first, then
     * tiling it, cost a fifth of a batch-32 decode product with the weights in cache (a store
     * pass, and a scratch that pushes A out of L1; one thread, GPT-2's 768 × 768 at m = 32 in L2:
     * 127-132 GFLOP/s against 152-157 here); the two extra operations here take 2 of every 26
     * slots on the FMA ports. A whole tile is written to C directly, as {@link #tile} writes it:
     * passing every tile through {@code edge} and {@link #store} made GPT-2's batch-32 BF16 steps
     * 3-5% slower (medians of three runs each, alternating: 48.9-50.3 ms against 47.4-47.8).
     */
    static void tilePairs(int kc, float[] a, int ai, MemorySegment b, long bi,
                          float[] c, int ci, int ldc, int rows, int cols, boolean add, float[] edge) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector cA0 = FloatVector.zero(S), cA1 = FloatVector.zero(S);
        FloatVector cB0 = FloatVector.zero(S), cB1 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ap = ai + p * MR;
            IntVector pairs = SkinnyKernels.packed(b, bi + DecodePanels.slot(p, kc) * (NR / 2));
            FloatVector b0 = SkinnyKernels.low(pairs);  // (V) B[p, 0:V]
            FloatVector b1 = SkinnyKernels.high(pairs); // (V) B[p, V:2V]
            FloatVector x;
            x = FloatVector.broadcast(S, a[ap]);      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ap + 1]);  c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ap + 2]);  c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ap + 3]);  c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ap + 4]);  c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ap + 5]);  c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ap + 6]);  c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ap + 7]);  c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, a[ap + 8]);  c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, a[ap + 9]);  c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, a[ap + 10]); cA0 = x.fma(b0, cA0); cA1 = x.fma(b1, cA1);
            x = FloatVector.broadcast(S, a[ap + 11]); cB0 = x.fma(b0, cB0); cB1 = x.fma(b1, cB1);
        }
        boolean full = rows == MR && cols == NR;
        float[] t = full ? c : edge; // the target: C itself, or the edge tile (MR, NR)
        int o = full ? ci : 0, ld = full ? ldc : NR;
        if (full && add) {
            c00 = c00.add(FloatVector.fromArray(S, t, o));               c01 = c01.add(FloatVector.fromArray(S, t, o + V));
            c10 = c10.add(FloatVector.fromArray(S, t, o + ld));          c11 = c11.add(FloatVector.fromArray(S, t, o + ld + V));
            c20 = c20.add(FloatVector.fromArray(S, t, o + 2 * ld));      c21 = c21.add(FloatVector.fromArray(S, t, o + 2 * ld + V));
            c30 = c30.add(FloatVector.fromArray(S, t, o + 3 * ld));      c31 = c31.add(FloatVector.fromArray(S, t, o + 3 * ld + V));
            c40 = c40.add(FloatVector.fromArray(S, t, o + 4 * ld));      c41 = c41.add(FloatVector.fromArray(S, t, o + 4 * ld + V));
            c50 = c50.add(FloatVector.fromArray(S, t, o + 5 * ld));      c51 = c51.add(FloatVector.fromArray(S, t, o + 5 * ld + V));
            c60 = c60.add(FloatVector.fromArray(S, t, o + 6 * ld));      c61 = c61.add(FloatVector.fromArray(S, t, o + 6 * ld + V));
            c70 = c70.add(FloatVector.fromArray(S, t, o + 7 * ld));      c71 = c71.add(FloatVector.fromArray(S, t, o + 7 * ld + V));
            c80 = c80.add(FloatVector.fromArray(S, t, o + 8 * ld));      c81 = c81.add(FloatVector.fromArray(S, t, o + 8 * ld + V));
            c90 = c90.add(FloatVector.fromArray(S, t, o + 9 * ld));      c91 = c91.add(FloatVector.fromArray(S, t, o + 9 * ld + V));
            cA0 = cA0.add(FloatVector.fromArray(S, t, o + 10 * ld));   cA1 = cA1.add(FloatVector.fromArray(S, t, o + 10 * ld + V));
            cB0 = cB0.add(FloatVector.fromArray(S, t, o + 11 * ld));   cB1 = cB1.add(FloatVector.fromArray(S, t, o + 11 * ld + V));
        }
        c00.intoArray(t, o);           c01.intoArray(t, o + V);
        c10.intoArray(t, o + ld);      c11.intoArray(t, o + ld + V);
        c20.intoArray(t, o + 2 * ld);  c21.intoArray(t, o + 2 * ld + V);
        c30.intoArray(t, o + 3 * ld);  c31.intoArray(t, o + 3 * ld + V);
        c40.intoArray(t, o + 4 * ld);  c41.intoArray(t, o + 4 * ld + V);
        c50.intoArray(t, o + 5 * ld);  c51.intoArray(t, o + 5 * ld + V);
        c60.intoArray(t, o + 6 * ld);  c61.intoArray(t, o + 6 * ld + V);
        c70.intoArray(t, o + 7 * ld);  c71.intoArray(t, o + 7 * ld + V);
        c80.intoArray(t, o + 8 * ld);  c81.intoArray(t, o + 8 * ld + V);
        c90.intoArray(t, o + 9 * ld);  c91.intoArray(t, o + 9 * ld + V);
        cA0.intoArray(t, o + 10 * ld); cA1.intoArray(t, o + 10 * ld + V);
        cB0.intoArray(t, o + 11 * ld); cB1.intoArray(t, o + 11 * ld + V);
        if (!full) store(c, ci, ldc, rows, cols, add, edge);
    }

    /** Rows of the short tile ({@link #tile8}). */
    static final int MR8 = 8;

    /**
     * {@link #tile} for a row panel of at most {@link #MR8} rows — the last one of a batched decode
     * step's product (32 = 12 + 12 + 8): {@code A[p]} is the first 8 of the {@code MR} floats at
     * {@code a[ai + p·MR]} (zero past the panel's rows), {@code B[p]} the {@code NR} floats at
     * {@code b[bi + p·NR]} or, when {@code b} is null, the BF16 pairs of {@code pairs} that
     * {@link #tilePairs} reads, widened as it widens them. Each C element is one FMA chain in order
     * of {@code p}, as in the 12-row tile, so the sums are the same. One loop for both kinds of B
     * (the JIT unswitches it, as in {@link SkinnyKernels#tile}). Why: two 4-row tiles read the block
     * twice with 8 FMAs per load of B where this has 16; GPT-2's 48 layer matrices at m = 32 from
     * packed BF16, streamed from memory (2 threads, rounds alternating in one run): 1.13-1.19× the
     * two 4-row tiles (medians of 15-31 rounds; 202-235 → 243-265 GFLOP/s); whole GPT-2 124M
     * batch-32 decode steps, alternating in one run: BF16 1.03-1.05× (45.5 → 43.8 ms), float32 1.03×.
     */
    static void tile8(int kc, float[] a, int ai, float[] b, MemorySegment pairs, int bi,
                      float[] c, int ci, int ldc, int rows, int cols, boolean add, float[] edge) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ap = ai + p * MR;
            FloatVector b0, b1; // (V) B[p, 0:V] and B[p, V:2V]
            if (b != null) {
                b0 = FloatVector.fromArray(S, b, bi + p * NR);
                b1 = FloatVector.fromArray(S, b, bi + p * NR + V);
            } else {
                IntVector q = SkinnyKernels.packed(pairs, bi + DecodePanels.slot(p, kc) * (NR / 2));
                b0 = SkinnyKernels.low(q);
                b1 = SkinnyKernels.high(q);
            }
            FloatVector x;
            x = FloatVector.broadcast(S, a[ap]);     c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ap + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ap + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ap + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ap + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ap + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ap + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ap + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        boolean full = rows == MR8 && cols == NR;
        float[] t = full ? c : edge; // the target: C itself, or the edge tile (MR8, NR)
        int o = full ? ci : 0, ld = full ? ldc : NR;
        if (full && add) {
            c00 = c00.add(FloatVector.fromArray(S, t, o));          c01 = c01.add(FloatVector.fromArray(S, t, o + V));
            c10 = c10.add(FloatVector.fromArray(S, t, o + ld));     c11 = c11.add(FloatVector.fromArray(S, t, o + ld + V));
            c20 = c20.add(FloatVector.fromArray(S, t, o + 2 * ld)); c21 = c21.add(FloatVector.fromArray(S, t, o + 2 * ld + V));
            c30 = c30.add(FloatVector.fromArray(S, t, o + 3 * ld)); c31 = c31.add(FloatVector.fromArray(S, t, o + 3 * ld + V));
            c40 = c40.add(FloatVector.fromArray(S, t, o + 4 * ld)); c41 = c41.add(FloatVector.fromArray(S, t, o + 4 * ld + V));
            c50 = c50.add(FloatVector.fromArray(S, t, o + 5 * ld)); c51 = c51.add(FloatVector.fromArray(S, t, o + 5 * ld + V));
            c60 = c60.add(FloatVector.fromArray(S, t, o + 6 * ld)); c61 = c61.add(FloatVector.fromArray(S, t, o + 6 * ld + V));
            c70 = c70.add(FloatVector.fromArray(S, t, o + 7 * ld)); c71 = c71.add(FloatVector.fromArray(S, t, o + 7 * ld + V));
        }
        c00.intoArray(t, o);          c01.intoArray(t, o + V);
        c10.intoArray(t, o + ld);     c11.intoArray(t, o + ld + V);
        c20.intoArray(t, o + 2 * ld); c21.intoArray(t, o + 2 * ld + V);
        c30.intoArray(t, o + 3 * ld); c31.intoArray(t, o + 3 * ld + V);
        c40.intoArray(t, o + 4 * ld); c41.intoArray(t, o + 4 * ld + V);
        c50.intoArray(t, o + 5 * ld); c51.intoArray(t, o + 5 * ld + V);
        c60.intoArray(t, o + 6 * ld); c61.intoArray(t, o + 6 * ld + V);
        c70.intoArray(t, o + 7 * ld); c71.intoArray(t, o + 7 * ld + V);
        if (!full) store(c, ci, ldc, rows, cols, add, edge);
    }

    /**
     * {@code C[i, j] = (add ? C[i, j] : 0) + edge[i·NR + j]} for {@code i < rows}, {@code j < cols}:
     * a tile held in {@code edge} ({@code rows × NR}), written to its valid part of C — whole
     * vectors when no column is cut.
     */
    static void store(float[] c, int ci, int ldc, int rows, int cols, boolean add, float[] edge) {
        for (int i = 0; i < rows; i++) {
            int src = i * NR, dst = ci + i * ldc, j = 0;
            if (cols == NR) {
                for (; j < NR; j += V) {
                    FloatVector x = FloatVector.fromArray(S, edge, src + j);
                    (add ? FloatVector.fromArray(S, c, dst + j).add(x) : x).intoArray(c, dst + j);
                }
            }
            for (; j < cols; j++) {
                c[dst + j] = add ? c[dst + j] + edge[src + j] : edge[src + j];
            }
        }
    }
}
