package dev.align4j.train.judges;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.LoadOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LocalChatBackend} on a real pretrained model: Karpathy's stories260K ({@code
 * shared/fixtures/models/stories260K}, 512-token context, no chat template). Skipped, with the
 * reason, when the fixtures are absent. A story model makes a poor judge; these tests check the
 * plumbing: rendering, batching, determinism, truncation.
 */
class LocalChatBackendTest {
    static final int MAX_NEW = 24;
    static final List<Message> SHORT = List.of(Message.system("Once upon a time"), Message.user("there was a little dog"));

    static TextModel model;

    @BeforeAll
    static void load() throws IOException {
        model = TextModel.load(Fixtures.path("models/stories260K"), LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void withoutAChatTemplateTheMessagesArePlainTextAndGreedyIsDeterministic() {
        assertTrue(model.template().isEmpty(), "the fixture has no chat template");
        try (var backend = new LocalChatBackend(model, MAX_NEW)) {
            assertArrayEquals(model.encode("Once upon a time\n\nthere was a little dog"), backend.promptIds(SHORT));
            List<Message> other = List.of(Message.user("Tom liked to play with his ball"));
            List<String> first = backend.complete(List.of(SHORT, other));
            List<String> again = backend.complete(List.of(SHORT, other));
            assertEquals(first, again, "greedy: the same answers twice");
            assertEquals(first.get(1), backend.complete(List.of(other)).getFirst(), "alone or in a batch, the same answer");
            assertFalse(first.get(0).isBlank());
            assertTrue(first.get(0).length() < 200, "at most " + MAX_NEW + " tokens: " + first.get(0));
            System.out.println("stories260K judging \"" + SHORT + "\": " + first.get(0));
        }
        assertTrue(model.tokenizer().encode("still open", false).length > 0, "the backend does not close a model it does not own");
    }

    @Test
    void aPromptLongerThanTheContextKeepsItsEndAndDoesNotFail() {
        String longAnswer = "The cat sat on the mat and looked at the sun. ".repeat(120);
        List<Message> tooLong = JudgeTemplate.defaultPairwise().renderPairwise("Which story is nicer?", longAnswer, "A short story.");
        int context = model.model().contextLength();
        try (var backend = new LocalChatBackend(model, MAX_NEW)) {
            int full = model.encode(String.join("\n\n", tooLong.stream().map(Message::content).toList())).length;
            assertTrue(full > context, "the prompt is " + full + " tokens, longer than the context " + context);
            int[] ids = backend.promptIds(tooLong);
            assertEquals(context - MAX_NEW, ids.length, "left-truncated to leave room for the answer");
            int[] end = model.encode("A short story.\n[End of Assistant B's answer]");
            int[] tail = java.util.Arrays.copyOfRange(ids, ids.length - (end.length - 2), ids.length);
            assertArrayEquals(java.util.Arrays.copyOfRange(end, 2, end.length), tail, "the end of the prompt survives");
            List<String> out = backend.complete(List.of(tooLong, SHORT));
            assertEquals(2, out.size());
        }
    }

    @Test
    void withAChatTemplateTheConversationIsRendered(@TempDir Path dir) throws IOException {
        Path fixture = Fixtures.path("models/stories260K");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) Files.copy(fixture.resolve(f), dir.resolve(f));
        ObjectNode config = (ObjectNode) JsonLines.MAPPER.readTree(fixture.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant:{% endif %}");
        JsonLines.MAPPER.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        try (TextModel chat = TextModel.load(dir, LoadOptions.defaults());
             var backend = new LocalChatBackend(chat, MAX_NEW)) {
            assertTrue(chat.template().isPresent());
            int[] expected = chat.encodeChat(List.of(Map.of("role", "system", "content", "Once upon a time"),
                    Map.of("role", "user", "content", "there was a little dog")));
            assertArrayEquals(expected, backend.promptIds(SHORT));
            assertEquals(backend.complete(List.of(SHORT)), backend.complete(List.of(SHORT)));
        }
    }
}
