package dev.align4j.tensor.kernels;

import static dev.align4j.tensor.kernels.GemmMicroKernel.NR;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Weights kept packed for the products of a batched decode step: for each frozen float32 matrix
 * that a product of more than {@link SkinnyKernels#ROWS} rows and at most {@link SkinnyGemm#MAX_M}
 * multiplies while these panels are open ({@link #open}), {@code op(B)} packed once, the first
 * time, in the micro-panels {@link GemmMicroKernel#tile} reads ({@code NR} columns by one block of
 * depth, panel after panel, block after block: {@link GemmPacking#packB}'s layout), then read in
 * place by every later step instead of packed again.
 *
 * <p>Why: at batch 32 a decode step is bound by packing B, not by the tiles — packing reads the
 * weights strided, at about half the rate a contiguous stream reaches, and does not overlap with
 * the arithmetic. Streamed from a packed copy, GPT-2 124M's batch-32 step (12 layers and the tied
 * head, 2 threads, same run) went from 90-100 ms to 75-80. The products are bit-identical: the same
 * tile, the same block boundaries ({@link Gemm#blockDepth}), the blocks added in the same order.
 *
 * <p>What it costs: a second copy of every packed matrix while the panels live (GPT-2 124M: 497 MB
 * float32). Whose weights: only arrays named when the panels were made, which the owner promises
 * not to change while they live — the generation engine names the float32 parameters that take no
 * gradient (a frozen model, or the base under LoRA adapters), never the ones being trained. What it
 * is not: for few-row products (they stream B in place at the read bandwidth already), BF16 or
 * 4-bit weights (already half or an eighth of the size; a packed float32 copy would double or
 * octuple them), or big products ({@link Gemm} packs per block).
 */
public final class DecodePanels {
    private static final ThreadLocal<DecodePanels> OPEN = new ThreadLocal<>();

    private final Set<float[]> frozen = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<float[], float[]> packed = new IdentityHashMap<>(), packedTransposed = new IdentityHashMap<>();

    /** Panels for the given arrays (each the whole storage of a weight matrix that will not change while these live). */
    public DecodePanels(Iterable<float[]> frozenWeights) {
        for (float[] w : frozenWeights) frozen.add(w);
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
        if (p == null || m <= SkinnyKernels.ROWS || bOff != 0 || ldb != (transB ? k : n) || b.length != k * n) return null;
        return p.packedFor(transB, b, k, n);
    }

    private synchronized float[] packedFor(boolean transB, float[] b, int k, int n) {
        if (!frozen.contains(b)) return null;
        return (transB ? packedTransposed : packed).computeIfAbsent(b, x -> pack(transB, x, k, n));
    }

    /** {@code op(B)} in panels of {@code NR} columns (the last zero-padded), each panel block after block of depth. */
    private static float[] pack(boolean transB, float[] b, int k, int n) {
        int kc = Gemm.blockDepth(k), panels = Math.ceilDiv(n, NR);
        float[] out = new float[Math.multiplyExact(panels * NR, k)];
        Parallel.forRange(panels, 1, (s, e) -> {
            for (int q = s; q < e; q++) {
                for (int p0 = 0; p0 < k; p0 += kc) {
                    GemmPacking.packB(transB, b, 0, transB ? k : n, n, q * NR, 1, p0, Math.min(kc, k - p0), out, at(q, p0, k));
                }
            }
        });
        return out;
    }

    /** Where block {@code p0} of panel {@code q} starts in the packed copy of a depth-{@code k} matrix. */
    static int at(int q, int p0, int k) {
        return q * NR * k + p0 * NR;
    }
}
