package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.Fixtures;
import dev.align4j.io.hf.LoadOptions;
import picocli.CommandLine;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the server tests share: the model folder, starting a server as {@code align4j serve} would
 * (the command's own option parsing), a real HTTP client, and reading answers in both forms.
 *
 * <p>The model is the real stories260K (llama2.c's TinyStories model, {@code shared/fixtures}: 512
 * tokens of context and vocabulary) with a small chat template added to its tokenizer config, since
 * it ships none; tests skip with a message when the fixtures are absent.
 */
final class ServeTesting {
    private ServeTesting() {}

    /** A plain "role: content" template opening with BOS, ending with the assistant's header. */
    static final String CHAT_TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
            + "{% if add_generation_prompt %}assistant:{% endif %}";

    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** stories260K copied into {@code dir}, its tokenizer_config.json given {@link #CHAT_TEMPLATE}. */
    static TextModel storiesWithChatTemplate(Path dir) throws IOException {
        Path source = Fixtures.path("models/stories260K");
        Path folder = dir.resolve("stories260K");
        Files.createDirectories(folder);
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(source.resolve(file), folder.resolve(file));
        }
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(source.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", CHAT_TEMPLATE);
        Files.writeString(folder.resolve("tokenizer_config.json"), config.toString());
        return TextModel.load(folder, LoadOptions.defaults());
    }

    /** A server started as {@code align4j serve --model ... ARGS} starts it (on a free port unless ARGS say). */
    static OpenAiServer start(TextModel text, String... args) {
        List<String> all = new ArrayList<>(List.of("--port", "0"));
        all.addAll(List.of(args));
        return command(text, all.toArray(String[]::new)).start(text);
    }

    /** The command with its options parsed from {@code --model FOLDER ARGS}. */
    static ServeCommand command(TextModel text, String... args) {
        ServeCommand command = new ServeCommand();
        List<String> all = new ArrayList<>(List.of("--model", text.loaded().folder().toString()));
        all.addAll(List.of(args));
        new CommandLine(command).parseArgs(all.toArray(String[]::new));
        return command;
    }

    static HttpRequest.Builder request(OpenAiServer server, String path) {
        return HttpRequest.newBuilder(server.url().resolve(path));
    }

    static HttpResponse<String> post(OpenAiServer server, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = request(server, path).POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (headers.length > 0) b.headers(headers);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(OpenAiServer server, String path, String... headers) throws Exception {
        HttpRequest.Builder b = request(server, path).GET();
        if (headers.length > 0) b.headers(headers);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static ObjectNode json(String body) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    /** The JSON events of a server-sent event stream, checking it ends with {@code data: [DONE]}. */
    static List<ObjectNode> events(String body) {
        List<ObjectNode> out = new ArrayList<>();
        String[] blocks = body.split("\n\n");
        assertEquals("data: [DONE]", blocks[blocks.length - 1], "the stream ends with [DONE]: " + body);
        for (int i = 0; i < blocks.length - 1; i++) {
            assertTrue(blocks[i].startsWith("data: "), "an SSE data event: " + blocks[i]);
            out.add(json(blocks[i].substring("data: ".length())));
        }
        return out;
    }

    /** One choice as a client sees it at the end: its whole text, finish reason and log-probs (JSON, or "null"). */
    record Choice(String text, String finishReason, String logprobs) {}

    /** The choices of a non-streaming answer, by index. */
    static List<Choice> choices(ObjectNode response) {
        Map<Integer, Choice> byIndex = new TreeMap<>();
        for (JsonNode c : response.get("choices")) {
            String text = c.has("message") ? c.get("message").get("content").asText() : c.get("text").asText();
            byIndex.put(c.get("index").asInt(), new Choice(text, c.get("finish_reason").asText(), c.get("logprobs").toString()));
        }
        return List.copyOf(byIndex.values());
    }

    /**
     * The choices of a stream, by index: text pieces concatenated, the finish reason and log-probs of
     * each choice's last chunk; checks every chunk's id and object, and that a chat choice opens with
     * the assistant role.
     */
    static List<Choice> streamedChoices(List<ObjectNode> events, boolean chat) {
        Map<Integer, StringBuilder> text = new TreeMap<>();
        Map<Integer, String> finish = new TreeMap<>(), logprobs = new TreeMap<>();
        String id = events.getFirst().get("id").asText();
        for (ObjectNode e : events) {
            assertEquals(id, e.get("id").asText(), "one id for every chunk");
            assertEquals(chat ? "chat.completion.chunk" : "text_completion", e.get("object").asText());
            for (JsonNode c : e.get("choices")) {
                int index = c.get("index").asInt();
                assertFalse(finish.containsKey(index), "no chunk after a choice's finish_reason");
                if (chat) {
                    JsonNode delta = c.get("delta");
                    assertNotNull(delta, "chat chunks carry a delta: " + e);
                    if (!text.containsKey(index)) assertEquals("assistant", delta.path("role").asText(), "first chunk: the role");
                    text.computeIfAbsent(index, k -> new StringBuilder()).append(delta.path("content").asText(""));
                } else {
                    text.computeIfAbsent(index, k -> new StringBuilder()).append(c.get("text").asText());
                }
                if (!c.get("finish_reason").isNull()) {
                    finish.put(index, c.get("finish_reason").asText());
                    logprobs.put(index, c.get("logprobs").toString());
                }
            }
        }
        assertEquals(text.keySet(), finish.keySet(), "every choice finishes");
        List<Choice> out = new ArrayList<>();
        for (int index : text.keySet()) out.add(new Choice(text.get(index).toString(), finish.get(index), logprobs.get(index)));
        return out;
    }

    /** Asserts an OpenAI error body with this status, type and param. */
    static ObjectNode assertError(HttpResponse<String> response, int status, String type, String param) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), response.headers().toString());
        ObjectNode error = (ObjectNode) json(response.body()).get("error");
        assertNotNull(error, "an OpenAI error body: " + response.body());
        assertEquals(type, error.get("type").asText(), response.body());
        assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText(), response.body());
        assertFalse(error.get("message").asText().isBlank(), response.body());
        assertTrue(error.has("code"), response.body());
        return error;
    }
}
