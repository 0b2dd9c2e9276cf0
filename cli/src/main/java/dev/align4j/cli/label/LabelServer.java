package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.util.JavalinBindException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP side of {@code align4j label}: one page and two JSON routes over a {@link LabelStore},
 * on Javalin (Jetty 12), bound to 127.0.0.1 unless told otherwise.
 *
 * <p>Routes: {@code GET /} the page ({@code label.html} beside this class: plain HTML and
 * JavaScript, nothing fetched from elsewhere); {@code GET /api/next} the next unlabelled item
 * ({@code {"done": false, "id", "prompt", "left", "right", "shown_order", "labelled", "total"}}, or
 * {@code {"done": true, "labelled", "total"}}); {@code POST /api/label} with
 * {@code {"id", "choice": "left"|"right"|"tie"|"skip", "shown_order"}} ({@code shown_order} as
 * {@code /api/next} gave it; optional), answered {@code {"recorded": true|false, "labelled",
 * "total"}} once the row is on disk, with {@code "reason": "already labelled"} when it was not
 * written for that reason. Errors are {@code {"error": message}}: 400 for a bad body, 404 for an
 * unknown id, 409 when the order sent is not this session's (the server restarted with another
 * {@code --seed} under an open page: it fetches the item again), 415 unless the body is sent as
 * {@code application/json} (which a page of another site cannot do without this server's consent:
 * no cross-site form posts labels).
 *
 * <p>What it is not: multi-user. Two tabs show the same item and the second answer is ignored; a
 * team labelling one input should split it.
 */
public final class LabelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("align4j.label");

    private final LabelStore store;
    private final String host;
    private final Javalin app;
    private final String page;

    /** A server for {@code store} (which it closes when it closes) on {@code host}:{@code port}; port 0 picks a free one. */
    public LabelServer(LabelStore store, String host, int port) {
        this.store = store;
        this.host = Objects.requireNonNull(host, "host");
        this.page = page();
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.concurrency.useVirtualThreads = true;
            config.http.maxRequestSize = 1 << 16;
            config.jetty.host = host;
            config.jetty.port = port;
            config.routes.get("/", ctx -> ctx.header("Cache-Control", "no-store").html(page));
            config.routes.get("/api/next", this::next);
            config.routes.post("/api/label", this::label);
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
            config.routes.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "the label was not saved: " + e.getMessage());
            });
        });
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalArgumentException when the address cannot be bound (a port in use, an unknown host)
     */
    public LabelServer start() {
        try {
            app.start();
        } catch (JavalinBindException e) {
            throw new IllegalArgumentException("cannot listen on " + host + ":" + app.port() + ": " + e.getMessage()
                    + " (choose another --port, or --port 0 for a free one)", e);
        }
        return this;
    }

    /** The page's address: {@code http://host:port/}. */
    public URI url() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create("http://" + h + ":" + app.port() + "/");
    }

    /** The store labels go to. */
    public LabelStore store() {
        return store;
    }

    private void next(Context ctx) {
        ObjectNode body = progress(JsonLines.MAPPER.createObjectNode());
        Optional<LabelStore.Item> item = store.next();
        body.put("done", item.isEmpty());
        item.ifPresent(i -> {
            body.put("id", i.id());
            body.put("prompt", i.prompt());
            body.put("left", i.left());
            body.put("right", i.right());
            body.set("shown_order", i.order().json());
        });
        ctx.header("Cache-Control", "no-store");
        json(ctx, 200, body);
    }

    private void label(Context ctx) throws IOException {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            error(ctx, 415, "send the label as application/json");
            return;
        }
        JsonNode request;
        try {
            request = JsonLines.MAPPER.readTree(ctx.body());
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not JSON: " + e.getMessage());
        }
        if (request == null || !request.isObject()) throw new IllegalArgumentException("the body must be a JSON object {\"id\", \"choice\"}");
        JsonNode id = request.get("id");
        if (id == null || !(id.isTextual() || id.isNumber())) throw new IllegalArgumentException("\"id\" must be a string or a number");
        JsonNode choiceJson = request.get("choice");
        Choice choice = Choice.parse(choiceJson != null && choiceJson.isTextual() ? choiceJson.asText() : null);
        ShownOrder seen = null;
        JsonNode order = request.get("shown_order");
        if (order != null && !order.isNull()) {
            seen = ShownOrder.parse(order);
            if (seen == null) throw new IllegalArgumentException("\"shown_order\" must be [\"completion_a\", \"completion_b\"] or the reverse");
        }
        LabelStore.Outcome outcome = store.label(id.asText(), choice, seen);
        switch (outcome) {
            case RECORDED, ALREADY_LABELLED -> {
                ObjectNode body = JsonLines.MAPPER.createObjectNode();
                body.put("recorded", outcome == LabelStore.Outcome.RECORDED);
                if (outcome == LabelStore.Outcome.ALREADY_LABELLED) body.put("reason", "already labelled");
                json(ctx, 200, progress(body));
            }
            case UNKNOWN_ID -> error(ctx, 404, "no comparison has the id \"" + id.asText() + "\"");
            case ORDER_CHANGED -> error(ctx, 409, "the sides of item \"" + id.asText() + "\" changed since the page showed it (the"
                    + " server restarted with another --seed); look at it again");
        }
    }

    private ObjectNode progress(ObjectNode body) {
        body.put("labelled", store.labelled());
        body.put("total", store.total());
        return body;
    }

    private static void error(Context ctx, int status, String message) {
        ObjectNode body = JsonLines.MAPPER.createObjectNode();
        body.put("error", message);
        json(ctx, status, body);
    }

    private static void json(Context ctx, int status, ObjectNode body) {
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private static String page() {
        try (InputStream in = LabelServer.class.getResourceAsStream("label.html")) {
            if (in == null) throw new IllegalStateException("label.html is missing beside " + LabelServer.class.getName() + " (a broken build)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops serving, then closes the store (every label is on disk already). */
    @Override
    public void close() throws IOException {
        try {
            app.stop();
        } finally {
            store.close();
        }
    }
}
