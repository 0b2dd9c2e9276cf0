package dev.align4j.io.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.io.Fixtures;
import dev.align4j.io.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fixture chat templates against transformers' apply_chat_template renders. */
class ChatTemplateGoldenTest {
    static final Map<String, Tokenizer> TOKENIZERS = new LinkedHashMap<>();
    static final Map<String, ChatTemplate> TEMPLATES = new LinkedHashMap<>();

    @BeforeAll
    static void load() {
        for (String name : List.of("qwen3", "llama3_1", "gemma3")) {
            Tokenizer tokenizer = Tokenizer.load(Fixtures.tokenizer(name));
            TOKENIZERS.put(name, tokenizer);
            TEMPLATES.put(name, ChatTemplate.of(tokenizer));
        }
    }

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(Tokenizer::close);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> goldens() {
        try {
            ObjectMapper json = new ObjectMapper();
            List<Map<String, Object>> out = new ArrayList<>();
            for (String line : Files.readAllLines(Fixtures.path("chat_templates/golden_renders.jsonl"))) {
                out.add(json.readValue(line, new TypeReference<LinkedHashMap<String, Object>>() {}));
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot read golden_renders.jsonl", e);
        }
    }

    @SuppressWarnings("unchecked")
    static String render(Map<String, Object> golden) {
        return TEMPLATES.get((String) golden.get("tokenizer")).render(
                (List<Map<String, Object>>) golden.get("messages"),
                (List<Map<String, Object>>) golden.get("tools"),
                (Boolean) golden.get("add_generation_prompt"),
                (Map<String, Object>) golden.get("template_kwargs"));
    }

    @TestFactory
    Stream<DynamicTest> everyGoldenRenderMatchesTransformers() {
        List<Map<String, Object>> goldens = goldens();
        return IntStream.range(0, goldens.size()).mapToObj(i -> DynamicTest.dynamicTest(
                "line " + (i + 1) + " " + goldens.get(i).get("tokenizer"),
                () -> assertEquals(goldens.get(i).get("rendered"), render(goldens.get(i)), "line " + (i + 1))));
    }

    /** apply_chat_template(tokenize=True) encodes the rendered text without adding special tokens. */
    @Test
    void renderedIdsEncodeTheTextWithoutAddingSpecialTokens() {
        for (Map<String, Object> golden : goldens()) {
            Tokenizer tok = TOKENIZERS.get((String) golden.get("tokenizer"));
            String text = (String) golden.get("rendered");
            int[] ids = ChatTemplate.tokenizeRendered(tok, render(golden));
            assertArrayEquals(tok.encode(text, false), ids);
            if (tok.config().addBosToken().orElse(false) || text.startsWith("<|begin_of_text|>")) {
                assertEquals(tok.bosTokenId().getAsInt(), ids[0]); // exactly one BOS: the template's
                assertTrue(ids.length < 2 || ids[1] != ids[0]);
            }
        }
        Tokenizer qwen = TOKENIZERS.get("qwen3");
        int[] ids = ChatTemplate.tokenizeRendered(qwen, "<|im_start|>user\nHi<|im_end|>\n");
        assertEquals(qwen.tokenToId("<|im_start|>").getAsInt(), ids[0]);
        assertEquals(qwen.eosTokenId().getAsInt(), ids[ids.length - 2]);
    }

    @Test
    void gemmaRejectsNonAlternatingRolesWithTheTemplatesMessage() {
        var e = assertThrows(ChatTemplateException.class, () -> TEMPLATES.get("gemma3").render(
                List.of(Map.of("role", "user", "content", "a"), Map.of("role", "user", "content", "b")), true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.templateMessage());
        assertTrue(e.getMessage().startsWith(TOKENIZERS.get("gemma3").config().source() + ", line "), e.getMessage());
    }

    @Test
    void aFolderWithoutTemplateIsReported() {
        try (Tokenizer gpt2 = Tokenizer.load(Fixtures.tokenizer("gpt2"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.of(gpt2));
            assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
        }
    }
}
