package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;

import java.util.Arrays;

/**
 * Single-precision matrix multiply: {@code C = beta·C + op(A)·op(B)} with {@code op(X)} either
 * {@code X} or {@code Xᵀ}, row-major, leading dimensions and offsets as in BLAS, {@code beta} 0 or 1.
 *
 * <p>The algorithm is Goto's (Goto &amp; van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 34(3), 2008) as layered by BLIS (Van Zee &amp; van de Geijn 2015):
 * <ul>
 *   <li>{@code k} is cut into even blocks of {@code kc ≤ KC}. A block of {@code op(A)} and
 *       {@code op(B)} is packed ({@link GemmPacking}) into row panels of {@code MR} rows and column
 *       panels of {@code NR} columns, {@code kc} deep, so the kernel reads both contiguously
 *       whatever the transposes;</li>
 *   <li>C is cut into a grid of tasks of at most {@code MC × NC}, at least
 *       {@code TASKS_PER_THREAD} per thread; for a block, a task walks its column panels, then its
 *       row panels, and calls the {@code MR × NR} register kernel ({@link GemmMicroKernel}) per
 *       tile. A B micro-panel ({@code kc × NR}, 32 KiB) stays in L1 while the task's A block
 *       ({@code MC × kc}, 120 KiB) is read from L2;</li>
 *   <li>one parallel phase per block on the {@link Parallel} pool runs the block's tasks and packs
 *       the next block into the other half of a double buffer, so packed data is used while it is
 *       still in cache, and packing shares the phase with compute (one barrier per block).</li>
 * </ul>
 * Determinism: a C element is always summed the same way, one FMA chain per block in order of
 * {@code p}, the blocks added to C in order; the block boundaries depend only on {@code k}, and
 * the task grid only decides who computes a tile, never how. So results are bit-identical
 * whatever the thread count or the grid (the test compares against a sequential run and against
 * computing C in parts). {@code k} is never split across threads.
 *
 * <p>The packed buffer ({@code 2·(m + n)·kc} floats) belongs to the calling thread, grown once and
 * reused. Tried and dropped, on the bench shapes: packing all of {@code k} first in one phase
 * (the packed data goes cold and the buffer grows with {@code k}; no faster), packing each block
 * in its own phase (two barriers per block: slower), reading A unpacked from its rows (the kernel
 * then broadcasts from 12 streams: 10% slower), walking row panels outside column panels, and
 * tasks of 240 rows or 512 columns (no faster).
 *
 * <p>Products of a small A (few rows: a decode step; or at most {@link SkinnyGemm#MAX_PACKED_A}
 * floats: a training micro-batch) go to {@link SkinnyGemm}, which packs A whole and streams B once
 * instead of packing all of it per block; its rows are bit-identical to the ones computed here. Deliberately not here: a separate path for few columns ({@code n} of
 * a few); they take this path, pay the packing and fill a fraction of each tile.
 */
public final class Gemm {
    private Gemm() {}

    /** Depth of a block: a B micro-panel of {@code KC × NR} floats (32 KiB) fits in L1 (48 KiB). */
    static final int KC = 256;
    /** Rows of a task at most (ten row panels); its A block {@code MC × KC} (120 KiB) sits in L2. */
    static final int MC = 10 * MR;
    /** Columns of a task at most. */
    static final int NC = 256;
    /** Tasks per thread in each phase at least, so that the last one to finish is short. */
    static final int TASKS_PER_THREAD = 8;
    /** Row panels of A, and column panels of B, packed per item: 96 rows of A, 96 columns of B. */
    static final int A_RUN = 8, B_RUN = 3;
    /** Below this many flops a product runs on the calling thread alone. */
    static final long PARALLEL_FLOPS = 1L << 21;

    /** Per-thread scratch: packed panels (the calling thread's) and one edge tile. */
    private static final class Workspace {
        float[] packed = new float[0];
        final float[] edge = new float[MR * NR];

