package dev.align4j.train.judges;

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
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link OpenAiChatBackend} against a stub OpenAI-compatible server on port 0. */
class OpenAiChatBackendTest {
    /** What the stub answers: a status and a body, given the attempt number (1-based) and the request body. */
    interface Reply {
        Object[] answer(int attempt, String request) throws Exception;
    }

    HttpServer server;
    ExecutorService executor;
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicReference<String> lastRequest = new AtomicReference<>();
    final AtomicReference<String> lastAuthorization = new AtomicReference<>();
    final AtomicReference<String> lastPath = new AtomicReference<>();
    volatile Reply reply;
    URI base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        lastRequest.set(request);
        lastAuthorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
        lastPath.set(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
        int attempt = attempts.incrementAndGet();
        Object[] answer;
        try {
            answer = reply.answer(attempt, request);
        } catch (Exception e) {
            answer = new Object[] {500, e.toString()};
        }
        byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders((Integer) answer[0], body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    static String completion(String content) {
        var root = JsonLines.MAPPER.createObjectNode();
        root.put("object", "chat.completion");
        root.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", content);
        return root.toString();
    }

    OpenAiChatBackend backend(URI url, String key, int retries) {
        return new OpenAiChatBackend(url, key, "judge-model", 64, Duration.ofSeconds(2), retries, Duration.ofMillis(10));
    }

    static final List<List<Message>> ONE = List.of(List.of(Message.system("Be fair."), Message.user("A or B?")));

    @Test
    void sendsAChatCompletionRequestAndReadsTheContent() throws Exception {
        reply = (attempt, request) -> new Object[] {200, completion("answer " + attempt + " [[A]]")};
        try (var b = backend(base, "sk-test", 0)) {
            assertEquals(URI.create(base + "/v1/chat/completions"), b.url());
            List<String> out = b.complete(List.of(ONE.getFirst(), List.of(Message.user("second"))));
            assertEquals(List.of("answer 1 [[A]]", "answer 2 [[A]]"), out, "one request per conversation, in order");
        }
        assertEquals("POST /v1/chat/completions", lastPath.get());
        assertEquals("Bearer sk-test", lastAuthorization.get());
        JsonNode sent = JsonLines.MAPPER.readTree(lastRequest.get());
        assertEquals("judge-model", sent.get("model").asText());
        assertEquals(0, sent.get("temperature").asDouble());
        assertTrue(sent.get("temperature").isNumber());
        assertEquals(64, sent.get("max_tokens").asInt());
        assertEquals(1, sent.get("messages").size());
        assertEquals("user", sent.get("messages").get(0).get("role").asText());
        assertEquals("second", sent.get("messages").get(0).get("content").asText());
    }

    @Test
    void theMessagesGoInOrderWithTheirRoles() throws Exception {
        reply = (attempt, request) -> new Object[] {200, completion("ok")};
        try (var b = backend(base, null, 0)) {
            b.complete(ONE);
        }
        JsonNode messages = JsonLines.MAPPER.readTree(lastRequest.get()).get("messages");
        assertEquals("system", messages.get(0).get("role").asText());
        assertEquals("Be fair.", messages.get(0).get("content").asText());
        assertEquals("A or B?", messages.get(1).get("content").asText());
        assertNull(lastAuthorization.get(), "no key, no Authorization header");
    }

    @Test
    void theBaseUrlMayEndWithV1OrASlash() {
        assertEquals(URI.create("http://h:8000/v1/chat/completions"), OpenAiChatBackend.endpoint(URI.create("http://h:8000")));
        assertEquals(URI.create("http://h:8000/v1/chat/completions"), OpenAiChatBackend.endpoint(URI.create("http://h:8000/")));
        assertEquals(URI.create("https://api.openai.com/v1/chat/completions"), OpenAiChatBackend.endpoint(URI.create("https://api.openai.com/v1")));
        assertEquals(URI.create("https://api.openai.com/v1/chat/completions"), OpenAiChatBackend.endpoint(URI.create("https://api.openai.com/v1/")));
        assertEquals(URI.create("http://h/proxy/v1/chat/completions"), OpenAiChatBackend.endpoint(URI.create("http://h/proxy/v1/chat/completions")));
    }

    @Test
    void serviceUnavailableTwiceThenOkSucceeds() {
        reply = (attempt, request) -> attempt <= 2 ? new Object[] {503, "loading model"} : new Object[] {200, completion("[[B]]")};
        try (var b = backend(base.resolve("/v1"), null, 3)) {
            assertEquals(List.of("[[B]]"), b.complete(ONE));
        }
        assertEquals(3, attempts.get());
    }

    @Test
    void rateLimitsAreRetriedThenReportedWithStatusAndBody() {
        reply = (attempt, request) -> new Object[] {429, "{\"error\": {\"message\": \"Rate limit reached\"}}"};
        try (var b = backend(base, "k", 2)) {
            var e = assertThrows(JudgeUnavailableException.class, () -> b.complete(ONE));
            assertTrue(e.getMessage().contains(b.url().toString()) && e.getMessage().contains("HTTP 429")
                    && e.getMessage().contains("Rate limit reached") && e.getMessage().contains("3 attempts"), e.getMessage());
        }
        assertEquals(3, attempts.get());
    }

    @Test
    void aClientErrorIsNotRetried() {
        reply = (attempt, request) -> new Object[] {401, "{\"error\": \"invalid api key\"}"};
        try (var b = backend(base, "wrong", 3)) {
            var e = assertThrows(JudgeUnavailableException.class, () -> b.complete(ONE));
            assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("invalid api key")
                    && e.getMessage().contains("judge-model"), e.getMessage());
        }
        assertEquals(1, attempts.get());
    }

    @Test
    void anUnreachableServerFailsFastAfterItsRetriesNamingTheUrl() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        URI dead = URI.create("http://127.0.0.1:" + port);
        long start = System.nanoTime();
        try (var b = backend(dead, null, 2)) {
            var e = assertThrows(JudgeUnavailableException.class, () -> b.complete(ONE));
            assertTrue(e.getMessage().contains(dead + "/v1/chat/completions") && e.getMessage().contains("3 attempts"), e.getMessage());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 3, "gave up after " + seconds + " s");
    }

