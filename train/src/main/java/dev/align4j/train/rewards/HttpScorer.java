package dev.align4j.train.rewards;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.train.JsonPost;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A reward function served over HTTP: POSTs the batch as JSON to a URL and reads one reward per
 * completion back. The request:
 * <pre>
 * {"prompts": [str], "completions": [str], "completion_lengths": [int], "truncated": [bool],
 *  "columns": [{the dataset row's columns}]}
 * </pre>
 * the response: {@code {"rewards": [number or null]}}, one per completion, in order, null meaning
 * "not applicable" (TRL's {@code None}). This is TRL's custom reward function contract (prompts,
 * completions and the row's columns in, a list of floats or None out) carried over the wire, so a
 * Python scorer (a sandbox running code, a verifier, an LLM judge) can serve a Java run.
 *
 * <p>Failures: an {@link IOException} (connection refused, reset, a request timing out after
 * {@code timeout}) or an HTTP 5xx or 429 is retried {@code retries} times, waiting
 * {@code backoff}, 2·{@code backoff}, 4·{@code backoff}, …; then, or at once for another status
 * or a malformed body (not JSON, no {@code rewards} array, a wrong count, a non-number), it
 * throws {@link RewardUnavailableException} naming the URL and the status or error and the start
 * of the body. {@link RewardFunctions} then nulls the batch's scores from it (or stops, when strict).
 *
 * <p>What it is not: a server (write one in any language), nor TRL's async reward functions;
 * a request blocks the calling thread.
 */
public final class HttpScorer implements RewardFunction, AutoCloseable {
    public static final String DEFAULT_NAME = "http_reward";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_RETRIES = 2;
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(250);

    private final String name;
    private final URI url;
    private final Duration timeout;
    private final HttpClient client;
    private final JsonPost post;

    /** Named {@code http_reward}, a 60 s timeout, 2 retries from a 250 ms backoff. */
    public HttpScorer(URI url) {
        this(DEFAULT_NAME, url, DEFAULT_TIMEOUT, DEFAULT_RETRIES, DEFAULT_BACKOFF);
    }

    /**
     * @param name    the metric name
     * @param url     where to POST
     * @param timeout for connecting and for each request's response
     * @param retries extra attempts after a failed one (0: try once)
     * @param backoff the wait before the first retry, doubled before each next one
     */
    public HttpScorer(String name, URI url, Duration timeout, int retries, Duration backoff) {
        this.name = Objects.requireNonNull(name, "name");
        this.url = Objects.requireNonNull(url, "url");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(backoff, "backoff");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        if (backoff.isNegative()) throw new IllegalArgumentException("backoff must not be negative, got " + backoff);
        if (retries < 0) throw new IllegalArgumentException("retries must be >= 0, got " + retries);
        this.client = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        this.post = new JsonPost(client, timeout, retries, backoff, where(), RewardUnavailableException::new);
    }

    @Override
    public String name() {
        return name;
    }

    public URI url() {
        return url;
    }

    @Override
    public List<Double> score(List<Sample> batch) {
        if (batch.isEmpty()) return new ArrayList<>();
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(batch)))
                .build();
        return parse(post.send(request, "check the URL and that the server reads {\"prompts\", \"completions\", \"completion_lengths\", "
                + "\"truncated\", \"columns\"}"), batch.size());
    }

    private String requestBody(List<Sample> batch) {
        ObjectNode body = JsonLines.MAPPER.createObjectNode();
        ArrayNode prompts = body.putArray("prompts");
        ArrayNode completions = body.putArray("completions");
        ArrayNode lengths = body.putArray("completion_lengths");
        ArrayNode truncated = body.putArray("truncated");
        ArrayNode columns = body.putArray("columns");
        for (Sample s : batch) {
            prompts.add(s.prompt());
            completions.add(s.completion());
            lengths.add(s.completionLength());
            truncated.add(s.truncated());
            columns.add(s.row());
        }
        try {
            return JsonLines.MAPPER.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the batch for " + url + ": " + e.getOriginalMessage(), e);
        }
    }

    private List<Double> parse(String body, int n) {
        JsonNode root;
        try {
            root = JsonLines.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed(body, "not JSON (" + e.getOriginalMessage() + ")");
        }
        JsonNode rewards = root == null ? null : root.get("rewards");
        if (rewards == null || !rewards.isArray()) throw malformed(body, "no \"rewards\" array");
        if (rewards.size() != n) throw malformed(body, rewards.size() + " rewards for " + n + " completions");
        List<Double> out = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            JsonNode r = rewards.get(j);
            if (r.isNull()) out.add(null);
            else if (r.isNumber()) out.add(r.doubleValue());
            else throw malformed(body, "rewards[" + j + "] is " + r.getNodeType() + ", not a number or null");
        }
        return out;
    }

    private RewardUnavailableException malformed(String body, String what) {
        return new RewardUnavailableException(where() + ": malformed response, " + what + "; expected {\"rewards\": [number or null, …]}"
                + " with one entry per completion; body \"" + JsonPost.abbreviate(body, 300) + "\"");
    }

    private String where() {
        return "reward server POST " + url;
    }


    /** Releases the HTTP client. */
    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "HttpScorer[" + name + ", " + url + "]";
    }
}
