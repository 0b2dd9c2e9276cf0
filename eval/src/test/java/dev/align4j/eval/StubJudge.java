package dev.align4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * An OpenAI-compatible chat endpoint for tests: {@code POST /v1/chat/completions} answers the last
 * user message with {@code reply}; a judge with a known rule, so the judged results are known.
 */
final class StubJudge implements AutoCloseable {
    private final HttpServer server;
    final AtomicInteger requests = new AtomicInteger();

    StubJudge(UnaryOperator<String> reply) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            requests.incrementAndGet();
            JsonNode body = JsonLines.MAPPER.readTree(exchange.getRequestBody());
            JsonNode messages = body.get("messages");
            String user = messages.get(messages.size() - 1).get("content").asText();
            ObjectNode answer = JsonLines.MAPPER.createObjectNode();
            answer.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", reply.apply(user));
            byte[] bytes = JsonLines.MAPPER.writeValueAsBytes(answer);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The text between {@code open} and {@code close} in {@code s}. */
    static String between(String s, String open, String close) {
        int a = s.indexOf(open) + open.length();
        return s.substring(a, s.indexOf(close, a));
    }

    static String answerA(String prompt) {
        return between(prompt, "[Assistant A's answer]\n", "\n[End of Assistant A's answer]");
    }

    static String answerB(String prompt) {
        return between(prompt, "[Assistant B's answer]\n", "\n[End of Assistant B's answer]");
    }

    @Override
    public void close() {
        server.stop(0);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
