package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;
import static dev.align4j.tensor.kernels.PanelTranspose.L;

import java.lang.foreign.MemorySegment;

/**
 * The products of a small A: {@code C = beta·C + op(A)·op(B)} for {@code m ≤} {@link #MAX_M} — a
 * decode step of generation, where the cost is reading B, the weights — or an A of at most
 * {@link #MAX_PACKED_A} floats (a training micro-batch: 256 tokens of width 768), with B streamed
 * from memory once per call and no packed copy of it written back. {@link Gemm#sgemm} routes these
 * shapes here ({@link #takes}), {@link Bf16Gemm#sgemmB} the few-row ones.
 *
 * <p>What it is: all of {@code op(A)} is packed once, block after block of {@code k} (over the pool
 * when it has many rows) — except for the packed row path, which reads its one row in place; then
 * one parallel phase (one barrier) runs one of these paths:
 * <ul>
 *   <li>rows ({@code m ≤ 4}, B stored (k, n)): tasks over (block of k, chunk of up to
 *       {@link #CHUNK} columns) stream B row by row in place, whole row pieces at a time, into
 *       per-block sums ({@link SkinnyKernels#rows}; BF16 widened in registers); C then gets the
 *       blocks' sums in order;</li>
 *   <li>columns ({@code m ≤ 4}, B stored (n, k): the tied lm head, every Hugging Face
 *       {@code nn.Linear} weight): tasks over runs of rows of B read them in place, 16 rows of B
 *       (16 columns of C) at a time transposed in registers and multiplied at once
 *       ({@link SkinnyColumns}), C finished block after block;</li>
 *   <li>staged panels ({@code m > 4}, B stored (n, k); also {@code m ≤ 4} with vectors of other
 *       than 16 lanes): a task takes a panel's {@code NR}
 *       rows of B (a BF16 B copied first in one sequential pass), packs it block by block
 *       (transposed in registers, {@link PanelTranspose}) and runs the 4-row tile
 *       ({@link SkinnyKernels#tile}) or, for {@code m > 4}, the 12-row one on each row panel;</li>
 *   <li>runs ({@code m > 4}, B stored (k, n)): tasks over runs of up to {@link #RUN} column
 *       panels pack their B micro-panels ({@code kb × NR}, a BF16 B widened while packed) into
 *       their own buffer and at once run the 12-row {@link GemmMicroKernel} on every row panel;</li>
 *   <li>packed ({@code m > 4}, a float32 or BF16 B its owner keeps packed, {@link DecodePanels},
 *       either layout): the runs path reading the micro-panels in place, without packing them;</li>
 *   <li>packed row ({@code m = 1}, a BF16 B its owner keeps packed): tasks over runs of pairs of
 *       panels read two at a time, every block, into registers ({@link SkinnyKernels#rowPairs}).</li>
 * </ul>
 * This is the GEBP layering of Goto &amp; van de Geijn ("Anatomy of high-performance matrix
 * multiplication", ACM TOMS 34(3), 2008) with the roles of the operands swapped, as their paper
 * suggests when A is small: B is the operand streamed through the cache once.
 *
 * <p>Batch invariance: a C element is summed exactly as {@link Gemm} sums it — the same block
 * boundaries ({@link Gemm#blockDepth}), one FMA chain per block from zero in order of {@code p},
 * the blocks added to C in order — so row {@code i} of C is bit-identical whatever {@code m} is,
 * whatever the other rows of A hold and whichever path ran ({@code SkinnyGemmTest} checks it).
 * The task grid decides only who computes an element, never how.
 *
 * <p>What it is not: a path for a large A (B is re-packed per run here and A is packed whole, where
 * the big GEMM packs both block by block), nor a BF16 product: the arithmetic is float32.
 */
final class SkinnyGemm {
    private SkinnyGemm() {}

    /** Rows of C up to which products take this path. */
    static final int MAX_M = 32;
    /**
     * Floats of A (m·k) up to which a product of more rows takes this path too: A packed whole
     * (1 MiB) sits in L2 beside a task's run of B panels, and each B panel is packed once and used by
     * every row panel, where {@link Gemm} shares one packed block of B (n·kc floats) that goes out to
     * memory when n is large, and pays a barrier per block. GPT-2 124M training shapes at m = 256 (the
     * forward, dX and dW products of every matrix, the tied head included; 2 threads, same run):
     * 184 GFLOP/s through {@link Gemm}'s blocks, 223 here; the head's forward 150 → 235. At m = 512
     * (2^19 floats of A) the gain was mixed per shape, so the bound stays at 2^18.
     */
    static final int MAX_PACKED_A = 1 << 18;

