package dev.align4j.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Generator} shared by concurrent callers: one engine thread owns it, and requests from any
 * thread join its running batch (continuous batching across callers, as vLLM's engine core serves
 * its API server).
 *
 * <p>What it is: {@link #trySubmit} checks a request on the caller's thread, then hands it to the
 * engine thread, which admits it at its next step; listeners are called on the engine thread, so
 * they must be quick and must not block (a server puts the events on the connection's own queue).
 * Admission is bounded: at most {@code maxRequests} requests may be in flight (waiting or running);
 * past that {@link #trySubmit} returns false at once, and a server answers 429 instead of holding
 * unbounded memory. The engine thread sleeps when there is no work.
 *
 * <p>What it is not: fair beyond first come, first served, or a scheduler with priorities or
 * preemption.
 */
public final class GenerationService implements AutoCloseable {
    private final Generator generator;
    private final int maxRequests;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LinkedBlockingQueue<Pending> inbox = new LinkedBlockingQueue<>();
    private final Thread engine;
    private volatile boolean closed;

    /** Starts the engine thread for {@code generator}, admitting at most {@code maxRequests} requests at a time. */
    public GenerationService(Generator generator, int maxRequests) {
        if (maxRequests < 1) throw new IllegalArgumentException("GenerationService: maxRequests must be >= 1, got " + maxRequests);
        this.generator = generator;
        this.maxRequests = maxRequests;
        this.engine = Thread.ofPlatform().name("align4j-engine").daemon(true).start(this::run);
    }

    /** The generator's model's context length, vocabulary and so on are read through it. */
    public Generator generator() {
        return generator;
    }

    /**
     * Queues a request unless {@code maxRequests} are in flight; returns whether it was taken.
     *
     * @throws IllegalArgumentException when the request does not fit the model (see {@link Generator#check})
     * @throws IllegalStateException    after {@link #close}
     */
    public boolean trySubmit(Request request, Generator.Listener listener) {
        generator.check("request", request);
        if (closed) throw new IllegalStateException("GenerationService: closed");
        int n = request.params().n();
        if (inFlight.incrementAndGet() > maxRequests) {
            inFlight.decrementAndGet();
            return false;
        }
        AtomicInteger open = new AtomicInteger(n);
        Generator.Listener counted = new Generator.Listener() {
            @Override
            public boolean onToken(int index, int token) {
                return listener.onToken(index, token);
            }

            @Override
            public void onComplete(int index, Completion completion) {
                if (open.decrementAndGet() == 0) inFlight.decrementAndGet();
                listener.onComplete(index, completion);
            }

            @Override
            public void onError(RuntimeException error) {
                inFlight.decrementAndGet();
                listener.onError(error);
            }
        };
        synchronized (inbox) { // with close(): a request either precedes CLOSE in the inbox or is refused
            if (closed) {
                inFlight.decrementAndGet();
                throw new IllegalStateException("GenerationService: closed");
            }
            inbox.add(new Pending(request, counted));
        }
        return true;
    }

    /** Requests in flight: submitted and not finished. */
    public int inFlight() {
        return inFlight.get();
    }

    private record Pending(Request request, Generator.Listener listener) {}

    /** Marks the end of the inbox for {@link #close}. */
    private static final Pending CLOSE = new Pending(null, null);

    private void run() {
        List<Pending> arrived = new ArrayList<>();
        while (true) {
            try {
                if (!generator.hasWork()) arrived.add(inbox.take());
            } catch (InterruptedException e) {
                arrived.add(CLOSE);
            }
            inbox.drainTo(arrived);
            if (arrived.remove(CLOSE)) {
                RuntimeException closing = new IllegalStateException("GenerationService: closed");
                generator.abort(closing);
                for (Pending q : arrived) q.listener.onError(closing);
                for (Pending q : inbox) q.listener.onError(closing);
                return;
            }
            for (Pending p : arrived) generator.submit(p.request, p.listener);
            arrived.clear();
            try {
                if (generator.hasWork()) generator.step();
            } catch (RuntimeException e) {
                // step() has told the listener of every request it dropped; keep serving new ones
                System.err.println("align4j engine: generation failed: " + e);
            }
        }
    }

    /** Stops the engine thread; requests still in flight get {@link Generator.Listener#onError}. */
    @Override
    public void close() {
        synchronized (inbox) {
            if (closed) return;
            closed = true;
            inbox.add(CLOSE);
        }
        try {
            engine.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