    @Test
    void malformedBodiesAreClearErrorsAndNotRetried() {
        String[][] cases = {
                {"<html>Bad Gateway page</html>", "not JSON"},
                {"{\"object\": \"error\"}", "no \"choices\" array"},
                {"{\"choices\": []}", "no \"choices\" array"},
                {"{\"choices\": [{\"text\": \"legacy\"}]}", "no \"message\" object"},
                {"{\"choices\": [{\"message\": {\"content\": 7}}]}", "content is NUMBER"},
        };
        for (String[] c : cases) {
            reply = (attempt, request) -> new Object[] {200, c[0]};
            attempts.set(0);
            try (var b = backend(base, null, 2)) {
                var e = assertThrows(JudgeUnavailableException.class, () -> b.complete(ONE), c[0]);
                assertTrue(e.getMessage().contains("malformed") && e.getMessage().contains(c[1]) && e.getMessage().contains(b.url().toString())
                        && e.getMessage().contains(c[0].substring(0, 8)), e.getMessage());
            }
            assertEquals(1, attempts.get(), "a malformed body is not retried: " + c[0]);
        }
    }

    @Test
    void aNullContentReadsAsTheRefusalOrEmpty() {
        reply = (attempt, request) -> new Object[] {200, attempt == 1
                ? "{\"choices\": [{\"message\": {\"content\": null, \"refusal\": \"I can't judge this.\"}}]}"
                : "{\"choices\": [{\"message\": {\"content\": null}}]}"};
        try (var b = backend(base, null, 0)) {
            assertEquals(List.of("I can't judge this.", ""), b.complete(List.of(ONE.getFirst(), ONE.getFirst())));
        }
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new OpenAiChatBackend(base, null, " ", 10, Duration.ofSeconds(1), 0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new OpenAiChatBackend(base, null, "m", 0, Duration.ofSeconds(1), 0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new OpenAiChatBackend(base, null, "m", 10, Duration.ZERO, 0, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new OpenAiChatBackend(base, null, "m", 10, Duration.ofSeconds(1), -1, Duration.ZERO));
    }

    @Test
    void aJudgeOverHttpGivesVerdicts() {
        // End to end: the stub prefers whichever answer mentions "good", wherever it sits.
        reply = (attempt, request) -> {
            String user = JsonLines.MAPPER.readTree(request).get("messages").get(1).get("content").asText();
            return new Object[] {200, completion(user.indexOf("good") < user.indexOf("poor") ? "[[A]]" : "[[B]]")};
        };
        try (var judge = new LlmPairwiseJudge(backend(base, null, 0))) {
            assertEquals(List.of(Verdict.SECOND, Verdict.FIRST), judge.judge(List.of(
                    new Comparison("Say hi.", "a poor hi", "a good hi"),
                    new Comparison("Say bye.", "a good bye", "a poor bye"))));
        }
        assertEquals(4, attempts.get());
    }
}
