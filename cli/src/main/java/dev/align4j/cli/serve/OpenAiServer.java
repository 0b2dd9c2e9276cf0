package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.GenerationService;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextModel;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.util.JavalinBindException;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The HTTP layer of {@code align4j serve}: an OpenAI-compatible server on Javalin (Jetty 12), one
 * virtual thread per request, over one {@link GenerationService} that batches every request in
 * flight.
 *
 * <p>Routes, as vLLM's OpenAI server has them: {@code POST /v1/chat/completions} and
 * {@code POST /v1/completions} (JSON, or server-sent events with {@code "stream": true}: one
 * {@code data: {chunk}} event per piece of text, {@code data: [DONE]} at the end, an error during a
 * stream sent as a {@code data: {"error": ...}} event before it); {@code GET /v1/models};
 * {@code GET /health} (200 with no body). With an API key, every {@code /v1/} path needs
 * {@code Authorization: Bearer KEY} (compared in constant time), else 401; {@code /health} never
 * does. Every failure is an OpenAI error body ({@link ApiError}): 400 for bad requests, 401, 404
 * for unknown paths and models, 405 for a known path with the wrong method, 413 beyond
 * {@value #MAX_BODY_BYTES} bytes of body, 429 when {@code maxInFlight} requests are in flight,
 * 503 while closing, 500 only when generation itself fails.
 *
 * <p>A client that disconnects during a stream is noticed at the next write: its completions stop
 * at their next token. What it is not: the protocol mapping (request parsing is
 * {@link CompletionRequest}, response bodies {@link OpenAiResponses}), TLS, CORS, or a detector of
 * a client that leaves a non-streaming request (that one runs to its end).
 */
final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("align4j.serve");

    /** The largest request body accepted (413 beyond): ~1 M tokens of text. */
    static final long MAX_BODY_BYTES = 4L << 20;

    /**
     * How the server listens and whom it serves.
     *
     * @param host        the address to bind ({@code 127.0.0.1}: this machine only)
     * @param port        the port; 0 picks a free one
     * @param apiKey      the bearer token every /v1 request must carry, or null for none
     * @param modelName   the model's name for clients ({@code model} field, /v1/models)
     * @param maxInFlight the service's bound on requests in flight, for the 429 message
     */
    record Options(String host, int port, String apiKey, String modelName, int maxInFlight) {
        Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(modelName, "modelName");
            if (apiKey != null && apiKey.isEmpty()) throw new IllegalArgumentException("the API key must not be empty");
        }
    }

    private final TextModel text;
    private final GenerationService service;
    private final Options options;
    private final Javalin app;
    /** Submissions hold the read lock, {@link #close} the write lock: no request is taken after the service closed. */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private boolean closing;
    /** How long {@link #close} lets the requests in flight finish their answers before Jetty drops their connections. */
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    /** A server for {@code text}, generating with {@code service} (which it closes when it closes). */
    OpenAiServer(TextModel text, GenerationService service, Options options) {
        this.text = text;
        this.service = service;
        this.options = options;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = MAX_BODY_BYTES;
            config.http.prefer405over404 = true;
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.jetty.host = options.host();
            config.jetty.port = options.port();
            config.jetty.modifyServer(server -> { // a graceful stop: see close()
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(CLOSE_WAIT_MILLIS);
            });
            config.requestLogger.http((ctx, ms) -> LOG.info("{} {} {} ({} ms)", ctx.method(), ctx.path(), ctx.statusCode(), Math.round(ms)));
            config.routes.before("/v1/*", this::authorize);
            config.routes.get("/health", ctx -> ctx.status(200));
            config.routes.get("/v1/models", this::models);
            config.routes.post("/v1/chat/completions", ctx -> generate(ctx, CompletionRequest.Endpoint.CHAT));
            config.routes.post("/v1/completions", ctx -> generate(ctx, CompletionRequest.Endpoint.COMPLETIONS));
            config.routes.exception(ApiError.class, (e, ctx) -> json(ctx, e.status, e.body()));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> {
                String message = switch (e.getStatus()) {
                    case 404 -> "Invalid URL (" + ctx.method() + " " + ctx.path() + "): the routes are POST /v1/chat/completions, "
                            + "POST /v1/completions, GET /v1/models and GET /health";
                    case 405 -> "Method " + ctx.method() + " is not allowed for " + ctx.path();
                    case 413 -> "The request body is larger than " + MAX_BODY_BYTES + " bytes";
                    default -> e.getMessage();
                };
                ApiError error = new ApiError(e.getStatus(), e.getStatus() < 500 ? "invalid_request_error" : "server_error", message, null, null);
                json(ctx, error.status, error.body());
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                ApiError error = ApiError.internal("Internal error: " + e);
                json(ctx, error.status, error.body());
            });
        });
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalArgumentException when the address cannot be bound (a port in use, an unknown host)
     */
    OpenAiServer start() {
        try {
            app.start();
        } catch (JavalinBindException e) {
            throw new IllegalArgumentException("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + e.getMessage() + " (choose another --port, or --port 0 for a free one)", e);
        }
        return this;
    }

    /** The port listened on (the chosen one when started with port 0). */
    int port() {
        return app.port();
    }

    /** The base URL clients use: {@code http://host:port}. */
    URI url() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return URI.create("http://" + host + ":" + port());
    }

    private void authorize(Context ctx) {
        if (options.apiKey() == null) return;
        String header = ctx.header("Authorization");
        byte[] given = (header == null ? "" : header).getBytes(StandardCharsets.UTF_8);
        byte[] expected = ("Bearer " + options.apiKey()).getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, expected)) throw ApiError.unauthorized();
    }

    private void models(Context ctx) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        ObjectNode model = data.addObject();
        model.put("id", options.modelName());
        model.put("object", "model");
        model.put("created", System.currentTimeMillis() / 1000);
        model.put("owned_by", "align4j");
        model.put("max_model_len", text.model().contextLength());
        json(ctx, 200, root);
    }

    private void generate(Context ctx, CompletionRequest.Endpoint endpoint) {
        CompletionRequest request = CompletionRequest.parse(endpoint, ctx.bodyAsBytes(), text, options.modelName());
        Submission submission;
        gate.readLock().lock();
        try {
            if (closing) throw ApiError.closing();
            submission = Submission.start(service, text.tokenizer(), request, options.maxInFlight());
        } finally {
            gate.readLock().unlock();
        }
        OpenAiResponses responses = new OpenAiResponses(request, options.modelName(), text.tokenizer());
        if (request.stream()) stream(ctx, request, submission, responses);
        else answer(ctx, request, submission, responses);
    }

    /** Waits for every choice, then answers with one JSON object. */
    private void answer(Context ctx, CompletionRequest request, Submission submission, OpenAiResponses responses) {
        TextCompletion[] done = new TextCompletion[request.choices()];
        try {
            for (int remaining = done.length; remaining > 0; ) {
                switch (submission.take()) {
                    case Submission.Text t -> {}
                    case Submission.Done d -> {
                        done[d.choice()] = d.completion();
                        remaining--;
                    }
                    case Submission.Failed f -> throw failure(f.error());
                }
            }
        } catch (InterruptedException e) {
            submission.cancel();
            Thread.currentThread().interrupt();
            throw ApiError.closing();
        }
        json(ctx, 200, responses.response(done));
    }

    /**
     * Sends each piece of text as it comes, as server-sent events; a write failure means the client
     * left. The stream opens with the first event, so a request that fails before generating
     * anything (the server closing) still gets its error status.
     */
    private void stream(Context ctx, CompletionRequest request, Submission submission, OpenAiResponses responses) {
        TextCompletion[] done = new TextCompletion[request.choices()];
        try {
            Submission.Event event = submission.take();
            if (event instanceof Submission.Failed f) throw failure(f.error());
            HttpServletResponse res = ctx.res();
            res.setStatus(200);
            res.setContentType("text/event-stream");
            res.setCharacterEncoding("UTF-8");
            res.setHeader("Cache-Control", "no-cache");
            OutputStream out = res.getOutputStream();
            if (request.endpoint() == CompletionRequest.Endpoint.CHAT) {
                for (int i = 0; i < done.length; i++) send(out, responses.roleChunk(i));
            }
            for (int remaining = done.length; ; event = submission.take()) {
                switch (event) {
                    case Submission.Text t -> send(out, responses.textChunk(t.choice(), t.delta()));
                    case Submission.Done d -> {
                        done[d.choice()] = d.completion();
                        remaining--;
                        send(out, responses.finalChunk(d.choice(), d.completion()));
                    }
                    case Submission.Failed f -> {
                        send(out, failure(f.error()).body());
                        remaining = -1;
                    }
                }
                if (remaining <= 0) {
                    if (remaining == 0 && request.includeUsage()) send(out, responses.usageChunk(done));
                    break;
                }
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) { // the client went away: stop its completions
            submission.cancel();
            LOG.info("{} {}: client disconnected during the stream ({})", ctx.method(), ctx.path(), e.toString());
        } catch (InterruptedException e) { // Jetty stopping without waiting: a 503 if the stream has not begun
            submission.cancel();
            Thread.currentThread().interrupt();
            if (!ctx.res().isCommitted()) throw ApiError.closing();
        }
    }

    private static void send(OutputStream out, ObjectNode body) throws IOException {
        out.write(("data: " + body + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The answer to an engine failure: 503 when it is the service closing, else 500 (logged). */
    private ApiError failure(RuntimeException error) {
        if (isClosing()) return ApiError.closing();
        LOG.error("generation failed", error);
        return ApiError.internal("Generation failed: " + error.getMessage());
    }

    private boolean isClosing() {
        gate.readLock().lock();
        try {
            return closing;
        } finally {
            gate.readLock().unlock();
        }
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    /**
     * Stops taking requests (503), stops the generation service, which fails the requests in flight
     * (503, or an error event in a stream), then stops the HTTP server gracefully: Jetty's
     * {@link GracefulHandler} counts a request as done only when its response is complete, and the
     * stop waits up to {@value #CLOSE_WAIT_MILLIS} ms for that before closing the connections.
     * Waiting for the handlers to return is not enough: Jetty writes the end of a response (a
     * stream's last chunk, Javalin's result) after that, and with its default stop timeout, 0, it
     * closes the connections at once.
     */
    @Override
    public void close() {
        gate.writeLock().lock();
        try {
            if (closing) return;
            closing = true;
        } finally {
            gate.writeLock().unlock();
        }
        service.close();
        app.stop();
    }
}
