package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.I;
import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.S;
import static dev.align4j.tensor.kernels.GemmMicroKernel.V;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels of {@link SkinnyGemm} for products of at most {@link #ROWS} rows (a decode step):
 * a {@code ROWS × NR} register tile over a packed B micro-panel, and row kernels that stream a
 * row-major B — float32, or BF16 widened in registers — in place, one whole row piece at a time,
 * into accumulators kept in L1.
 *
 * <p>Each element is summed exactly as {@link GemmMicroKernel#tile} sums it: from zero, one fused
 * multiply-add per {@code p} in order (a float stored to memory and loaded back is the same
 * float), so a row of C comes out bit-identical to the one the 12-row kernel computes. In the
 * tile, four rows make 8 independent accumulator chains; with fewer rows of C the spare ones
 * multiply the zero padding of the packed A panel, at no cost in time (one row alone is
 * latency-bound on its two chains anyway). The row kernels read four rows of B per pass and run
 * the four FMAs of an accumulator back to back, so an accumulator is loaded and stored once per
 * four rows of B.
 *
 * <p>Why the row kernels: reading B in place along its columns touched one 64-byte piece of a
 * different page per step and reached 40% of the read bandwidth (measured, GPT-2 shapes, m = 1);
 * reading whole row pieces (kilobytes per page) reached the bandwidth of a plain vector sum of B.
 *
 * <p>Deliberately not here: bounds checks (the caller checks the whole operand once), more than
 * {@link #ROWS} rows (the 12-row kernel does those).
 */
final class SkinnyKernels {
    private SkinnyKernels() {}

    /** Rows of C at most. */
    static final int ROWS = 4;

    /** Shorts filling a whole float vector: 2V BF16 values. */
    private static final VectorSpecies<Short> H2 = VectorSpecies.of(short.class, S.vectorShape());
    /** Lanes of {@code selectFrom(even, odd)} giving columns {@code 0 .. V} of a group, and columns {@code V .. 2V}. */
    private static final FloatVector ZIP_LOW = zip(0), ZIP_HIGH = zip(V / 2);

    private static FloatVector zip(int from) {
        float[] lanes = new float[V];
        for (int l = 0; l < V; l++) lanes[l] = (l % 2 == 0 ? 0 : V) + from + l / 2;
        return FloatVector.fromArray(S, lanes, 0);
    }

    /**
     * {@code C[0:rows, 0:cols] (+)= Σ_p A[p]ᵀ·B[p]} over {@code p < kc}, {@code rows ≤ ROWS}, where
     * {@code A[p]} is the first {@code ROWS} floats at {@code a[ai + p·MR]} (a packed A panel, zero
     * past its rows) and {@code B[p]} the {@code NR} floats at {@code b[bi + p·NR]} (a packed B
     * micro-panel) or, when {@code b} is null, the BF16 pairs of {@code pairs} that
     * {@link GemmMicroKernel#tilePairs} reads, widened as it widens them: the same sums. Adds to C
     * when {@code add}, else overwrites it; a tile cut by the edge of C goes through {@code edge}
     * ({@code ROWS·NR} floats at least), a whole one straight to C. One loop for both kinds of B:
     * the JIT compiles a copy of it for each (loop unswitching), as fast as two methods were.
     */
    static void tile(int kc, float[] a, int ai, float[] b, MemorySegment pairs, int bi,
                     float[] c, int ci, int ldc, int rows, int cols, boolean add, float[] edge) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ap = ai + p * MR;
            FloatVector b0, b1; // (V) B[p, 0:V] and B[p, V:2V]
            if (b != null) {
                b0 = FloatVector.fromArray(S, b, bi + p * NR);
                b1 = FloatVector.fromArray(S, b, bi + p * NR + V);
            } else {
                IntVector q = packed(pairs, bi + DecodePanels.slot(p, kc) * (NR / 2));
                b0 = low(q);
                b1 = high(q);
            }
            FloatVector x;
            x = FloatVector.broadcast(S, a[ap]);     c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ap + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ap + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ap + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        boolean full = rows == ROWS && cols == NR;
        float[] t = full ? c : edge; // the target: C itself, or the edge tile (ROWS, NR)
        int o = full ? ci : 0, ld = full ? ldc : NR;
        if (full && add) {
            c00 = c00.add(FloatVector.fromArray(S, t, o));          c01 = c01.add(FloatVector.fromArray(S, t, o + V));
            c10 = c10.add(FloatVector.fromArray(S, t, o + ld));     c11 = c11.add(FloatVector.fromArray(S, t, o + ld + V));
            c20 = c20.add(FloatVector.fromArray(S, t, o + 2 * ld)); c21 = c21.add(FloatVector.fromArray(S, t, o + 2 * ld + V));
            c30 = c30.add(FloatVector.fromArray(S, t, o + 3 * ld)); c31 = c31.add(FloatVector.fromArray(S, t, o + 3 * ld + V));
        }
        c00.intoArray(t, o);          c01.intoArray(t, o + V);
        c10.intoArray(t, o + ld);     c11.intoArray(t, o + ld + V);
        c20.intoArray(t, o + 2 * ld); c21.intoArray(t, o + 2 * ld + V);
        c30.intoArray(t, o + 3 * ld); c31.intoArray(t, o + 3 * ld + V);
        if (!full) GemmMicroKernel.store(c, ci, ldc, rows, cols, add, edge);
    }

    /**
     * {@code acc[ao + i·ldAcc + j] = Σ_p A[i, p]·b[bi + p·ldb + j]} from zero, for {@code i < m ≤ ROWS},
     * {@code j < w}, {@code p < kb}, where {@code A[i, p] = a[ai + p·MR + i]} (a packed A panel).
     */
    static void rows(float[] acc, int ao, int ldAcc, int m, int w, float[] a, int ai, float[] b, int bi, int ldb, int kb) {
        for (int i = 0; i < m; i++) Arrays.fill(acc, ao + i * ldAcc, ao + i * ldAcc + w, 0f);
        int bound = S.loopBound(w), p = 0;
        for (; p + 4 <= kb; p += 4) {
            int b0 = bi + p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb, ap = ai + p * MR;
            for (int i = 0; i < m; i++) {
                float y0 = a[ap + i], y1 = a[ap + MR + i], y2 = a[ap + 2 * MR + i], y3 = a[ap + 3 * MR + i];
                FloatVector x0 = FloatVector.broadcast(S, y0), x1 = FloatVector.broadcast(S, y1);
                FloatVector x2 = FloatVector.broadcast(S, y2), x3 = FloatVector.broadcast(S, y3);
                int row = ao + i * ldAcc, j = 0;
                for (; j < bound; j += V) {
                    FloatVector c = FloatVector.fromArray(S, acc, row + j);
                    c = x0.fma(FloatVector.fromArray(S, b, b0 + j), c);
                    c = x1.fma(FloatVector.fromArray(S, b, b1 + j), c);
                    c = x2.fma(FloatVector.fromArray(S, b, b2 + j), c);
                    c = x3.fma(FloatVector.fromArray(S, b, b3 + j), c);
                    c.intoArray(acc, row + j);
                }
                for (; j < w; j++) {
                    acc[row + j] = Math.fma(y3, b[b3 + j], Math.fma(y2, b[b2 + j], Math.fma(y1, b[b1 + j], Math.fma(y0, b[b0 + j], acc[row + j]))));
                }
            }
        }
        for (; p < kb; p++) {
            int b0 = bi + p * ldb, ap = ai + p * MR;
            for (int i = 0; i < m; i++) {
                float y0 = a[ap + i];
                FloatVector x0 = FloatVector.broadcast(S, y0);
                int row = ao + i * ldAcc, j = 0;
                for (; j < bound; j += V) {
                    x0.fma(FloatVector.fromArray(S, b, b0 + j), FloatVector.fromArray(S, acc, row + j)).intoArray(acc, row + j);
                }
                for (; j < w; j++) acc[row + j] = Math.fma(y0, b[b0 + j], acc[row + j]);
            }
        }
    }

    /**
     * {@link #rows} with B a little-endian BF16 segment (offsets and stride in elements), widened in
     * registers. A vector of {@code 2V} BF16 values is loaded as {@code V} 32-bit pairs: the low
     * halves (even columns) widen by a shift, the high halves (odd columns) by a mask, so the
     * accumulators of a {@code 2V}-column group hold its even columns, then its odd ones, until
     * {@link #interleave} puts them back in order (one load and two ALU operations per {@code 2V}
     * values instead of two loads, two conversions and two shifts: 10% faster streaming, measured).
     */
    static void rows(float[] acc, int ao, int ldAcc, int m, int w, float[] a, int ai, MemorySegment b, long bi, long ldb, int kb) {
        for (int i = 0; i < m; i++) Arrays.fill(acc, ao + i * ldAcc, ao + i * ldAcc + w, 0f);
        int bound = w / (2 * V) * (2 * V), p = 0;
        for (; p < kb; p++) {
            boolean four = p + 4 <= kb; // four rows of B at a time, then one at a time
            long b0 = 2 * (bi + p * ldb), ld = 2 * ldb; // in bytes
            int ap = ai + p * MR;
            for (int i = 0; i < m; i++) {
                float y0 = a[ap + i], y1 = four ? a[ap + MR + i] : 0, y2 = four ? a[ap + 2 * MR + i] : 0, y3 = four ? a[ap + 3 * MR + i] : 0;
                FloatVector x0 = FloatVector.broadcast(S, y0), x1 = FloatVector.broadcast(S, y1);
                FloatVector x2 = FloatVector.broadcast(S, y2), x3 = FloatVector.broadcast(S, y3);
                int row = ao + i * ldAcc, j = 0;
                if (four) {
                    for (; j < bound; j += 2 * V) {
                        FloatVector even = FloatVector.fromArray(S, acc, row + j), odd = FloatVector.fromArray(S, acc, row + j + V);
                        IntVector q = pairs(b, b0 + 2L * j);
                        even = x0.fma(low(q), even);
                        odd = x0.fma(high(q), odd);
                        q = pairs(b, b0 + ld + 2L * j);
                        even = x1.fma(low(q), even);
                        odd = x1.fma(high(q), odd);
                        q = pairs(b, b0 + 2 * ld + 2L * j);
                        even = x2.fma(low(q), even);
                        odd = x2.fma(high(q), odd);
                        q = pairs(b, b0 + 3 * ld + 2L * j);
                        even = x3.fma(low(q), even);
                        odd = x3.fma(high(q), odd);
                        even.intoArray(acc, row + j);
                        odd.intoArray(acc, row + j + V);
                    }
                    for (; j < w; j++) {
                        long e = bi + p * ldb + j;
                        acc[row + j] = Math.fma(y3, Bf16Kernels.widen(b, e + 3 * ldb), Math.fma(y2, Bf16Kernels.widen(b, e + 2 * ldb),
                                Math.fma(y1, Bf16Kernels.widen(b, e + ldb), Math.fma(y0, Bf16Kernels.widen(b, e), acc[row + j]))));
                    }
                } else {
                    for (; j < bound; j += 2 * V) {
                        IntVector q = pairs(b, b0 + 2L * j);
                        x0.fma(low(q), FloatVector.fromArray(S, acc, row + j)).intoArray(acc, row + j);
                        x0.fma(high(q), FloatVector.fromArray(S, acc, row + j + V)).intoArray(acc, row + j + V);
                    }
                    for (; j < w; j++) acc[row + j] = Math.fma(y0, Bf16Kernels.widen(b, bi + p * ldb + j), acc[row + j]);
                }
            }
            if (four) p += 3;
        }
        for (int i = 0; i < m; i++) interleave(acc, ao + i * ldAcc, bound);
    }

    /**
     * {@code C[0, j] (+)= Σ_p A[p]·B[p, j]} over the columns of packed BF16 panel {@code q} and, when
     * {@code two}, panel {@code q + 1} too — {@code cols} columns of C from {@code ci} — for one row
     * of A read in place ({@code A[p] = a[ai + p·da]}) and B the
     * pairs of {@link DecodePanels#lookup} for a depth-{@code k} matrix cut into blocks of
     * {@code kc}: each block summed from zero, one FMA per {@code p} in order, the first written to C
     * (added to it when {@code add}), the others added in block order, as {@link GemmMicroKernel#tilePairs} does — so a
     * batch-1 step equals the same row inside a batch, bit for bit. A column cut by the edge of C
     * goes through {@code edge} ({@code 2·NR} floats at least).
     *
     * <p>Why: a batch-1 step only streams B, and this reads it with five operations per 64 bytes
     * (a load, a shift, a mask, two FMAs) and nothing else, from the page-aligned runs the tiles read
     * — two panels at a time, so eight runs are in flight. {@link #rows} over the row-major BF16
     * weights also loads and stores its accumulators, reads half-row pieces and splits loads across
     * cache lines. GPT-2's 48 layer matrices at m = 1 (2 threads, 25 alternating rounds of a noisy
     * machine, median GB/s of B): {@link #rows} 24.9, this 34.2 through {@link Bf16Gemm}. Measured
     * and not kept: one panel at a time, 4 runs in flight (1.1× {@link #rows}); four, 16 runs
     * (1.1×); the same pairs from an int[] (heap arrays are not 64-byte aligned), 0.88× this.
     */
    static void rowPairs(int k, int kc, float[] a, int ai, int da, MemorySegment b, int q, boolean two,
                         float[] c, int ci, int cols, boolean add, float[] edge) {
        long next = two ? DecodePanels.at(1, 0, k) / 2 : 0; // the second panel, or the first again
        boolean whole = cols == (two ? 2 : 1) * NR;
        float[] t = whole ? c : edge; // the target: C itself, or the edge
        int o = whole ? ci : 0;
        if (!whole && add) System.arraycopy(c, ci, edge, 0, cols);
        for (int blk = 0, p0 = 0; p0 < k; blk++, p0 += kc) {
            blockPairs(Math.min(kc, k - p0), a, ai + p0 * da, da, b, DecodePanels.at(q, p0, k) / 2, next, t, o, two, add || blk > 0);
        }
        if (!whole) System.arraycopy(edge, 0, c, ci, cols);
    }

    /**
     * One block of {@link #rowPairs}: {@code t[o + j] (+)= Σ_p A[p]·B[p, j]} over the {@code kb} rows
     * of the block at int {@code at} (and the second panel's at {@code at + next}, stored only when
     * {@code two}), summed from zero, one FMA per {@code p} in order. A method of its own, so that
     * its vector operations fit the JIT's inlining budget: a larger body passed
     * {@code NodeCountInliningCutoff}, and the vectors not inlined were boxed (2.5× slower).
     */
    private static void blockPairs(int kb, float[] a, int ap, int da, MemorySegment b, long at, long next, float[] t, int o,
                                   boolean two, boolean add) {
        int half = NR / 2, stream = kb / DecodePanels.STREAMS * half; // ints in each run when they are even
        FloatVector e0 = FloatVector.zero(S), o0 = e0, e1 = e0, o1 = e0;
        if (kb % DecodePanels.STREAMS == 0) {
            for (int i = 0; i < stream; i += half, ap += DecodePanels.STREAMS * da) { // rows p = 4i + s, one from each run s
                long r = at + i;
                for (int s = 0; s < DecodePanels.STREAMS; s++) { // (r + s·stream with s·stream an int: 45% faster than a long product)
                    FloatVector x = FloatVector.broadcast(S, a[ap + s * da]);
                    IntVector v = packed(b, r + s * stream), w = packed(b, r + s * stream + next);
                    e0 = x.fma(low(v), e0); o0 = x.fma(high(v), o0);
                    e1 = x.fma(low(w), e1); o1 = x.fma(high(w), o1);
                }
            }
        } else {
            for (int p = 0; p < kb; p++, ap += da) { // uneven runs: each row where slot keeps it
                long r = at + (long) DecodePanels.slot(p, kb) * half;
                FloatVector x = FloatVector.broadcast(S, a[ap]);
                IntVector v = packed(b, r), w = packed(b, r + next);
                e0 = x.fma(low(v), e0); o0 = x.fma(high(v), o0);
                e1 = x.fma(low(w), e1); o1 = x.fma(high(w), o1);
            }
        }
        if (add) {
            e0 = e0.add(FloatVector.fromArray(S, t, o));
            o0 = o0.add(FloatVector.fromArray(S, t, o + V));
        }
        e0.intoArray(t, o);
        o0.intoArray(t, o + V);
        if (two) {
            if (add) {
                e1 = e1.add(FloatVector.fromArray(S, t, o + NR));
                o1 = o1.add(FloatVector.fromArray(S, t, o + NR + V));
            }
            e1.intoArray(t, o + NR);
            o1.intoArray(t, o + NR + V);
        }
    }

    /** {@code V} packed pairs from int {@code i} of {@code b} (in the platform's order, as {@link DecodePanels} writes them). */
    static IntVector packed(MemorySegment b, long i) {
        return IntVector.fromMemorySegment(I, b, Integer.BYTES * i, ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code 2V} BF16 values from byte {@code at}, as {@code V} pairs (the even column in the low half). */
    private static IntVector pairs(MemorySegment b, long at) {
        return ShortVector.fromMemorySegment(H2, b, at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
    }

    /** The even columns of pairs, widened. */
    static FloatVector low(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The odd columns of pairs, widened. */
    static FloatVector high(IntVector pairs) {
        return pairs.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
    }

    /** Each {@code 2V}-float group of {@code x[off .. off + n)}, its even columns then its odd ones, back in column order. */
    private static void interleave(float[] x, int off, int n) {
        for (int j = 0; j < n; j += 2 * V) {
            FloatVector even = FloatVector.fromArray(S, x, off + j), odd = FloatVector.fromArray(S, x, off + j + V);
            ZIP_LOW.selectFrom(even, odd).intoArray(x, off + j);
            ZIP_HIGH.selectFrom(even, odd).intoArray(x, off + j + V);
        }
    }

    /**
     * {@code c[ci + j] = (add ? c[ci + j] + s_0 : s_0) + s_1 + … + s_(blocks−1)}, added in that
     * order, where {@code s_b = sums[si + b·stride + j]}, for {@code j < n}: the blocks' sums of a
     * row of C, added to it as {@link GemmMicroKernel#tile} adds them.
     */
    static void addBlocks(float[] c, int ci, float[] sums, int si, int stride, int blocks, int n, boolean add) {
        int bound = S.loopBound(n), j = 0;
        for (; j < bound; j += V) {
            FloatVector x = FloatVector.fromArray(S, sums, si + j);
            if (add) x = FloatVector.fromArray(S, c, ci + j).add(x);
            for (int blk = 1; blk < blocks; blk++) x = x.add(FloatVector.fromArray(S, sums, si + blk * stride + j));
            x.intoArray(c, ci + j);
        }
        for (; j < n; j++) {
            float x = add ? c[ci + j] + sums[si + j] : sums[si + j];
            for (int blk = 1; blk < blocks; blk++) x += sums[si + blk * stride + j];
            c[ci + j] = x;
        }
    }
}
