package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextModel;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Optional;

import static dev.align4j.cli.serve.ServeTesting.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The protocol at its edges, through a real HTTP client: every kind of bad request gets its 4xx and
 * an OpenAI error body naming the field, never a 500 or a dropped connection; the API key is
 * enforced on /v1 and not on /health; log-probs are the model's own; /v1/models and /health answer;
 * the server binds to loopback by default.
 */
class ServeProtocolTest {
    private static final String KEY = "sk-test-0123";
    private static final String AUTH = "Bearer " + KEY;

    private static TextModel text;
    private static OpenAiServer server;

    @BeforeAll
    static void startServer(@TempDir Path dir) throws Exception {
        text = storiesWithChatTemplate(dir);
        server = start(text, "--api-key", KEY, "--served-model-name", "tiny-stories");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
        if (text != null) text.close();
    }

    private static HttpResponse<String> chat(String body) throws Exception {
        return post(server, "/v1/chat/completions", body, "Authorization", AUTH);
    }

    private static HttpResponse<String> complete(String body) throws Exception {
        return post(server, "/v1/completions", body, "Authorization", AUTH);
    }

    /** Each malformed or out-of-range request, and the field the error must name ("-" for none). */
    @ParameterizedTest(name = "{0} → 400 naming {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}|-",
            "[1, 2]|-",
            "|-",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]} trailing|-",
            "{\"messages\": 3}|messages",
            "{\"messages\": []}|messages",
            "{\"model\": \"tiny-stories\"}|messages",
            "{\"messages\": [{\"content\": \"hi\"}]}|messages",
            "{\"messages\": [{\"role\": \"user\", \"content\": {\"x\": 1}}]}|messages",
            "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {}}]}]}|messages",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}|temperature",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": -0.5}|temperature",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 0}|top_p",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 1.5}|top_p",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_k\": -2}|top_k",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"min_p\": 2}|min_p",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"repetition_penalty\": 0}|repetition_penalty",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}|max_tokens",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\": -3}|max_completion_tokens",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2.5}|max_tokens",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 600}|max_tokens",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": \"two\"}|n",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 0}|n",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}|stream",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": 5}|stop",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [\"a\", 5]}|stop",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": \"\"}|stop",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"seed\": 1.5}|seed",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream_options\": {\"include_usage\": true}}|stream_options",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"frequency_penalty\": 0.5}|frequency_penalty",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"5\": 10}}|logit_bias",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\"}]}|tools",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response_format\": {\"type\": \"json_object\"}}|response_format",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logprobs\": true, \"top_logprobs\": 3}|top_logprobs",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logprobs\": 1}|logprobs",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"truncate_prompt_tokens\": 0}|truncate_prompt_tokens",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"chat_template_kwargs\": 7}|chat_template_kwargs",
    })
    void badChatRequestsGet400NamingTheField(String body, String param) throws Exception {
        HttpResponse<String> r = chat(body == null ? "" : body);
        assertError(r, 400, "invalid_request_error", param.equals("-") ? null : param);
    }

    @ParameterizedTest(name = "{0} → 400 naming {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"max_tokens\": 5}|prompt",
            "{\"prompt\": 5}|prompt",
            "{\"prompt\": []}|prompt",
            "{\"prompt\": [\"a\", 5]}|prompt",
            "{\"prompt\": [1, 512]}|prompt",
            "{\"prompt\": [1, -1]}|prompt",
            "{\"prompt\": [[1, 2], [3, \"x\"]]}|prompt",
            "{\"prompt\": \"Once\", \"logprobs\": 2}|logprobs",
            "{\"prompt\": \"Once\", \"logprobs\": true}|logprobs",
            "{\"prompt\": \"Once\", \"echo\": true}|echo",
            "{\"prompt\": \"Once\", \"suffix\": \"end\"}|suffix",
            "{\"prompt\": \"Once\", \"best_of\": 3}|best_of",
            "{\"prompt\": \"Once\", \"stop_token_ids\": [9999]}|stop_token_ids",
            "{\"prompt\": \"Once\", \"presence_penalty\": -1}|presence_penalty",
            "{\"prompt\": \"Once\", \"min_tokens\": 4}|min_tokens",
            "{\"prompt\": \"Once\", \"use_beam_search\": true}|use_beam_search",
    })
    void badCompletionRequestsGet400NamingTheField(String body, String param) throws Exception {
        assertError(complete(body), 400, "invalid_request_error", param);
    }

    @Test
    void aPromptOverTheContextIs400InVllmsWordsAndTruncationLetsItThrough() throws Exception {
        String longPrompt = "Once upon a time, there was a little girl named Lily. ".repeat(60); // > 512 tokens
        ObjectNode error = assertError(complete("{\"prompt\": \"" + longPrompt + "\", \"max_tokens\": 4}"), 400, "invalid_request_error", "prompt");
        assertTrue(error.get("message").asText().startsWith("This model's maximum context length is 512 tokens. However, your request has "),
                error.toString());
        assertError(chat("{\"messages\": [{\"role\": \"user\", \"content\": \"" + longPrompt + "\"}]}"), 400, "invalid_request_error",
                "messages");

        HttpResponse<String> truncated = complete("{\"prompt\": \"" + longPrompt + "\", \"max_tokens\": 4, \"truncate_prompt_tokens\": 100}");
        assertEquals(200, truncated.statusCode(), truncated.body());
        assertEquals(100, json(truncated.body()).get("usage").get("prompt_tokens").asInt());

        // absent max_tokens: the rest of the context, so a 500-token prompt gets at most 12 new tokens
        HttpResponse<String> rest = complete("{\"prompt\": \"" + longPrompt + "\", \"truncate_prompt_tokens\": 500, \"ignore_eos\": true, "
                + "\"temperature\": 0}");
        assertEquals(200, rest.statusCode(), rest.body());
        JsonNode usage = json(rest.body()).get("usage");
        assertEquals(512, usage.get("total_tokens").asInt(), rest.body());
        assertEquals("length", json(rest.body()).get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void neutralValuesOfUnsupportedFieldsAndUnknownFieldsAreAccepted() throws Exception {
        HttpResponse<String> r = chat("{\"model\": \"tiny-stories\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", "
                + "\"text\": \"hi\"}]}], \"frequency_penalty\": 0, \"presence_penalty\": 0.0, \"logit_bias\": {}, \"user\": \"me\", "
                + "\"response_format\": {\"type\": \"text\"}, \"top_k\": -1, \"max_tokens\": 3.0, \"some_future_field\": [1, 2], "
                + "\"top_logprobs\": 0, \"stop\": null}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3, json(r.body()).get("usage").get("completion_tokens").asInt());
    }

    @Test
    void anotherModelsNameIs404() throws Exception {
        ObjectNode error = assertError(chat("{\"model\": \"gpt-4\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 404,
                "invalid_request_error", "model");
        assertEquals("model_not_found", error.get("code").asText());
    }

    @Test
    void unknownPathsAre404WrongMethods405AndHugeBodies413() throws Exception {
        assertError(post(server, "/v1/embeddings", "{}", "Authorization", AUTH), 404, "invalid_request_error", null);
        assertError(get(server, "/nowhere"), 404, "invalid_request_error", null);
        assertError(get(server, "/v1/chat/completions", "Authorization", AUTH), 405, "invalid_request_error", null);
        assertError(post(server, "/v1/models", "{}", "Authorization", AUTH), 405, "invalid_request_error", null);
        String huge = "{\"prompt\": \"" + "a".repeat((int) OpenAiServer.MAX_BODY_BYTES) + "\"}";
        assertError(complete(huge), 413, "invalid_request_error", null);
    }

    @Test
    void theApiKeyIsEnforcedOnV1AndNotOnHealth() throws Exception {
        String body = "{\"prompt\": \"Once\", \"max_tokens\": 2}";
        ObjectNode missing = assertError(post(server, "/v1/completions", body), 401, "invalid_request_error", null);
        assertEquals("invalid_api_key", missing.get("code").asText());
        assertError(post(server, "/v1/completions", body, "Authorization", "Bearer wrong"), 401, "invalid_request_error", null);
        assertError(post(server, "/v1/completions", body, "Authorization", KEY), 401, "invalid_request_error", null); // no "Bearer"
        assertError(get(server, "/v1/models"), 401, "invalid_request_error", null);
        assertEquals(200, post(server, "/v1/completions", body, "Authorization", AUTH).statusCode());
        assertEquals(200, get(server, "/health").statusCode());
    }

    @Test
    void modelsListsTheServedModelWithItsContext() throws Exception {
        HttpResponse<String> r = get(server, "/v1/models", "Authorization", AUTH);
        assertEquals(200, r.statusCode());
        ObjectNode json = json(r.body());
        assertEquals("list", json.get("object").asText());
        JsonNode model = json.get("data").get(0);
        assertEquals("tiny-stories", model.get("id").asText());
        assertEquals("model", model.get("object").asText());
        assertEquals("align4j", model.get("owned_by").asText());
        assertEquals(512, model.get("max_model_len").asInt());
        assertTrue(model.get("created").asLong() > 1_600_000_000L);
    }

    /** Greedy log-probs equal a full forward pass's log-softmax at each generated token; their tokens decode to the text. */
    @Test
    void logprobsAreTheModelsOwnForTheGeneratedTokens() throws Exception {
        HttpResponse<String> r = complete("{\"prompt\": \"Once upon a time\", \"max_tokens\": 12, \"temperature\": 0, \"logprobs\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = json(r.body()).get("choices").get(0);
        JsonNode logprobs = choice.get("logprobs");

        int[] prompt = text.encode("Once upon a time");
        Completion expected = new Generator(text.model(), 1).generate(prompt, SamplingParams.greedy(12, text.stopTokenIds())).getFirst();
        int[] ids = expected.tokenIds();
        int[] sequence = Arrays.copyOf(prompt, prompt.length + ids.length);
        System.arraycopy(ids, 0, sequence, prompt.length, ids.length);
        float[] all;
        try (var g = Autograd.noGrad()) {
            PackedBatch batch = PackedBatch.of(sequence);
            all = text.model().tokenLogProbs(batch, batch.nextTokenLabels()).toArray();
        }
        StringBuilder joined = new StringBuilder();
        for (int t = 0; t < ids.length; t++) {
            assertEquals(all[prompt.length - 1 + t], logprobs.get("token_logprobs").get(t).floatValue(), 1e-4, "token " + t);
            String token = logprobs.get("tokens").get(t).asText();
            assertEquals(text.tokenizer().decode(new int[] {ids[t]}, false), token);
            assertEquals(joined.length(), logprobs.get("text_offset").get(t).asInt());
            assertEquals(logprobs.get("token_logprobs").get(t).floatValue(), logprobs.get("top_logprobs").get(t).get(token).floatValue());
            joined.append(token);
        }
        assertEquals(ids.length, logprobs.get("tokens").size());
        assertEquals(text.tokenizer().decode(ids, true), choice.get("text").asText());

        HttpResponse<String> c = chat("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 5, \"logprobs\": true}");
        JsonNode content = json(c.body()).get("choices").get(0).get("logprobs").get("content");
        assertEquals(5, content.size(), c.body());
        for (JsonNode entry : content) {
            assertTrue(entry.get("logprob").doubleValue() <= 0, c.body());
            byte[] bytes = entry.get("token").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(bytes.length, entry.get("bytes").size());
            assertEquals(0, entry.get("top_logprobs").size());
        }
    }

    @Test
    void stopStringsCutTheTextAndEndWithStop() throws Exception {
        HttpResponse<String> whole = complete("{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0}");
        String text = json(whole.body()).get("choices").get(0).get("text").asText();
        assertTrue(text.contains("."), text);
        HttpResponse<String> cut = complete("{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0, \"stop\": \".\"}");
        JsonNode choice = json(cut.body()).get("choices").get(0);
        assertEquals(text.substring(0, text.indexOf('.')), choice.get("text").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
    }

    @Test
    void bindsToLoopbackByDefault() throws Exception {
        ServeCommand command = command(text);
        assertEquals("127.0.0.1", command.host);
        assertEquals(8000, command.port, "vLLM's default port");
        assertEquals(200, get(server, "/health").statusCode()); // the test server: default host, port 0
        assertEquals("127.0.0.1", server.url().getHost());
        Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> !isLoopback(i)).flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst();
        assumeTrue(external.isPresent(), "Skipped the refusal check: this machine has no non-loopback IPv4 address");
        assertThrows(ConnectException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(external.get(), server.port()), 2000);
            }
        }, "not reachable through " + external.get());
    }

    private static boolean isLoopback(NetworkInterface i) {
        try {
            return i.isLoopback() || !i.isUp();
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Test
    void optionsOutOfRangeAreOneClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> command(text, "--port", "0", "--max-num-seqs", "0").start(text));
        assertTrue(e.getMessage().contains("--max-num-seqs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> command(text, "--port", String.valueOf(server.port())).start(text));
        assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + server.port()), e.getMessage());
    }

    @Test
    void requestsBuildAsOpenAiClientsSendThem() throws Exception {
        HttpRequest noContentType = request(server, "/v1/completions").header("Authorization", AUTH)
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": [[1, 403], [1, 407]], \"max_tokens\": 3, \"n\": 2, \"seed\": 7}")).build();
        HttpResponse<String> r = CLIENT.send(noContentType, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choices = json(r.body()).get("choices");
        assertEquals(4, choices.size(), "2 prompts × n 2");
        int[] indices = new int[4];
        for (int i = 0; i < 4; i++) indices[i] = choices.get(i).get("index").asInt();
        assertArrayEquals(new int[] {0, 1, 2, 3}, indices);
        assertEquals(4, json(r.body()).get("usage").get("prompt_tokens").asInt(), "each prompt counted once");
        assertEquals(12, json(r.body()).get("usage").get("completion_tokens").asInt());
    }
}
