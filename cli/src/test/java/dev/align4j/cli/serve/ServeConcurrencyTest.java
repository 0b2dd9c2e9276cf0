package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.align4j.cli.serve.ServeTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 64 requests at once — chat and completions, streaming and not, greedy and seeded sampling with
 * every processor, n = 2, several prompts in one request, stop strings, log-probs — through a real
 * HTTP client, against a server whose engine decodes at most 8 sequences per step, so requests wait,
 * join and leave the running batch. The engine is batch-invariant, so each answer must equal, to the
 * bit, the answer to the same request sent alone; each streamed answer must equal the non-streamed
 * one (text pieces concatenated, finish reason, log-probs).
 */
class ServeConcurrencyTest {
    private static final String[] PROMPTS = {"Once upon a time", "Tom had a dog", "The sun was", "Lily and Ben went to the park.",
            "One day, a little bird"};

    private static TextModel text;
    private static OpenAiServer server;

    @BeforeAll
    static void startServer(@TempDir Path dir) throws Exception {
        text = storiesWithChatTemplate(dir);
        server = start(text, "--max-num-seqs", "8", "--max-queued-requests", "128");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
        if (text != null) text.close();
    }

    /** Request {@code i} of 32, as a JSON body without "stream"; even ones are chat. */
    static ObjectNode body(int i) {
        ObjectNode b = Json.MAPPER.createObjectNode();
        b.put("model", "stories260K");
        String prompt = PROMPTS[i % PROMPTS.length];
        if (i % 2 == 0) {
            b.putArray("messages").addObject().put("role", "user").put("content", prompt);
        } else if (i % 8 == 3) {
            b.putArray("prompt").add(1).add(403).add(407);
        } else if (i % 8 == 5) {
            b.putArray("prompt").add(prompt).add(PROMPTS[(i + 1) % PROMPTS.length]);
        } else {
            b.put("prompt", prompt);
        }
        b.put("max_tokens", 6 + (i * 7) % 40);
        if (i % 4 == 0) {
            b.put("temperature", 0);
        } else {
            b.put("temperature", 0.7 + 0.1 * (i % 3));
            b.put("seed", 1000 + i);
            if (i % 3 == 0) b.put("top_p", 0.9);
            if (i % 5 == 0) b.put("top_k", 20);
            if (i % 7 == 0) b.put("min_p", 0.05);
            if (i % 6 == 1) b.put("repetition_penalty", 1.1);
        }
        if (i % 5 == 2) b.put("n", 2);
        if (i % 6 == 3) b.putArray("stop").add(".").add(" the");
        if (i % 8 == 1) b.put("logprobs", 0);
        if (i % 8 == 6) b.put("logprobs", true);
        return b;
    }

    static HttpRequest request(ObjectNode body, boolean stream) {
        ObjectNode b = body.deepCopy();
        b.put("stream", stream);
        String path = b.has("messages") ? "/v1/chat/completions" : "/v1/completions";
        return ServeTesting.request(server, path).POST(HttpRequest.BodyPublishers.ofString(b.toString())).build();
    }

    static List<Choice> read(HttpResponse<String> response, ObjectNode body, boolean stream) {
        assertEquals(200, response.statusCode(), response.body());
        boolean chat = body.has("messages");
        if (stream) {
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            return streamedChoices(events(response.body()), chat);
        }
        ObjectNode json = json(response.body());
        assertEquals(chat ? "chat.completion" : "text_completion", json.get("object").asText());
        assertEquals("stories260K", json.get("model").asText());
        ObjectNode usage = (ObjectNode) json.get("usage");
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(), usage.get("total_tokens").asInt());
        return choices(json);
    }

    @Test
    void sixtyFourConcurrentRequestsEachEqualTheSameRequestSentAlone() throws Exception {
        int base = 32;
        List<List<Choice>> alone = new ArrayList<>();
        for (int i = 0; i < base; i++) {
            HttpResponse<String> r = CLIENT.send(request(body(i), false), HttpResponse.BodyHandlers.ofString());
            alone.add(read(r, body(i), false));
        }

        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 2 * base; i++) {
            futures.add(CLIENT.sendAsync(request(body(i / 2), i % 2 == 1), HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

        int stopped = 0, sampledWithLogprobs = 0;
        for (int i = 0; i < 2 * base; i++) {
            ObjectNode body = body(i / 2);
            boolean stream = i % 2 == 1;
            List<Choice> got = read(futures.get(i).get(), body, stream);
            List<Choice> expected = alone.get(i / 2);
            int prompts = body.path("prompt").isArray() && body.get("prompt").get(0).isTextual() ? body.get("prompt").size() : 1;
            assertEquals(prompts * body.path("n").asInt(1), got.size(), "choices of request " + i);
            assertEquals(expected, got, "request " + (i / 2) + (stream ? " streamed" : "") + " among 63 others vs alone: " + body);
            for (Choice c : got) {
                if (c.finishReason().equals("stop")) stopped++;
                if (!c.logprobs().equals("null") && body.has("seed")) sampledWithLogprobs++;
            }
        }
        assertTrue(stopped > 0, "some requests end at a stop string");
        assertTrue(sampledWithLogprobs > 0, "some sampled requests report log-probs");
    }

    @Test
    void greedyStreamedChatIsTheNonStreamedChatPieceByPiece() throws Exception {
        ObjectNode body = body(0); // greedy chat
        HttpResponse<String> streamed = CLIENT.send(request(body, true), HttpResponse.BodyHandlers.ofString());
        List<ObjectNode> events = events(streamed.body());
        assertTrue(events.size() > 3, "one chunk per piece of text, not one at the end: " + events.size());
        ArrayNode first = (ArrayNode) events.getFirst().get("choices");
        assertEquals("assistant", first.get(0).get("delta").get("role").asText());
        ObjectNode last = events.getLast();
        assertEquals("length", last.get("choices").get(0).get("finish_reason").asText());
        List<Choice> whole = read(CLIENT.send(request(body, false), HttpResponse.BodyHandlers.ofString()), body, false);
        assertEquals(whole, streamedChoices(events, true));
        assertTrue(whole.getFirst().text().length() > 10, whole.toString());
    }
}
