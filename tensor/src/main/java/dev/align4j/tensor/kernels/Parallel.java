package dev.align4j.tensor.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread pool the kernels share, sized to the machine's cores (system property
 * {@code align4j.threads} overrides it).
 *
 * <p>Work is split into tasks of fixed boundaries that depend only on the problem size and the
 * grain, never on the thread count, and every task writes disjoint outputs. So a kernel that
 * reduces inside one task gives bit-identical results whatever the number of threads. The
 * calling thread works too; idle workers spin briefly and then park, so back-to-back kernels
 * don't pay a wake-up each.
 */
public final class Parallel {
    private Parallel() {}

    /** A body run on the half-open range {@code [start, end)} of task indices or rows. */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static final int THREADS = Integer.getInteger("align4j.threads", Runtime.getRuntime().availableProcessors());
    private static final Pool POOL = THREADS > 1 ? new Pool(THREADS - 1) : null;

    /** Number of threads kernels use (the caller included). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over {@code [0, n)} cut into chunks of {@code grain} items (the last may be
     * shorter). Chunks run in any order on any thread; each must write only its own outputs.
     */
    public static void forRange(int n, int grain, Range body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int chunks = (n + g - 1) / g;
        if (chunks == 1 || POOL == null || POOL.busy()) { // nested calls run inline
            body.run(0, n);
            return;
        }
        POOL.run(chunks, c -> body.run(c * g, Math.min(n, (c + 1) * g)));
    }

    /** Runs {@code task(i)} for {@code i} in {@code [0, count)}, spread over the pool. */
    public static void forEach(int count, IntConsumer task) {
        if (count <= 0) return;
        if (count == 1 || POOL == null || POOL.busy()) {
            for (int i = 0; i < count; i++) task.accept(i);
            return;
        }
        POOL.run(count, task);
    }

    /** A grain that gives each thread a few chunks of about {@code workPerItem * grain >= 32k} operations. */
    public static int grain(int n, long workPerItem) {
        long minItems = Math.max(1, 32_768 / Math.max(1, workPerItem));
        long perThread = Math.max(1, (n + 4L * THREADS - 1) / (4L * THREADS));
        return (int) Math.max(minItems, perThread);
    }

    /** Workers that take task indices from a shared counter; the submitting thread takes them too. */
    private static final class Pool {
        private final Thread[] workers;
        private volatile Job job;
        private final AtomicInteger generation = new AtomicInteger();
        private volatile boolean running;

        private record Job(int count, IntConsumer task, AtomicInteger next, AtomicInteger done,
                           AtomicReference<Throwable> failure) {}

        Pool(int n) {
            workers = new Thread[n];
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(this::work, "align4j-kernel-" + (i + 1));
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        boolean busy() {
            return running;
        }

        synchronized void run(int count, IntConsumer task) {
            Job j = new Job(count, task, new AtomicInteger(), new AtomicInteger(), new AtomicReference<>());
            running = true;
            job = j;
            generation.incrementAndGet();
            for (Thread w : workers) LockSupport.unpark(w);
            try {
                drain(j);
                while (j.done.get() < count) Thread.onSpinWait();
            } finally {
                job = null;
                running = false;
            }
            Throwable failure = j.failure.get();
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        }

        private static void drain(Job j) {
            int i;
            while ((i = j.next.getAndIncrement()) < j.count) {
                try {
                    if (j.failure.get() == null) j.task.accept(i);
                } catch (Throwable t) {
                    j.failure.compareAndSet(null, t);
                } finally {
                    j.done.incrementAndGet();
                }
            }
        }

        private void work() {
            int seen = 0;
            while (true) {
                int spins = 0;
                while (generation.get() == seen) {
                    if (++spins < 20_000) Thread.onSpinWait();
                    else LockSupport.parkNanos(this, 200_000);
                }
                seen = generation.get();
                Job j = job;
                if (j != null) drain(j);
            }
        }
    }
}
