package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.MR;
import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;

import java.util.Arrays;

/**
 * Single-precision matrix multiply: {@code C = beta·C + op(A)·op(B)} with {@code op(X)} either
 * {@code X} or {@code Xᵀ}, row-major, leading dimensions and offsets as in BLAS, {@code beta} 0 or 1.
 *
 * <p>The algorithm is Goto's (Goto &amp; van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 34(3), 2008) as layered by BLIS (Van Zee &amp; van de Geijn 2015), in
 * two parallel phases on the {@link Parallel} pool:
 * <ol>
 *   <li>pack: {@code op(A)} and {@code op(B)} are copied ({@link GemmPacking}) into row panels of
 *       {@code MR} rows and column panels of {@code NR} columns, {@code k} deep, so the kernel
 *       reads both contiguously whatever the transposes;</li>
 *   <li>compute: C is cut into a grid of tasks of at most {@code MC × NC}, at least four per
 *       thread; a task walks {@code k} in blocks of {@code kc ≤ KC}, then its column panels, then
 *       its row panels, and calls the {@code MR × NR} register kernel ({@link GemmMicroKernel})
 *       per tile. A B micro-panel ({@code kc × NR}, 32 KiB) stays in L1 while the task's A block
 *       ({@code MC × kc}, 120 KiB) is read from L2.</li>
 * </ol>
 * Determinism: a C element is always summed the same way, one FMA chain per {@code kc} block in
 * order of {@code p}, the blocks added to C in order; the block boundaries depend only on
 * {@code k}, and the task grid only decides who computes a tile, never how. So results are
 * bit-identical whatever the thread count or the grid (the test compares against a sequential run
 * and against computing C in parts). {@code k} is never split across threads.
 *
 * <p>The packed operands live in a buffer of the calling thread, grown once and reused; for very
 * large problems {@code k} is packed in chunks of whole blocks so that buffer stays under
 * {@code PACK_LIMIT} floats. Tried and dropped, on the bench shapes: packing one {@code kc} block
 * at a time (two barriers per block: slower), and reading A unpacked from its rows (the kernel
 * then broadcasts from 12 streams: 10% slower).
 *
 * <p>Deliberately not here: a separate kernel for matrix-vector shapes ({@code m} or {@code n}
 * of a few); they take the same path, pay the packing and fill a fraction of each tile.
 */
public final class Gemm {
    private Gemm() {}

