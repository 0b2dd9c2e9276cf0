package dev.align4j.train.rewards;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.align4j.io.JsonLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.align4j.train.rewards.Samples.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HttpScorer} against a local server on port 0: the request it sends, retries, timeouts and malformed answers. */
class HttpScorerTest {
    /** What the handler answers: a status and a body, given the attempt number (1-based) and the request body. */
    interface Reply {
        Object[] answer(int attempt, String request) throws Exception;
    }

    HttpServer server;
    ExecutorService executor;
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicReference<String> lastRequest = new AtomicReference<>();
    volatile Reply reply;
    URI url;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.createContext("/score", this::handle);
        server.start();
        url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/score");
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        lastRequest.set(request);
        int attempt = attempts.incrementAndGet();
        Object[] answer;
        try {
            answer = reply.answer(attempt, request);
        } catch (InterruptedException e) {
            exchange.close();
            return;
        } catch (Exception e) {
            answer = new Object[] {500, e.toString()};
        }
        byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders((Integer) answer[0], body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    HttpScorer scorer(Duration timeout, int retries) {
        return new HttpScorer("judge", url, timeout, retries, Duration.ofMillis(10));
    }

    static final List<RewardFunction.Sample> TWO = List.of(
            sample("What is 1+1?", "2", 3, false, "solution", "2"),
            sample("Name a colour.", "blue and then some", 40, true, "solution", "blue"));

    @Test
    void sendsTheBatchAndReadsTheRewards() throws Exception {
        // The server scores each completion by its length in characters, 1 and 18.
        reply = (attempt, request) -> {
            JsonNode json = JsonLines.MAPPER.readTree(request);
            StringBuilder r = new StringBuilder("{\"rewards\": [");
            for (JsonNode c : json.get("completions")) r.append(r.charAt(r.length() - 1) == '[' ? "" : ",").append(c.asText().length());
            return new Object[] {200, r.append("]}").toString()};
        };
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 0)) {
            assertEquals("judge", h.name());
            assertEquals(List.of(1.0, 18.0), h.score(TWO));
        }
        JsonNode sent = JsonLines.MAPPER.readTree(lastRequest.get());
        assertEquals("What is 1+1?", sent.get("prompts").get(0).asText());
        assertEquals("blue and then some", sent.get("completions").get(1).asText());
        assertEquals(40, sent.get("completion_lengths").get(1).asInt());
        assertTrue(sent.get("truncated").get(1).asBoolean());
        assertEquals("blue", sent.get("columns").get(1).get("solution").asText());
        assertEquals(2, sent.get("columns").size());
    }

    @Test
    void nullEntriesAreNotApplicable() {
        reply = (attempt, request) -> new Object[] {200, "{\"rewards\": [0.5, null]}"};
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 0)) {
            assertEquals(Arrays.asList(0.5, null), h.score(TWO));
        }
    }

    @Test
    void aServerErrorIsRetried() {
        reply = (attempt, request) -> attempt == 1 ? new Object[] {500, "overloaded"} : new Object[] {200, "{\"rewards\": [1, 0]}"};
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 2)) {
            assertEquals(List.of(1.0, 0.0), h.score(TWO));
        }
        assertEquals(2, attempts.get());
    }

    @Test
    void persistentServerErrorsNameTheUrlStatusAndBody() {
        reply = (attempt, request) -> new Object[] {503, "the GPU is on fire"};
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 1)) {
            var e = assertThrows(RewardUnavailableException.class, () -> h.score(TWO));
            assertTrue(e.getMessage().contains(url.toString()) && e.getMessage().contains("HTTP 503")
                    && e.getMessage().contains("the GPU is on fire") && e.getMessage().contains("2 attempts"), e.getMessage());
        }
        assertEquals(2, attempts.get());
    }

    @Test
    void clientErrorsAreNotRetried() {
        reply = (attempt, request) -> new Object[] {404, "no such route"};
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 3)) {
            var e = assertThrows(RewardUnavailableException.class, () -> h.score(TWO));
            assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("no such route"), e.getMessage());
        }
        assertEquals(1, attempts.get());
    }

    @Test
    void aSlowServerTimesOut() {
        reply = (attempt, request) -> {
            Thread.sleep(5_000);
            return new Object[] {200, "{\"rewards\": [1, 1]}"};
        };
        long start = System.nanoTime();
        try (HttpScorer h = scorer(Duration.ofMillis(200), 1)) {
            var e = assertThrows(RewardUnavailableException.class, () -> h.score(TWO));
            assertTrue(e.getMessage().contains("timed out") && e.getMessage().contains(url.toString())
                    && e.getMessage().contains("2 attempts"), e.getMessage());
        }
        assertEquals(2, attempts.get(), "a timeout is retried");
        assertTrue(System.nanoTime() - start < 4_000_000_000L, "gave up well before the server answered");
    }

    @Test
    void aRefusedConnectionIsRetriedThenReported() {
        server.stop(0);
        try (HttpScorer h = scorer(Duration.ofSeconds(2), 1)) {
            var e = assertThrows(RewardUnavailableException.class, () -> h.score(TWO));
            assertTrue(e.getMessage().contains(url.toString()) && e.getMessage().contains("2 attempts"), e.getMessage());
        }
    }

    @Test
    void malformedBodiesAreReported() {
        String[][] cases = {
                {"<html>oops</html>", "not JSON"},
                {"{\"scores\": [1, 2]}", "no \"rewards\" array"},
                {"{\"rewards\": [1]}", "1 rewards for 2 completions"},
                {"{\"rewards\": [1, \"high\"]}", "rewards[1] is STRING"},
        };
        for (String[] c : cases) {
            reply = (attempt, request) -> new Object[] {200, c[0]};
            attempts.set(0);
            try (HttpScorer h = scorer(Duration.ofSeconds(5), 2)) {
                var e = assertThrows(RewardUnavailableException.class, () -> h.score(TWO), c[0]);
                assertTrue(e.getMessage().contains("malformed") && e.getMessage().contains(c[1]) && e.getMessage().contains(url.toString())
                        && e.getMessage().contains(c[0].substring(0, 5)), e.getMessage());
            }
            assertEquals(1, attempts.get(), "a malformed body is not retried: " + c[0]);
        }
    }

    @Test
    void anEmptyBatchSendsNothing() {
        reply = (attempt, request) -> new Object[] {500, "should not be called"};
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 0)) {
            assertEquals(List.of(), h.score(List.of()));
        }
        assertEquals(0, attempts.get());
    }

    @Test
    void inRewardFunctionsAFailingServerNullsItsScoresAndTheRunGoesOn() {
        reply = (attempt, request) -> new Object[] {200, "not json"};
        try (HttpScorer h = scorer(Duration.ofSeconds(5), 0)) {
            RewardFunctions rf = new RewardFunctions(List.of(h, new FormatReward("\\d+")));
            RewardFunctions.Result r = rf.score(TWO);
            assertArrayEquals(new double[] {1, 0}, r.totals(), 1e-12);
            assertEquals(2, r.errorCount());
            assertTrue(r.errors().getFirst().contains("\"judge\"") && r.errors().getFirst().contains("malformed"), r.errors().getFirst());
            assertEquals(1, attempts.get());
        }
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HttpScorer("h", url, Duration.ZERO, 0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new HttpScorer("h", url, Duration.ofSeconds(1), -1, Duration.ZERO));
    }
}
