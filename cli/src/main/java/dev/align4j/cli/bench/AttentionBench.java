package dev.align4j.cli.bench;

import dev.align4j.tensor.Attention;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Linalg;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.Softmax;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.Parallel;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j bench attention}: the fused packed causal attention ({@link Attention#causal})
 * against the same math composed from the engine's own ops, forward + backward, time and memory.
 *
 * <p>What it is: for each T and segment count, the median wall time of forward + backward after
 * warm-up, and two memory figures measured in a separate pass — the heap the op keeps alive
 * between its forward and its backward (heap used after a full GC, after the forward minus before
 * it: the output and everything saved for the backward) and the bytes all threads allocate on the
 * heap during forward + backward (allocation churn: every temporary and gradient buffer). The
 * composed reference runs head-major (H, T, D) copies of the same inputs, batched over heads:
 * {@code S = (scale·Q)·Kᵀ + mask}, {@code P = softmax(S)}, {@code O = P·V}, with the (H, T, T)
 * mask of 0 and −∞ (causal, block-diagonal over segments) built outside the timed region; grouped
 * kv heads are repeated per query head there. What it is not: a FLOP/s measurement or a comparison
 * with another library.
 */
@Command(name = "attention",
        mixinStandardHelpOptions = true,
        description = "Fused packed causal attention vs. the same math from matmul + mask + softmax + matmul: "
                + "forward + backward time and memory.")
public final class AttentionBench implements Runnable {

    @Option(names = "--tokens", split = ",", defaultValue = "512,1024", description = "Token counts T (default: ${DEFAULT-VALUE}).")
    int[] tokens;

    @Option(names = "--segments", split = ",", defaultValue = "1",
            description = "Segment counts: T is cut into this many near-equal sequences (default: ${DEFAULT-VALUE}).")
    int[] segmentCounts;

    @Option(names = "--heads", defaultValue = "12", description = "Query heads H (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", description = "Key/value heads (default: as many as query heads).")
    Integer kvHeads;

    @Option(names = "--head-dim", defaultValue = "64", description = "Head size D (default: ${DEFAULT-VALUE}).")
    int headDim;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed warm-up runs, at least (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "3",
            description = "Keep warming up until this much time has passed, so the JIT has compiled the Vector API code "
                    + "(interpreted, it allocates every vector) (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Override
    public void run() {
        int nKv = kvHeads == null ? heads : kvHeads;
        System.out.printf("align4j bench attention: causal self-attention, forward + backward, H=%d query heads, %d kv heads, "
                + "D=%d, %d threads (system load average %.1f: the machine is shared, times are noisy)%n", heads, nKv, headDim,
                Parallel.threads(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println("  fused    = Attention.causal (tiled, keeps only the (T, H) logsumexp for the backward)");
        System.out.println("  composed = the same math from the engine's ops over (H, T, D): S = matmul(scale*Q, K^T) + mask, "
                + "P = softmax(S, -1), O = matmul(P, V)");
        System.out.printf("  time: median of %d runs after at least %d warm-up runs and %.0f s.%n", runs, warmup, warmupSeconds);
        System.out.println("  retained: heap live from before the forward to after it (full GCs around it) = what the op keeps "
                + "for its backward, output included.");
        System.out.println("  allocated: bytes allocated on the heap by all threads during forward + backward (temporaries, gradients).");
        System.out.println();
        System.out.printf("%6s %5s %10s %12s %8s | %14s %17s %7s | %13s %15s %7s | %10s%n", "T", "segs", "fused ms",
                "composed ms", "speedup", "fused retained", "composed retained", "ratio", "fused alloc", "composed alloc",
                "ratio", "max|dOut|");
        for (int t : tokens) {
            for (int segs : segmentCounts) {
                Case c = new Case(t, segs, heads, nKv, headDim);
                double fusedMs = medianMs(c::fused), composedMs = medianMs(c::composed);
                long[] fusedMem = memory(c::fusedForward, c.upstream, c::zeroFused);
                long[] composedMem = memory(c::composedForward, c.upstreamH, c::zeroComposed);
                System.out.printf("%6d %5d %10.1f %12.1f %7.1fx | %14s %17s %6.1fx | %13s %15s %6.1fx | %10.2e%n", t, segs,
                        fusedMs, composedMs, composedMs / fusedMs, mib(fusedMem[0]), mib(composedMem[0]),
                        (double) composedMem[0] / fusedMem[0], mib(fusedMem[1]), mib(composedMem[1]),
                        (double) composedMem[1] / fusedMem[1], c.maxOutputDifference());
            }
        }
    }

    /** One problem: token-major inputs for the fused op, head-major copies and the mask for the composed one. */
    private static final class Case {
        final int t, nHead, nKv, d;
        final PackedSegments segments;
        final float scale;
        final Tensor q, k, v, upstream;                  // (T, H, D), (T, Hkv, D), (T, Hkv, D), (T, H, D)
        final Tensor qh, kh, vh, upstreamH, scaleH, mask; // (H, T, D) ×3, (H, T, D), (H, T, D), (H, T, T)

        Case(int t, int segs, int nHead, int nKv, int d) {
            if (segs < 1 || segs > t || nKv < 1 || nHead % nKv != 0) {
                throw new IllegalArgumentException("bench attention: need 1 ≤ segments ≤ T and heads a multiple of kv heads; got T="
                        + t + ", segments=" + segs + ", heads=" + nHead + ", kv heads=" + nKv);
            }
            this.t = t;
            this.nHead = nHead;
            this.nKv = nKv;
            this.d = d;
            int[] lengths = new int[segs];
            for (int s = 0; s < segs; s++) lengths[s] = t / segs + (s < t % segs ? 1 : 0);
            segments = PackedSegments.ofLengths(lengths);
            scale = (float) (1 / Math.sqrt(d));
            q = Tensor.randn(1, t, nHead, d).requiresGrad(true);
            k = Tensor.randn(2, t, nKv, d).requiresGrad(true);
            v = Tensor.randn(3, t, nKv, d).requiresGrad(true);
            upstream = Tensor.randn(4, t, nHead, d);
            qh = headMajor(q, nHead, 1).requiresGrad(true);
            kh = headMajor(k, nHead, nHead / nKv).requiresGrad(true);
            vh = headMajor(v, nHead, nHead / nKv).requiresGrad(true);
            upstreamH = headMajor(upstream, nHead, 1);
            scaleH = Tensor.full(scale, nHead, t, d);
            float[] m = new float[nHead * t * t];
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            int[] offsets = segments.offsets();
            for (int h = 0; h < nHead; h++)
                for (int s = 0; s + 1 < offsets.length; s++)
                    for (int i = offsets[s]; i < offsets[s + 1]; i++) {
                        int row = (h * t + i) * t;
                        Arrays.fill(m, row + offsets[s], row + i + 1, 0f); // segment start ≤ j ≤ i
                    }
            mask = Tensor.of(m, nHead, t, t);
        }

        Tensor fusedForward() {
            return Attention.causal(q, k, v, segments, scale);
        }

        Tensor composedForward() {
            Tensor scores = Elementwise.add(Linalg.matmul(Elementwise.mul(qh, scaleH), kh, false, true), mask); // (H, T, T)
            return Linalg.matmul(Softmax.softmax(scores, -1), vh);                                              // (H, T, D)
        }

        void zeroFused() {
            q.zeroGrad();
            k.zeroGrad();
            v.zeroGrad();
        }

        void zeroComposed() {
            qh.zeroGrad();
            kh.zeroGrad();
            vh.zeroGrad();
        }

        void fused() {
            zeroFused();
            fusedForward().backward(upstream);
        }

        void composed() {
            zeroComposed();
            composedForward().backward(upstreamH);
        }

        /** The largest |fused − composed| over the outputs, a check that both compute the same thing. */
        double maxOutputDifference() {
            Tensor a, b;
            Autograd.Scope noGrad = Autograd.noGrad();
            try {
                a = fusedForward();
                b = composedForward();
            } finally {
                noGrad.close();
            }
            double max = 0;
            for (int i = 0; i < t; i++)
                for (int h = 0; h < nHead; h++)
                    for (int c = 0; c < d; c++) max = Math.max(max, Math.abs(a.get(i, h, c) - b.get(h, i, c)));
            return max;
        }

        /** (T, Hx, D) → (H, T, D), head h holding head h / repeat of x. */
        private static Tensor headMajor(Tensor x, int nHead, int repeat) {
            int t = x.dim(0), hx = x.dim(1), d = x.dim(2);
            float[] src = x.toArray(), dst = new float[nHead * t * d];
            for (int h = 0; h < nHead; h++)
                for (int i = 0; i < t; i++) System.arraycopy(src, (i * hx + h / repeat) * d, dst, (h * t + i) * d, d);
            return Tensor.of(dst, nHead, t, d);
        }
    }

    private double medianMs(Runnable body) {
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) body.run();
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            body.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    }

    /**
     * {retained, allocated} bytes of one forward + backward, see the class comment; the bytes the
     * measuring itself allocates (between the forward and the backward) are left out.
     */
    private static long[] memory(Supplier<Tensor> forward, Tensor upstream, Runnable zeroGrad) {
        zeroGrad.run();
        forward.get().backward(upstream); // the inputs' gradient buffers exist from here on, in both variants
        zeroGrad.run();
        long used0 = heapAfterGc(), alloc0 = allocated();
        Tensor out = forward.get();
        long allocForward = allocated() - alloc0;
        long retained = heapAfterGc() - used0;
        long alloc1 = allocated();
        out.backward(upstream);
        return new long[] {retained, allocForward + allocated() - alloc1};
    }

    private static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