    /** Whether {@link Gemm#sgemm} runs a product of {@code m} rows and depth {@code k} here. */
    static boolean takes(int m, int k) {
        return m <= MAX_M || (long) m * k <= MAX_PACKED_A;
    }
    /**
     * Column panels per task of the runs path at most (512 columns: row pieces of B of 2 KiB float32,
     * 1 KiB BF16), unless the tasks would be too few for the threads. GPT-2 shapes at m = 32,
     * float32: 3 panels 205 ms a step, 8 panels 178 ms, 16 panels 170 ms (same run, loaded machine).
     */
    static final int RUN = 16;
    /**
     * Rows of B each lane of the column path streams at most: a task takes {@code 16·STRIPS}
     * consecutive rows of B and lane {@code r} of its vectors runs down rows
     * {@code [r·STRIPS, (r + 1)·STRIPS)}, so it reads 16 contiguous runs of memory instead of 16
     * rows of a few kilobytes each. Odd, so that lanes are not a multiple of 4 KiB apart when a row
     * is a multiple of 1 KiB. GPT-2's tied head at m = 1 (2 threads, GB/s float32 / BF16): 1 strip
     * 15.4 / 10.6, 3 strips 22.3 / 17.5, 7 strips 23.0 / 19.4, 15 strips 23.3-23.8 / 20.5-21.4,
     * 16 strips (lanes 48 KiB apart in float32) 22.2-22.5 / 20.8-21.2.
     */
    static final int STRIPS = 15;
    /** Column panels per task of the packed path at most (256 columns of C). */
    static final int PACKED_RUN = 8;
    /** Column panels per task of the staged path (96 columns of C). */
    static final int STAGED_RUN = 3;
    /**
     * Columns of C per task of the row path at most, unless the tasks would be too few for the
     * threads: a row piece of B is then 8 KiB (float32) or 4 KiB (BF16). BF16 products of GPT-2
     * shapes reached 0.66, 0.81 and 0.86 of the read bandwidth with 512, 1024 and 2048 (float32 0.95
     * at all three): longer runs of a page keep the prefetchers streaming.
     */
    static final int CHUNK = 2048;

    /** Where {@code op(B)} (k, n) comes from: a float array or a BF16 segment. */
    sealed interface Panels {
        /** Whether B is stored (n, k). */
        boolean transB();

        /** Packs columns {@code [j0, j0 + panels·NR)} (cut at n), rows {@code [p0, p0 + kb)} of op(B) into {@code dst}. */
        void pack(int j0, int panels, int p0, int kb, float[] dst);

        /**
         * {@link SkinnyKernels#rows} over rows {@code [p0, p0 + kb)} and columns {@code [j0, j0 + w)} of a
         * B stored (k, n), read in place.
         */
        void rows(float[] acc, int ao, int ldAcc, int m, int w, float[] a, int ai, int p0, int j0, int kb);

        /**
         * For B stored (n, k): its rows {@code [j0, j0 + count)}, all of k, as a B of {@code count}
         * rows stored (count, k) — a BF16 B copied in one sequential pass into this thread's scratch
         * (GPT-2's lm head with the 4-row tile, one thread: 4.8 GB/s staged, 3.8 read in place), a
         * float32 one in place.
         */
        Panels staged(int j0, int count, int k);

        /**
         * {@link SkinnyColumns#columns} over the rows {@code j, j + stride, …, j + (lanes − 1)·stride}
         * of a B stored (n, k), read in place, into the same columns of C ({@code ci} is column
         * {@code j}).
         */
        void columns(int m, int j, int lanes, int stride, int k, int kc, float[] a, int aBlock, float[] c, int ci, int ldc,
                     boolean accumulate, Workspace w);
    }

