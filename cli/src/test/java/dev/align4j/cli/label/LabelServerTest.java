package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The label server's HTTP API as the page uses it, without a browser: the routes, their errors, and one row per item under concurrent submits. */
class LabelServerTest {
    @TempDir
    Path dir;

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private LabelServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) server.close();
    }

    private LabelServer start(int items) throws IOException {
        server = new LabelServer(LabelStore.open(LabelStoreTest.pairs(dir, items), dir.resolve("prefs.jsonl"), 0, w -> {}), "127.0.0.1", 0).start();
        return server;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(server.url().resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String body, String contentType) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(server.url().resolve("api/label")).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String body) throws Exception {
        return post(body, "application/json");
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JsonLines.MAPPER.readTree(r.body());
    }

    @Test
    void servesTheSelfContainedPage() throws Exception {
        start(1);
        assertTrue(server.url().toString().matches("http://127\\.0\\.0\\.1:\\d+/"), server.url().toString());
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), page.headers().toString());
        assertTrue(page.body().contains("<title>align4j label</title>") && page.body().contains("All done"), "the page");
        assertFalse(page.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing fetched from elsewhere");
        assertEquals(404, get("/nothing-here").statusCode());
    }

    @Test
    void nextAndLabelWalkTheItemsThenSayDone() throws Exception {
        start(2);
        JsonNode next = json(get("api/next"));
        assertFalse(next.get("done").asBoolean());
        assertEquals("item-1", next.get("id").asText());
        assertEquals("prompt 1", next.get("prompt").asText());
        ShownOrder order = ShownOrder.parse(next.get("shown_order"));
        assertEquals(order == ShownOrder.A_LEFT ? "good 1" : "bad 1", next.get("left").asText());
        assertEquals(order == ShownOrder.A_LEFT ? "bad 1" : "good 1", next.get("right").asText());
        assertEquals(0, next.get("labelled").asInt());
        assertEquals(2, next.get("total").asInt());

        String body = "{\"id\": \"item-1\", \"choice\": \"right\", \"shown_order\": " + next.get("shown_order") + "}";
        HttpResponse<String> first = post(body);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals("{\"recorded\":true,\"labelled\":1,\"total\":2}", first.body());
        HttpResponse<String> again = post(body);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals("{\"recorded\":false,\"reason\":\"already labelled\",\"labelled\":1,\"total\":2}", again.body());
        assertEquals(next.get("right").asText(), LabelStoreTest.rows(dir.resolve("prefs.jsonl")).getFirst().get("chosen").asText());

        assertEquals("item-2", json(get("api/next")).get("id").asText());
        assertEquals(200, post("{\"id\": \"item-2\", \"choice\": \"skip\"}").statusCode());
        assertEquals("{\"labelled\":2,\"total\":2,\"done\":true}", get("api/next").body());
        assertEquals(1, LabelStoreTest.rows(dir.resolve("prefs.jsonl")).size());
        assertEquals(1, LabelStoreTest.rows(dir.resolve("prefs.skipped.jsonl")).size());
    }

    @Test
    void badRequestsAreJsonErrorsAndWriteNothing() throws Exception {
        start(1);
        JsonNode next = json(get("api/next"));
        String other = (ShownOrder.parse(next.get("shown_order")) == ShownOrder.A_LEFT ? ShownOrder.B_LEFT : ShownOrder.A_LEFT).json().toString();
        record Case(String body, String type, int status, String message) {}
        for (Case c : List.of(
                new Case("{\"id\": \"item-1\", \"choice\": \"left\"}", "text/plain", 415, "application/json"),
                new Case("{\"id\": \"item-1\", \"choice\": \"left\"", "application/json", 400, "not JSON"),
                new Case("[1]", "application/json", 400, "JSON object"),
                new Case("{\"choice\": \"left\"}", "application/json", 400, "\"id\" must be"),
                new Case("{\"id\": \"item-1\", \"choice\": \"A\"}", "application/json", 400, "choice must be \"left\", \"right\", \"tie\" or \"skip\""),
                new Case("{\"id\": \"item-1\", \"choice\": \"left\", \"shown_order\": [\"x\"]}", "application/json", 400, "shown_order"),
                new Case("{\"id\": \"item-9\", \"choice\": \"left\"}", "application/json", 404, "no comparison has the id \"item-9\""),
                new Case("{\"id\": \"item-1\", \"choice\": \"left\", \"shown_order\": " + other + "}", "application/json", 409, "--seed"))) {
            HttpResponse<String> r = post(c.body(), c.type());
            assertEquals(c.status(), r.statusCode(), c + ": " + r.body());
            assertTrue(json(r).get("error").asText().contains(c.message()), c + ": " + r.body());
        }
        assertEquals(0, server.store().labelled());
        assertEquals(List.of(), LabelStoreTest.rows(dir.resolve("prefs.jsonl")));
    }

    @Test
    void concurrentSubmitsOfOneItemWriteOneRow() throws Exception {
        start(1);
        List<Callable<HttpResponse<String>>> posts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String choice = i % 2 == 0 ? "left" : "right";
            posts.add(() -> post("{\"id\": \"item-1\", \"choice\": \"" + choice + "\"}"));
        }
        int recorded = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (Future<HttpResponse<String>> f : pool.invokeAll(posts)) {
                assertEquals(200, f.get().statusCode(), f.get().body());
                if (json(f.get()).get("recorded").asBoolean()) recorded++;
            }
        }
        assertEquals(1, recorded);
        assertEquals(1, LabelStoreTest.rows(dir.resolve("prefs.jsonl")).size());
    }
}
