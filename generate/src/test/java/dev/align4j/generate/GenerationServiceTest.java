package dev.align4j.generate;

import dev.align4j.models.CausalLM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine thread under concurrent callers: same completions as alone, bounded admission, clean shutdown. */
class GenerationServiceTest {

    /** A listener collecting one request's completions into a future. */
    static class Collect implements Generator.Listener {
        final Completion[] done;
        final CompletableFuture<List<Completion>> result = new CompletableFuture<>();
        int left;

        Collect(int n) {
            done = new Completion[n];
            left = n;
        }

        @Override
        public void onComplete(int index, Completion completion) {
            done[index] = completion;
            if (--left == 0) result.complete(List.of(done));
        }

        @Override
        public void onError(RuntimeException error) {
            result.completeExceptionally(error);
        }
    }

    @Test
    void concurrentCallersGetWhatEachRequestGivesAlone() throws Exception {
        CausalLM m = GeneratorTest.model("llama");
        List<Request> requests = new ArrayList<>();
        for (int r = 0; r < 24; r++) {
            requests.add(new Request(GeneratorTest.ids(300 + r, 1 + r % 11, m.vocabSize()),
                    r % 3 == 0 ? SamplingParams.greedy(2 + r % 9) : SamplingParams.sample(1 + r % 2, 3 + r % 8, 0.8, r)));
        }
        List<List<Completion>> alone = new ArrayList<>();
        for (Request r : requests) alone.add(new Generator(m, 1).generate(List.of(r)).getFirst());
        try (GenerationService service = new GenerationService(new Generator(m, 6), 100);
             ExecutorService callers = Executors.newFixedThreadPool(8)) {
            List<Future<List<Completion>>> futures = new ArrayList<>();
            for (Request r : requests) {
                futures.add(callers.submit(() -> {
                    Collect c = new Collect(r.params().n());
                    assertTrue(service.trySubmit(r, c));
                    return c.result.get(60, TimeUnit.SECONDS);
                }));
            }
            for (int r = 0; r < requests.size(); r++) {
                List<Completion> got = futures.get(r).get();
                for (int i = 0; i < got.size(); i++) {
                    assertArrayEquals(alone.get(r).get(i).tokenIds(), got.get(i).tokenIds(), "request " + r + " completion " + i);
                }
            }
            assertEquals(0, service.inFlight());
        }
    }

    @Test
    void pastMaxRequestsInFlightSubmissionsAreRefusedUntilOneFinishes() throws Exception {
        CausalLM m = GeneratorTest.model("gpt2");
        CountDownLatch release = new CountDownLatch(1);
        try (GenerationService service = new GenerationService(new Generator(m, 4), 1)) {
            Collect first = new Collect(1) {
                @Override
                public boolean onToken(int index, int token) {
                    try { // holds the engine thread so that the request stays in flight while the test submits
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return false;
                }
            };
            assertTrue(service.trySubmit(new Request(new int[] {1, 2}, SamplingParams.greedy(3)), first));
            Collect refused = new Collect(1);
            assertFalse(service.trySubmit(new Request(new int[] {3}, SamplingParams.greedy(3)), refused));
            release.countDown();
            assertEquals(3, first.result.get(30, TimeUnit.SECONDS).getFirst().tokenIds().length);
            Collect later = new Collect(1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (service.inFlight() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertTrue(service.trySubmit(new Request(new int[] {3}, SamplingParams.greedy(3)), later));
            assertEquals(3, later.result.get(30, TimeUnit.SECONDS).getFirst().tokenIds().length);
            assertFalse(refused.result.isDone(), "a refused request is never run");
        }
    }

    @Test
    @Timeout(60)
    void badRequestsFailOnTheCallersThreadAndCloseFailsWhatIsInFlight() throws Exception {
        CausalLM m = GeneratorTest.model("llama"); // a context of 512 tokens
        GenerationService service = new GenerationService(new Generator(m, 2), 8);
        assertThrows(IllegalArgumentException.class, () -> service.trySubmit(new Request(new int[0], SamplingParams.greedy(2)), new Collect(1)));
        CountDownLatch started = new CountDownLatch(1), closing = new CountDownLatch(1);
        AtomicReference<Thread> engine = new AtomicReference<>();
        Collect endless = new Collect(1) {
            @Override
            public boolean onToken(int index, int token) {
                if (engine.getAndSet(Thread.currentThread()) == null) {
                    started.countDown();
                    try { // the first token waits until close() has begun
                        closing.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return false;
            }
        };
        assertTrue(service.trySubmit(new Request(new int[] {5}, SamplingParams.greedy(500)), endless));
        started.await();
        Thread closer = Thread.ofPlatform().start(service::close);
        while (true) { // close() has begun once submissions are refused
            try {
                service.trySubmit(new Request(new int[] {5}, SamplingParams.greedy(2)), new Collect(1));
            } catch (IllegalStateException refused) {
                break;
            }
        }
        closing.countDown();
        closer.join();
        var e = assertThrows(ExecutionException.class, () -> endless.result.get(30, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertFalse(engine.get().isAlive());
    }
}
