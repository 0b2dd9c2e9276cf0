package dev.align4j.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The float arrays of one inference step's new tensors, handed out again in the next step: while
 * a step is open on a thread ({@link #open}), {@link Tensor#zeros} there takes an array of the
 * right length that the previous step used, zeroed, instead of a new one (an output its
 * operation writes whole — a product's, a norm's, an elementwise or shape operation's, cached
 * attention's — takes one without zeroing: {@link #overwritten}).
 *
 * <p>Why (DESIGN: "reuse memory"): a batch-32 decode step of GPT-2 124M makes about 40 MB of
 * activations and logits and drops them. New arrays come from fresh parts of a large young
 * generation, memory these virtual machines have often taken back and fault in again, and every
 * few hundred steps a collection copies whatever else is live (caches, prompts); reusing the same
 * arrays keeps them warm and makes no garbage. GPT-2 124M, frozen BF16, batch 32, 2 threads, 62
 * decode steps a round, 3 alternating runs of 6 rounds each: without, 58-138 ms a step, 6 of 18
 * rounds above 90 ms; with, 61-74 ms, none above 75.
 *
 * <p>Lifetime: an array handed out in step {@code s} is given out again from step {@code s + 1}
 * on, so nothing made inside a step may be read after the next step opens — the engine reads a
 * step's logits before it starts the next one, and storage that must outlive its step (a KV
 * cache) is made with {@link Tensor#of} around a new array instead. Arrays the last step did not
 * take again are dropped, so at most two steps' arrays are held. Not thread-safe: one owner, the
 * thread that opens it (the kernel pool's threads do not make tensors).
 */
public final class StepBuffers {
    private static final ThreadLocal<StepBuffers> OPEN = new ThreadLocal<>();

    private Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private List<float[]> lent = new ArrayList<>();

    /** What {@link #open} returns: closing it ends the step on this thread (its arrays stay lent until the next one). */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Opens a step on this thread: the arrays the last step took are free again, the ones it left are dropped. */
    public Scope open() {
        Map<Integer, ArrayDeque<float[]>> again = new HashMap<>();
        for (float[] a : lent) again.computeIfAbsent(a.length, n -> new ArrayDeque<>()).push(a);
        free = again;
        lent = new ArrayList<>();
        StepBuffers before = OPEN.get();
        OPEN.set(this);
        return () -> OPEN.set(before);
    }

    /** A zeroed array of {@code n} floats: reused from the last step when a step is open on this thread, else new. */
    static float[] zeros(int n) {
        return take(n, true);
    }

    /**
     * {@link #zeros} for an array its taker overwrites whole before reading it (an operation's
     * output): a reused one keeps the last step's values. Why: zeroing runs on the calling thread
     * alone while the pool waits. GPT-2's batch-32 logits (6.4 MB) were 1.2% of a decode step's
     * samples (JFR); zeroing the other outputs (GELU's, the norms', the residual adds', the
     * attention's) then took 2% of the calling thread's samples, and taking them unzeroed made
     * batch-32 BF16 steps 2-7% faster (three alternating runs, medians 47.7-49.2 ms against 44.4-48.2).
     */
    static float[] overwritten(int n) {
        return take(n, false);
    }

    private static float[] take(int n, boolean zeroed) {
        StepBuffers step = OPEN.get();
        if (step == null) return new float[n];
        ArrayDeque<float[]> same = step.free.get(n);
        float[] a = same == null ? null : same.poll();
        if (a == null) a = new float[n];
        else if (zeroed) Arrays.fill(a, 0f);
        step.lent.add(a);
        return a;
    }
}
