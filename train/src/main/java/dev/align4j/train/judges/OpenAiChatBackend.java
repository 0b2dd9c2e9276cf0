package dev.align4j.train.judges;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.train.JsonPost;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A judge behind an OpenAI-compatible chat completions endpoint: OpenAI, vLLM's or llama.cpp's
 * server, anything that speaks {@code POST /v1/chat/completions}.
 *
 * <p>Each conversation is one request, sent one after another:
 * {@code {"model", "messages": [{"role", "content"}], "temperature": 0, "max_tokens"}}, with
 * {@code Authorization: Bearer KEY} when a key is given; the answer is
 * {@code choices[0].message.content} (a JSON null content, as a refusal, reads as the refusal's
 * text, or empty: the judge said nothing to parse). Temperature 0 as MT-Bench runs its judges (Zheng
 * et al. 2023, arXiv:2306.05685). The base URL may end with or without {@code /v1}.
 *
 * <p>Failures, as {@code dev.align4j.train.rewards.HttpScorer}: an {@link IOException}
 * (connection refused, reset, no answer within {@code timeout}), HTTP 429 or a 5xx is retried
 * {@code retries} times, waiting {@code backoff}, 2·{@code backoff}, 4·{@code backoff}, …; then, or
 * at once for another status or a malformed body, it throws {@link JudgeUnavailableException}
 * naming the URL, the status or error and the start of the body.
 *
 * <p>What it is not: concurrent (requests go one at a time; a server's own batching is not used),
 * streaming, or a client for the legacy {@code /v1/completions}.
 */
public final class OpenAiChatBackend implements ChatBackend {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
    public static final int DEFAULT_RETRIES = 3;
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);

    private final URI url;
    private final String apiKey;
    private final String model;
    private final int maxTokens;
    private final Duration timeout;
    private final HttpClient client;
    private final JsonPost post;

    /**
     * @param baseUrl   the server, e.g. {@code http://localhost:8000} or {@code https://api.openai.com/v1}
     * @param apiKey    sent as a bearer token; null or blank sends none (a local server)
     * @param model     the served model's name ({@code "model"} in the request)
     * @param maxTokens the longest answer ({@code max_tokens})
     * @param timeout   for connecting and for each response
     * @param retries   extra attempts after a failed one (0: try once)
     * @param backoff   the wait before the first retry, doubled before each next one
     */
    public OpenAiChatBackend(URI baseUrl, String apiKey, String model, int maxTokens, Duration timeout, int retries, Duration backoff) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        this.model = Objects.requireNonNull(model, "model");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(backoff, "backoff");
        if (model.isBlank()) throw new IllegalArgumentException("OpenAiChatBackend: the model name is required (the served model, e.g. gpt-4o)");
        if (maxTokens < 1) throw new IllegalArgumentException("OpenAiChatBackend: max_tokens must be >= 1, got " + maxTokens);
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        if (backoff.isNegative()) throw new IllegalArgumentException("backoff must not be negative, got " + backoff);
        if (retries < 0) throw new IllegalArgumentException("retries must be >= 0, got " + retries);
        this.url = endpoint(baseUrl);
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.maxTokens = maxTokens;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        this.post = new JsonPost(client, timeout, retries, backoff, where(), JudgeUnavailableException::new);
    }

    /** A backend with a 120 s timeout and 3 retries from a 1 s backoff. */
    public OpenAiChatBackend(URI baseUrl, String apiKey, String model, int maxTokens) {
        this(baseUrl, apiKey, model, maxTokens, DEFAULT_TIMEOUT, DEFAULT_RETRIES, DEFAULT_BACKOFF);
    }

    /** {@code <base>/v1/chat/completions}, whether the base ends with {@code /v1} or not (or already names the endpoint). */
    static URI endpoint(URI baseUrl) {
        String s = baseUrl.toString();
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        if (s.endsWith("/chat/completions")) return URI.create(s);
        return URI.create(s + (s.endsWith("/v1") ? "" : "/v1") + "/chat/completions");
    }

    /** Where requests go. */
    public URI url() {
        return url;
    }

    @Override
    public List<String> complete(List<List<Message>> conversations) {
        List<String> out = new ArrayList<>(conversations.size());
        for (List<Message> conversation : conversations) out.add(complete1(conversation));
        return out;
    }

    private String complete1(List<Message> conversation) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(conversation)));
        if (apiKey != null) builder.header("Authorization", "Bearer " + apiKey);
        HttpRequest request = builder.build();
        return parse(post.send(request, "check the URL, the model name \"" + model + "\" and the API key"));
    }

    private String requestBody(List<Message> conversation) {
        ObjectNode body = JsonLines.MAPPER.createObjectNode();
        body.put("model", model);
        ArrayNode messages = body.putArray("messages");
        for (Message m : conversation) messages.addObject().put("role", m.role()).put("content", m.content());
        body.put("temperature", 0);
        body.put("max_tokens", maxTokens);
        try {
            return JsonLines.MAPPER.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a request for " + url + ": " + e.getOriginalMessage(), e);
        }
    }

    private String parse(String body) {
        JsonNode root;
        try {
            root = JsonLines.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw malformed(body, "not JSON (" + e.getOriginalMessage() + ")");
        }
        JsonNode choices = root == null ? null : root.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) throw malformed(body, "no \"choices\" array with a choice");
        JsonNode message = choices.get(0).get("message");
        if (message == null || !message.isObject()) throw malformed(body, "choices[0] has no \"message\" object");
        JsonNode content = message.get("content");
        if (content != null && content.isTextual()) return content.asText();
        if (content == null || content.isNull()) {
            JsonNode refusal = message.get("refusal");
            if (refusal != null && refusal.isTextual()) return refusal.asText();
            if (content != null) return "";
        }
        throw malformed(body, "choices[0].message.content is " + (content == null ? "missing" : content.getNodeType()) + ", not text");
    }

    private JudgeUnavailableException malformed(String body, String what) {
        return new JudgeUnavailableException(where() + ": malformed response, " + what
                + "; expected an OpenAI chat completion {\"choices\": [{\"message\": {\"content\": \"…\"}}]}; body \""
                + JsonPost.abbreviate(body, 300) + "\"");
    }

    private String where() {
        return "judge server POST " + url;
    }


    /** {@code text} on one line, its first {@code max} characters: the start of a body says what went wrong. */

    /** Releases the HTTP client. */
    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "OpenAiChatBackend[" + model + " at " + url + "]";
    }
}
