package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Weights kept packed for the products of a decode step: for each frozen matrix — a float32 array
 * or a BF16 segment — that a product of more than {@link SkinnyKernels#ROWS} rows and at most
 * {@link SkinnyGemm#MAX_M} (or, BF16, of a single row) multiplies while these panels are open ({@link #open}),
 * {@code op(B)} packed once, the first time, in the micro-panels {@link GemmMicroKernel#tile} reads
 * ({@code NR} columns by one block of depth, panel after panel, block after block:
 * {@link GemmPacking#packB}'s layout), then read in place by every later step instead of packed
 * again.
 *
 * <p>Why: at batch 32 a decode step is bound by packing B, not by the tiles — packing reads the
 * weights strided, at about half the rate a contiguous stream reaches, and does not overlap with
 * the arithmetic. Streamed from a packed copy, GPT-2 124M's batch-32 step (12 layers and the tied
 * head, 2 threads, same run) went from 90-100 ms to 75-80. The products are bit-identical: the same
 * tile, the same block boundaries ({@link Gemm#blockDepth}), the blocks added in the same order.
 *
 * <p>BF16 weights stay BF16: a packed row of {@code NR} values is kept as {@code NR/2} ints, int
 * {@code t} holding column {@code t} in its low half and column {@code t + NR/2} in its high half,
 * and the tiles widen them in registers as they read them ({@link GemmMicroKernel#tilePairs}: one
 * load, a shift and a mask per {@code NR} values); a block's rows are dealt into {@link #STREAMS}
 * runs, so that the tiles read several pages at once ({@link #slot}), in a page-aligned segment
 * outside the heap (each run one page; no load split across cache lines; nothing for the
 * collector to copy). Widening is exact, so the
 * products equal those of the same weights in float32. GPT-2 124M's 48 layer matrices at m = 32
 * (2 threads, same run, alternating): BF16 packed in every call 64-70 ms, from packed BF16 30-33
 * ms, from packed float32 40-44 ms (twice the bytes to stream). Widening each block into a float32 scratch before the
 * tiles, as this first did, ran GPT-2's layer products at 195-205 GFLOP/s with the weights in the
 * last-level cache and 127-132 with one thread in L2; widened in the tiles, 230-247 and 152-157.
 * Streamed from memory both run at 150-165: there the step waits on the weights, not the tiles.
 *
 * <p>A batch-1 step reads the BF16 pairs too, two panels at a time ({@link SkinnyKernels#rowPairs}):
 * GPT-2 124M's frozen BF16 decode at batch 1 went from 85 to 113 tok/s (bench generate, medians of
 * 5 rounds in separate runs of a noisy machine; its 48 layer matrices alone, same run, 25 → 43
 * GB/s of weights read). Float32 batch-1 steps stay on the row-major weights: float32 panels read
 * no faster there (measured).
 *
 * <p>What it costs: a second copy of every packed matrix while the panels live (GPT-2 124M: 497 MB
 * float32, 248 MB BF16), up to a budget the owner sets; the matrices first used past it are packed
 * in every call, so a model too big to copy whole still generates, only its batched steps slower.
 * The BF16 copies live outside the heap (not bounded by {@code -Xmx}) and are freed once the panels
 * are unreachable and the collector has run: an owner makes one set per model and keeps it (the
 * generation engine, one per generator), not one per call. Whose weights: only arrays and segments named when the panels were made,
 * which the owner promises not to change while they live — the generation engine names the
 * parameters that take no gradient (a frozen model, or the base under LoRA adapters), never the
 * ones being trained. What it is not: for float32 products of a few rows or BF16 ones of two to
 * four (they stream B in place), 4-bit weights, or big products ({@link Gemm} packs per block).
 */
public final class DecodePanels {
    private static final ThreadLocal<DecodePanels> OPEN = new ThreadLocal<>();
    /** Bytes of a page: the alignment of packed BF16 copies, so that each run of {@link #STREAMS} is one page. */
    private static final long PAGE = 4096;
    /** Elements a Java array can hold, with the JVM's header margin. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Set<Object> frozen = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Object, Object> packed = new IdentityHashMap<>(), packedTransposed = new IdentityHashMap<>();
    private final long budget;
    private long packedBytes;

    /**
     * Panels for the given float32 arrays and BF16 segments, each the whole storage of a weight
     * matrix that will not change while these live, holding at most {@code budgetBytes} of packed
     * copies: a matrix that would pass it is packed in every call instead, as without panels.
     */
    public DecodePanels(Iterable<float[]> frozenWeights, Iterable<MemorySegment> frozenBf16Weights, long budgetBytes) {
        if (budgetBytes < 0) throw new IllegalArgumentException("DecodePanels: the budget must be ≥ 0 bytes, got " + budgetBytes);
        for (float[] w : frozenWeights) frozen.add(w);
        for (MemorySegment w : frozenBf16Weights) frozen.add(w);
        this.budget = budgetBytes;
    }

    /** What {@link #open} returns: closing it restores what was open before. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** While open, products on this thread read the named weights from their packed copies. */
    public Scope open() {
        DecodePanels before = OPEN.get();
        OPEN.set(this);
        return () -> OPEN.set(before);
    }

    /** Matrices packed so far. */
    public synchronized int packedCount() {
        return packed.size() + packedTransposed.size();
    }

    /**
     * The packed {@code op(B)} (k, n) for a product of {@code m} rows on this thread, or null where
     * none applies: no panels open, few rows, B not a whole named weight matrix.
     */
    static float[] lookup(int m, boolean transB, float[] b, int bOff, int ldb, int k, int n) {
        DecodePanels p = OPEN.get();
        if (p == null || !batched(m) || !whole(bOff, ldb, transB, k, n) || b.length != k * n) return null;
        long size = (long) Math.ceilDiv(n, NR) * NR * k;
        return (float[]) p.packedFor(transB, b, Float.BYTES * size, () -> {
            float[] out = new float[Math.toIntExact(size)];
            forEachBlock(k, n, (q, p0, kb, w) -> GemmPacking.packB(transB, b, 0, transB ? k : n, n, q * NR, 1, p0, kb, out, at(q, p0, k)));
            return out;
        });
    }

    /**
     * {@link #lookup} for a BF16 B: its packed pairs, each block's rows in {@link #STREAMS} runs
     * ({@link #slot}), in a page-aligned segment outside the heap; or null. Unlike float32 B, a
     * single row of A ({@code m = 1}, a batch-1 step) takes them too ({@link SkinnyKernels#rowPairs}).
     */
    static MemorySegment lookup(int m, boolean transB, MemorySegment b, long bOff, int ldb, int k, int n) {
        DecodePanels p = OPEN.get();
        if (p == null || !(m == 1 || batched(m)) || !whole(bOff, ldb, transB, k, n) || b.byteSize() != 2L * k * n) return null;
        long ints = (long) Math.ceilDiv(n, NR) * NR * k / 2;
        return (MemorySegment) p.packedFor(transB, b, Integer.BYTES * ints, () -> {
            MemorySegment out = Arena.ofAuto().allocate(Integer.BYTES * ints, PAGE);
            forEachBlock(k, n, (q, p0, kb, w) -> {
                GemmPacking.packB(transB, b, 0, transB ? k : n, n, q * NR, 1, p0, kb, w.block, w.rows);
                int half = NR / 2;
                long from = at(q, p0, k) / 2;
                for (int r = 0; r < kb; r++) { // the floats are BF16 values widened: their top halves are exact
                    for (int t = 0; t < half; t++) {
                        int low = Float.floatToRawIntBits(w.block[r * NR + t]), high = Float.floatToRawIntBits(w.block[r * NR + half + t]);
                        out.setAtIndex(ValueLayout.JAVA_INT, from + (long) slot(r, kb) * half + t, (high & 0xFFFF0000) | (low >>> 16));
                    }
                }
            });
            return out;
        });
    }

    /** Whether a product of {@code m} rows is a batched one: more than a few rows. */
    private static boolean batched(int m) {
        return m > SkinnyKernels.ROWS;
    }

    /** Whether B is a whole matrix whose padded panels an int indexes. */
    private static boolean whole(long bOff, int ldb, boolean transB, int k, int n) {
        return bOff == 0 && ldb == (transB ? k : n) && (long) Math.ceilDiv(n, NR) * NR * k <= MAX_ARRAY;
    }

    /** {@code b}'s packed copy: the one kept, or a new one of {@code bytes} if the budget has room; null when not named or over it. */
    private synchronized Object packedFor(boolean transB, Object b, long bytes, Supplier<Object> pack) {
        if (!frozen.contains(b)) return null;
        Map<Object, Object> kept = transB ? packedTransposed : packed;
        Object copy = kept.get(b);
        if (copy != null || packedBytes + bytes > budget) return copy;
        copy = pack.get();
        kept.put(b, copy);
        packedBytes += bytes;
        return copy;
    }

    /** A packing task's scratch: one block of a panel, and rows widened from BF16. */
    private record Scratch(float[] block, float[] rows) {}

    /** Packs block {@code [p0, p0 + kb)} of column panel {@code q}. */
    private interface BlockPacker {
        void pack(int q, int p0, int kb, Scratch scratch);
    }

    /** Every block of every {@code NR}-column panel of a (k, n) {@code op(B)}, panels over the pool. */
    private static void forEachBlock(int k, int n, BlockPacker packer) {
        int kc = Gemm.blockDepth(k), panels = Math.ceilDiv(n, NR);
        Parallel.forRange(panels, Math.ceilDiv(panels, 4 * Parallel.threads()), (s, e) -> { // a few runs of panels a thread, a scratch each
            Scratch w = new Scratch(new float[NR * kc], new float[NR * kc]);
            for (int q = s; q < e; q++) {
                for (int p0 = 0; p0 < k; p0 += kc) packer.pack(q, p0, Math.min(kc, k - p0), w);
            }
        });
    }

    /**
     * The sequential streams a packed BF16 block is stored in ({@link #slot}). Why: a batched step's
     * tiles consume a block's rows slowly (at batch 32, a 64-byte row of pairs per about 36 cycles
     * of FMAs), and the hardware prefetchers run only a short distance ahead of each stream they
     * track, one per 4 KB page, so a single stream leaves the tiles waiting on memory. Dealt into
     * four streams, GPT-2's blocks of 256 rows (16 KB) are four pages fetched ahead at once. GPT-2 124M frozen BF16, batch
     * 32, whole decode steps (2 threads, separate runs alternating): one stream 56-65 ms, two
     * 53-62, four 47-55; eight or sixteen (two or four streams to a page) 71-75.
     */
    static final int STREAMS = 4;

    /**
     * Where row {@code r} of a packed BF16 block of {@code kb} rows is kept, in rows from the block's
     * start: the rows are dealt round-robin into {@link #STREAMS} runs stored one after another (row
     * {@code r} in run {@code r mod STREAMS}, the first {@code kb mod STREAMS} runs one row longer),
     * so the tiles, reading the rows in order, read the runs side by side.
     */
    static int slot(int r, int kb) {
        int s = r % STREAMS;
        return s * (kb / STREAMS) + Math.min(s, kb % STREAMS) + r / STREAMS;
    }

    /** Where block {@code p0} of panel {@code q} starts in the packed copy of a depth-{@code k} matrix (in floats). */
    static int at(int q, int p0, int k) {
        return q * NR * k + p0 * NR;
    }
}