    /** {@code op(B)[p, j] = b[bOff + p·ldb + j]}, or {@code b[bOff + j·ldb + p]} when {@code transB}. */
    record FloatPanels(boolean transB, float[] b, int bOff, int ldb, int n) implements Panels {
        @Override
        public void pack(int j0, int panels, int p0, int kb, float[] dst) {
            GemmPacking.packB(transB, b, bOff, ldb, n, j0, panels, p0, kb, dst, 0);
        }

        @Override
        public void rows(float[] acc, int ao, int ldAcc, int m, int w, float[] a, int ai, int p0, int j0, int kb) {
            SkinnyKernels.rows(acc, ao, ldAcc, m, w, a, ai, b, bOff + p0 * ldb + j0, ldb, kb);
        }

        /** The rows in place: copying float32 rows cost more than it saved (GPT-2's lm head, one thread: 6.1 GB/s staged, 7.8 in place). */
        @Override
        public Panels staged(int j0, int count, int k) {
            return new FloatPanels(true, b, bOff + j0 * ldb, ldb, count);
        }

        @Override
        public void columns(int m, int j, int lanes, int stride, int k, int kc, float[] a, int aBlock, float[] c, int ci, int ldc,
                            boolean accumulate, Workspace w) {
            SkinnyColumns.columns(m, lanes, k, kc, a, aBlock, b, bOff + j * ldb, stride * ldb, c, ci, ldc, stride, accumulate, w.columnSums);
        }
    }

    /** As {@link FloatPanels}, from a little-endian BF16 segment, widened as it is read. */
    record Bf16Panels(boolean transB, MemorySegment b, long bOff, int ldb, int n) implements Panels {
        @Override
        public void pack(int j0, int panels, int p0, int kb, float[] dst) {
            GemmPacking.packB(transB, b, bOff, ldb, n, j0, panels, p0, kb, dst, WORKSPACE.get().rows(NR * kb));
        }

        @Override
        public void rows(float[] acc, int ao, int ldAcc, int m, int w, float[] a, int ai, int p0, int j0, int kb) {
            SkinnyKernels.rows(acc, ao, ldAcc, m, w, a, ai, b, bOff + (long) p0 * ldb + j0, ldb, kb);
        }

        @Override
        public Panels staged(int j0, int count, int k) {
            MemorySegment copy = WORKSPACE.get().staged16(count * k);
            if (ldb == k) MemorySegment.copy(b, 2 * (bOff + (long) j0 * ldb), copy, 0, 2L * count * k);
            else for (int r = 0; r < count; r++) MemorySegment.copy(b, 2 * (bOff + (long) (j0 + r) * ldb), copy, 2L * r * k, 2L * k);
            return new Bf16Panels(true, copy, 0, k, count);
        }

        @Override
        public void columns(int m, int j, int lanes, int stride, int k, int kc, float[] a, int aBlock, float[] c, int ci, int ldc,
                            boolean accumulate, Workspace w) {
            SkinnyColumns.columns(m, lanes, k, kc, a, aBlock, b, bOff + (long) j * ldb, (long) stride * ldb, c, ci, ldc, stride,
                    accumulate, w.block, w.columnSums);
        }
    }

    /**
     * Per-thread scratch: packed A, block sums and the packed path's task boundaries (the calling
     * thread's, read by the pool while it waits), a run of packed B panels
     * (up to 2 MiB), widened BF16 rows, staged BF16 rows of B, an edge tile, a transposed block of
     * BF16 pairs and the sums of a vector of columns of C.
     */
    static final class Workspace {
        float[] a = new float[0], sums = new float[0], b = new float[0], rows = new float[0];
        int[] starts = new int[0];
        MemorySegment staged16 = MemorySegment.ofArray(new short[0]);
        final float[] edge = new float[MR * NR];
        final float[] block = new float[L * L], columnSums = new float[SkinnyKernels.ROWS * L];

        MemorySegment staged16(int size) {
            return staged16.byteSize() >= 2L * size ? staged16 : (staged16 = MemorySegment.ofArray(new short[size]));
        }

        float[] a(int size) {
            return a.length >= size ? a : (a = new float[size]);
        }

        int[] starts(int size) {
            return starts.length >= size ? starts : (starts = new int[size]);
        }

        float[] sums(int size) {
            return sums.length >= size ? sums : (sums = new float[size]);
        }

        float[] b(int size) {
            return b.length >= size ? b : (b = new float[size]);
        }

