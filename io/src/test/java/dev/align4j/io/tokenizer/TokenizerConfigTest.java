package dev.align4j.io.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenizer_config.json parsing and the loader's error messages, on small hand-written folders. */
class TokenizerConfigTest {
    @TempDir
    Path dir;

    /** A WordLevel tokenizer: whitespace pre-tokenizer, vocab {<unk>:0, hello:1, world:2}, added <s>=3. */
    static final String WORD_LEVEL = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [{"id": 3, "content": "<s>", "single_word": false, "lstrip": false,
                               "rstrip": false, "normalized": false, "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
             "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "hello": 1, "world": 2}, "unk_token": "<unk>"}}
            """;

    private Path folder(String tokenizerJson, String configJson) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson);
        if (configJson != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), configJson);
        }
        return dir;
    }

    @Test
    void readsStringAndAddedTokenObjectsExtraTokensAndTheDefaultTemplate() throws IOException {
        TokenizerConfig config = TokenizerConfig.read(folder(WORD_LEVEL, """
                {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
                 "eos_token": "</s>", "pad_token": null, "add_bos_token": true,
                 "extra_special_tokens": {"image_token": "<img>"},
                 "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}],
                 "model_max_length": 1000000000000000019884624838656, "clean_up_tokenization_spaces": true}
                """));
        assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>", "image_token", "<img>"), config.specialTokens());
        assertEquals(Optional.of(true), config.addBosToken());
        assertEquals(Optional.empty(), config.addEosToken());
        assertEquals(Optional.of("D"), config.chatTemplate());
        assertEquals(Map.of("tool_use", "T", "default", "D"), config.chatTemplates());
        assertTrue(config.modelMaxLength().isEmpty());
        assertTrue(config.cleanUpTokenizationSpaces());
    }

    @Test
    void chatTemplateJinjaFileTakesPrecedence() throws IOException {
        folder(WORD_LEVEL, "{\"chat_template\": \"from json\", \"model_max_length\": 512.0}");
        Files.writeString(dir.resolve("chat_template.jinja"), "from file");
        TokenizerConfig config = TokenizerConfig.read(dir);
        assertEquals(Optional.of("from file"), config.chatTemplate());
        assertEquals(dir.resolve("chat_template.jinja"), config.chatTemplateSource());
        assertEquals(512, config.modelMaxLength().orElseThrow());
    }

    @Test
    void folderWithoutConfigLoadsWithNoSpecialTokens() throws IOException {
        try (Tokenizer tok = Tokenizer.load(folder(WORD_LEVEL, null))) {
            assertTrue(tok.specialTokens().isEmpty());
            assertTrue(tok.bosTokenId().isEmpty());
            assertArrayEquals(new int[] {1, 3, 2, 0}, tok.encode("hello <s> world other", true));
            assertEquals(4, tok.vocabSize());
        }
    }

    @Test
    void unigramVocabularyIdsArePositions() throws IOException {
        String unigram = """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
                 "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
                 "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0], ["b", -2.0]]}}
                """;
        try (Tokenizer tok = Tokenizer.load(folder(unigram, "{\"unk_token\": \"<unk>\"}"))) {
            assertEquals(OptionalInt.of(2), tok.tokenToId("b"));
            assertEquals(OptionalInt.of(0), tok.unkTokenId());
            assertArrayEquals(new int[] {1, 2, 1}, tok.encode("aba", false));
        }
    }

    @Test
    void missingTokenizerJsonIsReportedWithTheFolder() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("No tokenizer.json in " + dir), e.getMessage());
    }

    @Test
    void badJsonNamesTheFileAndLine() throws IOException {
        folder(WORD_LEVEL, "{\n  \"bos_token\": \"<s>\",\n  \"eos_token\": oops\n}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json: invalid JSON at line 3"), e.getMessage());

        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"added_tokens\": [\n{\"id\": 1, \"content\": }]}");
        e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json: cannot read") && e.getMessage().contains("line: 2"),
                e.getMessage());
    }

    @Test
    void wrongFieldTypesNameTheField() throws IOException {
        folder(WORD_LEVEL, "{\"bos_token\": 42}");
        var e = assertThrows(IllegalArgumentException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().contains("field 'bos_token' must be a string, an AddedToken object"), e.getMessage());

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
        e = assertThrows(IllegalArgumentException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().contains("field 'add_bos_token' must be true or false"), e.getMessage());

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"default\"}]}");
        e = assertThrows(IllegalArgumentException.class, () -> TokenizerConfig.read(dir));
        assertTrue(e.getMessage().contains("chat_template[0] must be an object with string fields"), e.getMessage());
    }

    @Test
    void specialTokenMissingFromTheVocabularyIsAnError() throws IOException {
        folder(WORD_LEVEL, "{\"eos_token\": \"</s>\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("eos_token '</s>' is not a token of"), e.getMessage());
    }

    @Test
    void decodeRejectsUnknownIds() throws IOException {
        try (Tokenizer tok = Tokenizer.load(folder(WORD_LEVEL, "{}"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {1, 99}, false));
            assertTrue(e.getMessage().contains("id 99 at position 1 is not in the vocabulary"), e.getMessage());
        }
    }
}