    /** Depth of a block: a B micro-panel of {@code KC × NR} floats (32 KiB) fits in L1 (48 KiB). */
    static final int KC = 256;
    /** Rows of a task at most (ten row panels); its A block {@code MC × KC} (120 KiB) sits in L2. */
    static final int MC = 10 * MR;
    /** Columns of a task at most. */
    static final int NC = 256;
    /** Floats of packed A and B held at once (64 MiB); larger problems pack {@code k} in chunks. */
    static final long PACK_LIMIT = 1L << 24;
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
        sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, true, PACK_LIMIT);
    }

    /**
     * {@link #sgemm}, on the calling thread alone unless {@code parallel}, packing at most
     * {@code packLimit} floats at once (at least one block of {@code k}): the tests vary both.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate, boolean parallel, long packLimit) {
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
        int mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
        int kBlocks = (k + KC - 1) / KC;
        int kc = (k + kBlocks - 1) / kBlocks; // blocks as even as can be: no thin last block
        long blockFloats = (long) (mPanels * MR + nPanels * NR) * kc;
        int chunkBlocks = (int) Math.max(1, Math.min(kBlocks, packLimit / blockFloats));
        float[] packed = WORKSPACE.get().packed(Math.toIntExact(blockFloats * chunkBlocks));

        boolean par = parallel && 2L * m * n * k >= PARALLEL_FLOPS;
        int threads = par ? Parallel.threads() : 1;
        // the task grid: tiles of at most MC × NC, more of them until each thread has a few,
        // cutting the longer side; then panels spread evenly over the tasks of each side
        int rowTasks = ceilDiv(mPanels * MR, MC), colTasks = ceilDiv(nPanels * NR, NC);
        while ((long) rowTasks * colTasks < 4L * threads && (rowTasks < mPanels || colTasks < nPanels)) {
            boolean cutCols = colTasks < nPanels
                    && (rowTasks == mPanels || ceilDiv(nPanels, colTasks) * NR >= ceilDiv(mPanels, rowTasks) * MR);
            if (cutCols) colTasks++;
            else rowTasks++;
        }
        int mc = ceilDiv(mPanels, rowTasks) * MR, nc = ceilDiv(nPanels, colTasks) * NR;
        Chunk ch = new Chunk(transA, transB, m, n, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
                packed, mPanels, nPanels, kc, mc, nc);
        int tasks = ceilDiv(m, mc) * ceilDiv(n, nc), colTiles = ceilDiv(n, nc);
        for (int k0 = 0; k0 < k; k0 += chunkBlocks * kc) {
            int from = k0, kk = Math.min(chunkBlocks * kc, k - k0);
            boolean add = accumulate || k0 > 0;
            forRange(par, mPanels + nPanels, Parallel.grain(mPanels + nPanels, (long) NR * kk),
                    (s, e) -> ch.pack(s, e, from, kk));
            forRange(par, tasks, 1, (s, e) -> ch.compute(s, e, colTiles, kk, add));
        }
    }

    /** One call's operands, packed buffer and blocking; packs and computes one chunk of {@code k}. */
    private record Chunk(boolean transA, boolean transB, int m, int n,
                         float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float[] c, int cOff, int ldc,
                         float[] packed, int mPanels, int nPanels, int kc, int mc, int nc) {

        /** Packs panels {@code [s, e)} (A's row panels, then B's column panels) of columns {@code [k0, k0 + kk)}. */
        void pack(int s, int e, int k0, int kk) {
            if (s < mPanels) {
                int upTo = Math.min(e, mPanels);
                GemmPacking.packA(transA, a, aOff, lda, m, s * MR, upTo - s, k0, kk, packed, s * MR * kk);
            }
            if (e > mPanels) {
                int from = Math.max(s, mPanels) - mPanels;
                GemmPacking.packB(transB, b, bOff, ldb, n, from * NR, e - mPanels - from, k0, kk,
                        packed, mPanels * MR * kk + from * NR * kk);
            }
        }

        /** Tasks {@code [s, e)} of the grid: each adds the chunk's product into its {@code mc × nc} block of C. */
        void compute(int s, int e, int colTiles, int kk, boolean addToC) {
            float[] edge = WORKSPACE.get().edge;
            int bBase = mPanels * MR * kk;
            for (int t = s; t < e; t++) {
                int i0 = (t / colTiles) * mc, j0 = (t % colTiles) * nc;
                int i1 = Math.min(m, i0 + mc), j1 = Math.min(n, j0 + nc);
                for (int p0 = 0; p0 < kk; p0 += kc) {
                    int kb = Math.min(kc, kk - p0);
                    boolean add = addToC || p0 > 0;
                    for (int j = j0; j < j1; j += NR) {
                        int bi = bBase + j * kk + p0 * NR; // panel j / NR starts at (j / NR)·NR·kk
                        int cols = Math.min(NR, n - j);
                        for (int i = i0; i < i1; i += MR) {
                            GemmMicroKernel.tile(kb, packed, i * kk + p0 * MR, packed, bi,
                                    c, cOff + i * ldc + j, ldc, Math.min(MR, m - i), cols, add, edge);
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static void forRange(boolean parallel, int n, int grain, Parallel.Range body) {
        if (parallel) Parallel.forRange(n, grain, body);
        else body.run(0, n);
    }

    /** Checks that a (rows, cols) operand with row stride {@code ld} from {@code off} fits in {@code x}. */
    private static void checkOperand(String name, float[] x, int off, int ld, int rows, int cols,
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
