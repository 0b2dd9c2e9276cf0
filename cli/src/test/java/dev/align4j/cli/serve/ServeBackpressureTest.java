package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.GenerationService;
import dev.align4j.generate.Generator;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.models.CausalLM;
import dev.align4j.models.KvCache;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.align4j.cli.serve.ServeTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server under pressure, made deterministic by a model whose forward passes wait at a gate the
 * test opens: a request past the bound on requests in flight gets 429 while one is held, and gets
 * through once it is done; a client that leaves a stream stops its generation within a few tokens;
 * closing the server answers the requests in flight with 503.
 */
class ServeBackpressureTest {
    private static TextModel text;
    private GatedModel gated;
    private GenerationService service;
    private OpenAiServer server;

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        text = storiesWithChatTemplate(dir);
    }

    @AfterAll
    static void close() {
        if (text != null) text.close();
    }

    /** A server over the gated model, admitting at most {@code maxInFlight} requests. */
    private void start(int maxInFlight) {
        gated = new GatedModel(text.model());
        TextModel gatedText = new TextModel(text.name(), new LoadedModel(gated, text.loaded().config(), text.loaded().folder(), Map.of()),
                text.tokenizer(), text.template(), text.generation());
        service = new GenerationService(new Generator(gated, 4), maxInFlight);
        server = new OpenAiServer(gatedText, service, new OpenAiServer.Options("127.0.0.1", 0, null, text.name(), maxInFlight)).start();
    }

    @AfterEach
    void stop() {
        gated.open();
        server.close();
    }

    private static HttpRequest completion(OpenAiServer server, String body) {
        return request(server, "/v1/completions").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    @Test
    void pastTheBoundOnRequestsInFlightIs429UntilOneFinishes() throws Exception {
        start(1);
        String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 5, \"temperature\": 0}";
        CompletableFuture<HttpResponse<String>> held = CLIENT.sendAsync(completion(server, body), HttpResponse.BodyHandlers.ofString());
        assertTrue(gated.entered.tryAcquire(30, TimeUnit.SECONDS), "the first request reaches the engine");

        ObjectNode error = assertError(CLIENT.send(completion(server, body), HttpResponse.BodyHandlers.ofString()), 429, "rate_limit_error", null);
        assertEquals("rate_limit_exceeded", error.get("code").asText());
        assertError(post(server, "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 429,
                "rate_limit_error", null);

        gated.open();
        HttpResponse<String> first = held.get(30, TimeUnit.SECONDS);
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(5, json(first.body()).get("usage").get("completion_tokens").asInt());
        for (int i = 0; i < 3000 && service.inFlight() > 0; i++) Thread.sleep(1);
        HttpResponse<String> again = CLIENT.send(completion(server, body), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(json(first.body()).get("choices"), json(again.body()).get("choices"));
    }

    @Test
    void aClientLeavingAStreamStopsItsGenerationWithinAFewTokens() throws Exception {
        start(4);
        String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 400, \"temperature\": 0, \"stream\": true}";
        CompletableFuture<HttpResponse<InputStream>> streaming = CLIENT.sendAsync(completion(server, body), HttpResponse.BodyHandlers.ofInputStream());
        gated.step(1); // the prefill: the first token
        HttpResponse<InputStream> response = streaming.get(30, TimeUnit.SECONDS);
        assertEquals(200, response.statusCode());
        BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        String line = reader.readLine();
        assertTrue(line.startsWith("data: {"), line);
        reader.close(); // the client leaves

        int steps = 0;
        while (service.inFlight() > 0 && steps < 200) {
            gated.step(1);
            steps++;
            Thread.sleep(20);
        }
        assertEquals(0, service.inFlight(), "the stream's generation ended");
        assertTrue(gated.passes.get() < 50, gated.passes.get() + " forward passes after the client left, of 400 it asked for");

        gated.open();
        HttpResponse<String> after = CLIENT.send(completion(server, "{\"prompt\": \"Once\", \"max_tokens\": 3}"), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, after.statusCode(), "the server goes on serving: " + after.body());
    }

    @Test
    void closingAnswersTheRequestsInFlightWith503() throws Exception {
        start(4);
        CompletableFuture<HttpResponse<String>> plain = CLIENT.sendAsync(completion(server,
                "{\"prompt\": \"Once upon a time\", \"max_tokens\": 50}"), HttpResponse.BodyHandlers.ofString());
        assertTrue(gated.entered.tryAcquire(30, TimeUnit.SECONDS));
        CompletableFuture<HttpResponse<String>> streamed = CLIENT.sendAsync(completion(server,
                "{\"prompt\": \"Tom had a dog\", \"max_tokens\": 50, \"stream\": true}"), HttpResponse.BodyHandlers.ofString());
        for (int i = 0; i < 3000 && service.inFlight() < 2; i++) Thread.sleep(1);
        assertEquals(2, service.inFlight());

        Thread closing = Thread.ofPlatform().start(server::close);
        gated.open();
        closing.join(30_000);
        assertFalse(closing.isAlive(), "close() returned");
        assertError(plain.get(30, TimeUnit.SECONDS), 503, "server_error", null);
        HttpResponse<String> stream = streamed.get(30, TimeUnit.SECONDS);
        if (stream.statusCode() == 200) { // the stream began before the close: it ends with an error event, then [DONE]
            assertTrue(stream.body().contains("\"type\":\"server_error\"") && stream.body().strip().endsWith("data: [DONE]"), stream.body());
        } else {
            assertError(stream, 503, "server_error", null);
        }
    }

    /** A model whose cached forward passes wait for permits while gated: the test decides when the engine steps. */
    static final class GatedModel implements CausalLM {
        private final CausalLM inner;
        private final Semaphore permits = new Semaphore(0);
        private volatile boolean gated = true;
        /** A permit per forward pass that reached the gate. */
        final Semaphore entered = new Semaphore(0);
        /** Forward passes run. */
        final AtomicInteger passes = new AtomicInteger();

        GatedModel(CausalLM inner) {
            this.inner = inner;
        }

        void step(int n) {
            permits.release(n);
        }

        void open() {
            gated = false;
            permits.release(1_000_000);
        }

        @Override
        public Tensor hiddenStates(PackedBatch batch, KvCache cache, int[] slots) {
            entered.release();
            if (gated) permits.acquireUninterruptibly();
            passes.incrementAndGet();
            return inner.hiddenStates(batch, cache, slots);
        }

        @Override
        public String modelType() {
            return inner.modelType();
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public int hiddenSize() {
            return inner.hiddenSize();
        }

        @Override
        public Map<String, Tensor> parameters() {
            return inner.parameters();
        }

        @Override
        public Map<String, dev.align4j.models.Linear> linearLayers() {
            return inner.linearLayers();
        }

        @Override
        public void gradientCheckpointing(boolean enabled) {
            inner.gradientCheckpointing(enabled);
        }

        @Override
        public int contextLength() {
            return inner.contextLength();
        }

        @Override
        public KvCache newKvCache() {
            return inner.newKvCache();
        }

        @Override
        public Tensor hiddenStates(PackedBatch batch) {
            return inner.hiddenStates(batch);
        }

        @Override
        public Tensor lmHead(Tensor hidden) {
            return inner.lmHead(hidden);
        }
    }
}