        float[] packed(int size) {
            if (packed.length < size) packed = new float[size];
            return packed;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /**
     * {@code C = (accumulate ? C : 0) + op(A)·op(B)}: {@code op(A)} is (m, k), {@code op(B)} is
     * (k, n), C is (m, n). A is stored (m, k) with row stride {@code lda}, or (k, m) when
     * {@code transA}; B is stored (k, n) with row stride {@code ldb}, or (n, k) when
     * {@code transB}; C is stored (m, n) with row stride {@code ldc}. C must not overlap A or B.
     *
     * @throws IllegalArgumentException when a size is negative, a leading dimension is shorter than
     *         its row, or an operand does not fit in its array
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, true);
    }

    /** {@link #sgemm}, on the calling thread alone unless {@code parallel} (the tests compare both). */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate, boolean parallel) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm: negative size m=" + m + ", n=" + n + ", k=" + k);
        }
        checkOperand("A", a, aOff, lda, transA ? k : m, transA ? m : k, transA, m, n, k);
        checkOperand("B", b, bOff, ldb, transB ? n : k, transB ? k : n, transB, m, n, k);
        checkOperand("C", c, cOff, ldc, m, n, false, m, n, k);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
            return;
        }
        if (SkinnyGemm.takes(m, k)) {
            SkinnyGemm.sgemm(transA, m, n, k, a, aOff, lda, new SkinnyGemm.FloatPanels(transB, b, bOff, ldb, n),
                    c, cOff, ldc, accumulate, parallel);
            return;
        }
        int mPanels = Math.ceilDiv(m, MR), nPanels = Math.ceilDiv(n, NR);
        int kc = blockDepth(k), kBlocks = Math.ceilDiv(k, kc);
        int slot = Math.toIntExact((long) (mPanels * MR + nPanels * NR) * kc);
        float[] packed = WORKSPACE.get().packed(Math.toIntExact((kBlocks > 1 ? 2L : 1L) * slot));

        boolean par = parallel && 2L * m * n * k >= PARALLEL_FLOPS;
        int threads = par ? Parallel.threads() : 1;
        // the task grid: tiles of at most MC × NC, more of them until each thread has a few,
        // cutting the longer side; then panels spread evenly over the tasks of each side
        int rowTasks = Math.ceilDiv(mPanels * MR, MC), colTasks = Math.ceilDiv(nPanels * NR, NC);
        while ((long) rowTasks * colTasks < (long) TASKS_PER_THREAD * threads
                && (rowTasks < mPanels || colTasks < nPanels)) {
            boolean cutCols = colTasks < nPanels
                    && (rowTasks == mPanels || Math.ceilDiv(nPanels, colTasks) * NR >= Math.ceilDiv(mPanels, rowTasks) * MR);
            if (cutCols) colTasks++;
            else rowTasks++;
        }
        int mc = Math.ceilDiv(mPanels, rowTasks) * MR, nc = Math.ceilDiv(nPanels, colTasks) * NR;
        Product pr = new Product(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
                packed, slot, mPanels, nPanels, kc, mc, nc, Math.ceilDiv(n, nc));
        int tasks = Math.ceilDiv(m, mc) * pr.colTiles(), packs = pr.packItems();
        forRange(par, packs, 1, (s, e) -> pr.pack(s, e, 0));
        for (int blk = 0; blk < kBlocks; blk++) { // one phase per block: compute it, pack the next
            int block = blk, next = blk + 1 < kBlocks ? packs : 0;
            boolean add = accumulate || blk > 0;
            forRange(par, next + tasks, 1, (s, e) -> {
                for (int x = s; x < e; x++) {
                    if (x < next) pr.pack(x, x + 1, block + 1);
                    else pr.compute(x - next, block, add);
                }
            });
        }
    }

    /**
     * The depth of the blocks {@code k} is cut into: even blocks of at most {@link #KC} (no thin last
     * one). Every path sums a C element block by block at these boundaries.
     */
    static int blockDepth(int k) {
        return Math.ceilDiv(k, Math.ceilDiv(k, KC));
    }

    /**
     * One call's operands, packed buffer and blocking. Block {@code blk} of {@code k} is packed in
     * slot {@code blk % 2} of the buffer ({@code slot} floats each): A's row panels, then B's
     * column panels, each {@code kb} deep.
     */
    private record Product(boolean transA, boolean transB, int m, int n, int k,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc,
                           float[] packed, int slot, int mPanels, int nPanels, int kc, int mc, int nc, int colTiles) {

        int packItems() {
            return Math.ceilDiv(mPanels, A_RUN) + Math.ceilDiv(nPanels, B_RUN);
        }

        /** Packs items {@code [s, e)} of block {@code blk}: runs of A_RUN row panels, then of B_RUN column panels. */
        void pack(int s, int e, int blk) {
            int p0 = blk * kc, kb = Math.min(kc, k - p0), base = (blk % 2) * slot, aItems = Math.ceilDiv(mPanels, A_RUN);
            for (int x = s; x < e; x++) {
                if (x < aItems) {
                    int r = x * A_RUN;
                    GemmPacking.packA(transA, a, aOff, lda, m, r * MR, Math.min(A_RUN, mPanels - r), p0, kb,
                            packed, base + r * MR * kb);
                } else {
                    int q = (x - aItems) * B_RUN;
                    GemmPacking.packB(transB, b, bOff, ldb, n, q * NR, Math.min(B_RUN, nPanels - q), p0, kb,
                            packed, base + mPanels * MR * kb + q * NR * kb);
                }
            }
        }

        /** Task {@code t} of the grid: adds block {@code blk}'s product into its {@code mc × nc} tile of C. */
        void compute(int t, int blk, boolean add) {
            float[] edge = WORKSPACE.get().edge;
            int p0 = blk * kc, kb = Math.min(kc, k - p0), base = (blk % 2) * slot, bBase = base + mPanels * MR * kb;
            int i0 = (t / colTiles) * mc, j0 = (t % colTiles) * nc;
            int i1 = Math.min(m, i0 + mc), j1 = Math.min(n, j0 + nc);
            for (int j = j0; j < j1; j += NR) {
                int bi = bBase + j * kb, cols = Math.min(NR, n - j); // panel j / NR starts at (j / NR)·NR·kb
                for (int i = i0; i < i1; i += MR) {
                    GemmMicroKernel.tile(kb, packed, base + i * kb, packed, bi,
                            c, cOff + i * ldc + j, ldc, Math.min(MR, m - i), cols, add, edge);
                }
            }
        }
    }

    private static void forRange(boolean parallel, int n, int grain, Parallel.Range body) {
        if (parallel) Parallel.forRange(n, grain, body);
        else body.run(0, n);
    }

    /** Checks that a (rows, cols) operand with row stride {@code ld} from {@code off} fits in {@code x}. */
    static void checkOperand(String name, float[] x, int off, int ld, int rows, int cols,
                                     boolean trans, int m, int n, int k) {
        String where = "sgemm (m=" + m + ", n=" + n + ", k=" + k + "): " + name + (trans ? " (stored transposed)" : "")
                + " is " + rows + "×" + cols;
        if (x == null) throw new IllegalArgumentException(where + " but its array is null");
        if (off < 0 || ld < cols) {
            throw new IllegalArgumentException(where + " with offset " + off + " and leading dimension " + ld
                    + ": the offset must be ≥ 0 and the leading dimension ≥ " + cols);
        }
        long end = rows == 0 || cols == 0 ? off : off + (long) (rows - 1) * ld + cols;
        if (end > x.length) {
            throw new IllegalArgumentException(where + " with offset " + off + " and leading dimension " + ld
                    + ": needs " + end + " floats but its array has " + x.length);
        }
    }
}