        float[] rows(int size) {
            return rows.length >= size ? rows : (rows = new float[size]);
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)} for {@code 0 < m}, {@link #takes takes(m, k)}, {@code n, k > 0}:
     * {@code op(A)} (m, k) from {@code a} as in {@link Gemm#sgemm}, {@code op(B)} from {@code b}, C
     * (m, n) with row stride {@code ldc}. The caller has checked every operand.
     */
    static void sgemm(boolean transA, int m, int n, int k, float[] a, int aOff, int lda, Panels b,
                      float[] c, int cOff, int ldc, boolean accumulate, boolean parallel) {
        int kc = Gemm.blockDepth(k), kBlocks = Math.ceilDiv(k, kc), mPanels = Math.ceilDiv(m, MR);
        boolean par = parallel && 2L * Math.max(m, SkinnyKernels.ROWS) * n * k >= Gemm.PARALLEL_FLOPS; // the flops the kernels run
        MemorySegment rowPairs = m == 1 && b instanceof Bf16Panels h ? DecodePanels.lookup(m, h.transB(), h.b(), h.bOff(), h.ldb(), k, n) : null;
        if (rowPairs != null) { // one row of A, read in place
            byPackedRow(n, k, kc, a, aOff, transA ? lda : 1, rowPairs, c, cOff, accumulate, par);
            return;
        }
        int aBlock = mPanels * MR * kc; // floats per packed block of A
        Workspace ws = WORKSPACE.get();
        float[] packedA = ws.a(Math.toIntExact((long) aBlock * kBlocks));
        if (m > SkinnyKernels.ROWS) { // runs of A_RUN row panels of each block, over the pool when there are many rows
            int runs = Math.ceilDiv(mPanels, Gemm.A_RUN);
            Parallel.Range pack = (s, e) -> {
                for (int x = s; x < e; x++) {
                    int blk = x / runs, r = (x % runs) * Gemm.A_RUN, p0 = blk * kc;
                    GemmPacking.packA(transA, a, aOff, lda, m, r * MR, Math.min(Gemm.A_RUN, mPanels - r), p0, Math.min(kc, k - p0),
                            packedA, blk * aBlock + r * MR * Math.min(kc, k - p0));
                }
            };
            if (par && runs * kBlocks > 1) Parallel.forRange(runs * kBlocks, 1, pack);
            else pack.run(0, runs * kBlocks);
        } else {
            for (int blk = 0; blk < kBlocks; blk++) {
                int p0 = blk * kc, kb = Math.min(kc, k - p0);
                for (int p = 0; p < kb; p++) { // the few-rows kernels read the first ROWS floats of each MR
                    for (int i = 0; i < SkinnyKernels.ROWS; i++) {
                        packedA[blk * aBlock + p * MR + i] = i >= m ? 0f : a[aOff + (transA ? (p0 + p) * lda + i : i * lda + p0 + p)];
                    }
                }
            }
        }
        float[] kept = b instanceof FloatPanels f ? DecodePanels.lookup(m, f.transB(), f.b(), f.bOff(), f.ldb(), k, n) : null;
        MemorySegment keptPairs = b instanceof Bf16Panels h ? DecodePanels.lookup(m, h.transB(), h.b(), h.bOff(), h.ldb(), k, n) : null;
        if (kept != null || keptPairs != null) {
            byPackedPanels(m, n, k, kc, kBlocks, packedA, aBlock, kept, keptPairs, c, cOff, ldc, accumulate, par);
            return;
        }
        if (b.transB() && m <= SkinnyKernels.ROWS && PanelTranspose.SUPPORTED) {
            byColumns(m, n, k, kc, packedA, aBlock, b, c, cOff, ldc, accumulate, par);
            return;
        }
        if (b.transB()) {
            byStagedPanels(m, n, k, kc, kBlocks, packedA, aBlock, b, c, cOff, ldc, accumulate, par);
            return;
        }
        if (m <= SkinnyKernels.ROWS) {
            byRows(m, n, k, kc, kBlocks, packedA, aBlock, b, c, cOff, ldc, accumulate, par, ws);
            return;
        }
        int nPanels = Math.ceilDiv(n, NR);
        int run = Math.max(1, Math.min(RUN, Math.ceilDiv(nPanels, 2 * Parallel.threads()))); // two tasks per thread at least
        int runs = Math.ceilDiv(nPanels, run);
        Parallel.Range body = (s, e) -> {
            Workspace w = WORKSPACE.get();
            float[] packedB = w.b(run * NR * kc);
            for (int r = s; r < e; r++) {
                int j0 = r * run * NR, panels = Math.min(run, nPanels - r * run);
                for (int blk = 0; blk < kBlocks; blk++) {
                    int p0 = blk * kc, kb = Math.min(kc, k - p0);
                    boolean add = accumulate || blk > 0;
                    b.pack(j0, panels, p0, kb, packedB);
                    for (int q = 0; q < panels; q++) {
                        int j = j0 + q * NR, cols = Math.min(NR, n - j);
                        for (int i = 0; i < m; i += MR) {
                            GemmMicroKernel.tile(kb, packedA, blk * aBlock + i * kb, packedB, q * NR * kb,
                                    c, cOff + i * ldc + j, ldc, Math.min(MR, m - i), cols, add, w.edge);
                        }
                    }
                }
            }
        };
        if (par) Parallel.forRange(runs, 1, body);
        else body.run(0, runs);
    }

    /**
     * The packed path, for a B the caller keeps packed ({@link DecodePanels}), float32 or BF16 pairs
     * (the other null): tasks over runs of up to {@link #PACKED_RUN} column panels read them in
     * place, block after block, with the 12-row tile on each row panel — BF16 pairs widened in
     * registers ({@link GemmMicroKernel#tilePairs}) — the runs path without its packing. A last row
     * panel of at most 8 rows runs the 8-row tile ({@link GemmMicroKernel#tile8}), of at most 4 the
     * 4-row one ({@link SkinnyKernels#tile}), each summing as the 12-row one does, instead of 12
     * rows of work: GPT-2's 48 layer matrices at m = 32 from packed BF16 (2 threads, alternating
     * runs) went from 150-160 GFLOP/s to 160-170 with two 4-row tiles, and 1.13-1.19× further with
     * the 8-row one. The runs shrink toward
     * the end (each a {@code 2·threads}-th of the panels left), so no thread waits long on the
     * other's last run: equal runs had cut GPT-2's 72 query-key-value panels into 9 tasks, 5 on one
     * thread and 4 on the other. Batch-32 BF16 steps, 10 alternating rounds: 8 faster, by 0.5 ms
     * (1%) on average.
     */
    private static void byPackedPanels(int m, int n, int k, int kc, int kBlocks, float[] packedA, int aBlock, float[] packedB,
                                       MemorySegment packedPairs, float[] c, int cOff, int ldc, boolean accumulate, boolean par) {
        int nPanels = Math.ceilDiv(n, NR), tasks = shrinkingRuns(nPanels, PACKED_RUN);
        int[] starts = WORKSPACE.get().starts; // task t: panels starts[t] .. starts[t + 1]
        Parallel.Range body = (s, e) -> {
            float[] edge = WORKSPACE.get().edge;
            for (int q = starts[s]; q < starts[e]; q++) {
                int j = q * NR, cols = Math.min(NR, n - j);
                for (int blk = 0; blk < kBlocks; blk++) {
                    int p0 = blk * kc, kb = Math.min(kc, k - p0), bi = DecodePanels.at(q, p0, k);
                    boolean add = accumulate || blk > 0;
                    for (int i = 0; i < m; i += MR) {
                        int rows = Math.min(MR, m - i), ai = blk * aBlock + i * kb, ci = cOff + i * ldc + j;
                        int pi = packedPairs == null ? bi : bi / 2; // where the block starts, in floats or pairs
                        if (rows > GemmMicroKernel.MR8) {
                            if (packedPairs == null) GemmMicroKernel.tile(kb, packedA, ai, packedB, bi, c, ci, ldc, rows, cols, add, edge);
                            else GemmMicroKernel.tilePairs(kb, packedA, ai, packedPairs, pi, c, ci, ldc, rows, cols, add, edge);
                        } else if (rows > SkinnyKernels.ROWS) { // a short last row panel (32 = 12 + 12 + 8)
                            GemmMicroKernel.tile8(kb, packedA, ai, packedB, packedPairs, pi, c, ci, ldc, rows, cols, add, edge);
                        } else {
                            SkinnyKernels.tile(kb, packedA, ai, packedB, packedPairs, pi, c, ci, ldc, rows, cols, add, edge);
                        }
                    }
                }
            }
        };
        if (par) Parallel.forRange(tasks, 1, body);
        else body.run(0, tasks);
    }

    /**
     * The packed row path, for one row of A and a BF16 B the caller keeps packed ({@link DecodePanels}):
     * tasks over runs of pairs of column panels, up to {@link #PACKED_RUN} panels and shrinking toward
     * the end as in {@link #byPackedPanels}, each pair read together, every block
     * ({@link SkinnyKernels#rowPairs}); a last odd panel alone.
     */
    private static void byPackedRow(int n, int k, int kc, float[] a, int aOff, int aStride, MemorySegment packedPairs,
                                    float[] c, int cOff, boolean accumulate, boolean par) {
        int nPanels = Math.ceilDiv(n, NR), tasks = shrinkingRuns(Math.ceilDiv(nPanels, 2), PACKED_RUN / 2);
        int[] starts = WORKSPACE.get().starts; // task t: pairs starts[t] .. starts[t + 1]
        Parallel.Range body = (s, e) -> {
            float[] edge = WORKSPACE.get().edge;
            for (int q = 2 * starts[s]; q < Math.min(nPanels, 2 * starts[e]); q += 2) {
                boolean two = q + 1 < nPanels;
                int j = q * NR;
                SkinnyKernels.rowPairs(k, kc, a, aOff, aStride, packedPairs, q, two, c, cOff + j, Math.min((two ? 2 : 1) * NR, n - j),
                        accumulate, edge);
            }
        };
        if (par) Parallel.forRange(tasks, 1, body);
        else body.run(0, tasks);
    }

    /**
     * Cuts {@code count} items (panels, or pairs of them) into runs of at most {@code most}, each a
     * {@code 2·threads}-th of the items left, so the threads finish together; returns how many,
     * with run {@code t} from item {@code starts[t]} to {@code starts[t + 1]} of this thread's workspace.
     */
    private static int shrinkingRuns(int count, int most) {
        int[] starts = WORKSPACE.get().starts(count + 1);
        int tasks = 0;
        for (int q = 0; q < count; tasks++) {
            starts[tasks] = q;
            q += Math.max(1, Math.min(most, (count - q) / (2 * Parallel.threads())));
        }
        starts[tasks] = count;
        return tasks;
    }

    /**
     * The staged path, for B stored (n, k) where the column path does not run: tasks over runs of
     * column panels; a panel's {@code NR} rows of B (BF16: copied in one sequential pass, so the
     * prefetchers stream them) are packed block by block — transposed in registers — and multiplied
     * at once, with the 12-row tile or, for {@code m ≤ 4} without 16-lane vectors, the few-rows one.
     */
    private static void byStagedPanels(int m, int n, int k, int kc, int kBlocks, float[] packedA, int aBlock, Panels b,
                                       float[] c, int cOff, int ldc, boolean accumulate, boolean par) {
        int nPanels = Math.ceilDiv(n, NR), runs = Math.ceilDiv(nPanels, STAGED_RUN);
        Parallel.Range body = (s, e) -> {
            Workspace w = WORKSPACE.get();
            float[] packedB = w.b(NR * kc);
            for (int q = s * STAGED_RUN; q < Math.min(nPanels, e * STAGED_RUN); q++) {
                int j = q * NR, cols = Math.min(NR, n - j);
                Panels rows = b.staged(j, cols, k);
                for (int blk = 0; blk < kBlocks; blk++) {
                    int p0 = blk * kc, kb = Math.min(kc, k - p0);
                    rows.pack(0, 1, p0, kb, packedB);
                    boolean add = accumulate || blk > 0;
                    if (m <= SkinnyKernels.ROWS) {
                        SkinnyKernels.tile(kb, packedA, blk * aBlock, packedB, null, 0, c, cOff + j, ldc, m, cols, add, w.edge);
                        continue;
                    }
                    for (int i = 0; i < m; i += MR) {
                        GemmMicroKernel.tile(kb, packedA, blk * aBlock + i * kb, packedB, 0, c, cOff + i * ldc + j, ldc,
                                Math.min(MR, m - i), cols, add, w.edge);
                    }
                }
            }
        };
        if (par) Parallel.forRange(runs, 1, body);
        else body.run(0, runs);
    }

    /**
     * The column path, for {@code m ≤ SkinnyKernels.ROWS} and B stored (n, k), with 16-lane
     * vectors: tasks over runs of {@code 16·strips} rows of B; lane {@code r} of a call takes rows
     * {@code r·strips + u} of the run for {@code u < strips} in turn (see {@link #STRIPS}), so each
     * lane streams one contiguous run of B, and the lanes' columns of C are finished block after
     * block while they sit in L1. The rows past the last whole 16 of the last run go one call with
     * fewer lanes.
     *
     * <p>Measured at m = 1 on 2 threads, B cycled through 640 MB, GB/s of B read, against the staged
     * panels this replaced and, in the same run, the row path over the same elements stored (k, n):
     * GPT-2's tied head (n = 50257, k = 768) float32 13.5-13.9 before, 23.9-24.2 now (rows
     * 27.1-27.5), BF16 9.1-9.6 before, 20.9-21.9 now (rows 22.1-22.6); a Llama-like projection
     * (n = 2304, k = 768) float32 12.9-15.4 before, 24.0-24.6 now (rows 26.0-26.4), BF16 8.5-8.8
     * before, 19.1-21.4 now (rows 19.3-19.6). With 4 rows of C, the head: float32 11.9 before, 14.7
     * now; BF16 9.2 and 14.5.
     */
    private static void byColumns(int m, int n, int k, int kc, float[] packedA, int aBlock, Panels b,
                                  float[] c, int cOff, int ldc, boolean accumulate, boolean par) {
        int strips = Math.max(1, Math.min(STRIPS, n / (L * 4 * Parallel.threads()))); // four tasks per thread at least
        if (strips % 2 == 0) strips--; // odd, as STRIPS
        int span = L * strips, tasks = Math.ceilDiv(n, span);
        Parallel.Range body = (s, e) -> {
            Workspace w = WORKSPACE.get();
            for (int t = s; t < e; t++) {
                int j0 = t * span, rows = Math.min(span, n - j0), g = rows / L, rest = rows - g * L; // g: this run's strips
                for (int u = 0; u < g; u++) b.columns(m, j0 + u, L, g, k, kc, packedA, aBlock, c, cOff + j0 + u, ldc, accumulate, w);
                if (rest > 0) b.columns(m, j0 + g * L, rest, 1, k, kc, packedA, aBlock, c, cOff + j0 + g * L, ldc, accumulate, w);
            }
        };
        if (par) Parallel.forRange(tasks, 1, body);
        else body.run(0, tasks);
    }

    /**
     * The row path, for {@code m ≤ SkinnyKernels.ROWS} and B stored (k, n): tasks over (block of k,
     * chunk of columns), each streaming its rows of B into its block's sums (m, n); then C is
     * updated with the sums of the blocks in order.
     */
    private static void byRows(int m, int n, int k, int kc, int kBlocks, float[] packedA, int aBlock, Panels b,
                               float[] c, int cOff, int ldc, boolean accumulate, boolean par, Workspace ws) {
        int chunks = Math.max(Math.ceilDiv(n, CHUNK), Math.ceilDiv(2 * Parallel.threads(), kBlocks)); // two tasks per thread at least
        int w = Math.min(n, Math.ceilDiv(Math.ceilDiv(n, chunks), GemmMicroKernel.V) * GemmMicroKernel.V);
        int cols = Math.ceilDiv(n, w), plane = m * n;
        float[] sums = ws.sums(Math.toIntExact((long) kBlocks * plane)); // (kBlocks, m, n)
        Parallel.Range body = (s, e) -> {
            for (int t = s; t < e; t++) {
                int blk = t / cols, j0 = (t % cols) * w, p0 = blk * kc;
                b.rows(sums, blk * plane + j0, n, m, Math.min(w, n - j0), packedA, blk * aBlock, p0, j0, Math.min(kc, k - p0));
            }
        };
        if (par) Parallel.forRange(kBlocks * cols, 1, body);
        else body.run(0, kBlocks * cols);
        for (int i = 0; i < m; i++) SkinnyKernels.addBlocks(c, cOff + i * ldc, sums, i * n, plane, kBlocks, n, accumulate);
    }
}
