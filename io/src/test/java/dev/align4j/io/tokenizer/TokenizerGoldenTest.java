package dev.align4j.io.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.io.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fixture tokenizers against their golden encodings (ids from the Rust tokenizers library). */
class TokenizerGoldenTest {
    static final List<String> NAMES = List.of("gpt2", "llama2", "llama3_1", "qwen3", "gemma3");
    static final Map<String, Tokenizer> TOKENIZERS = new LinkedHashMap<>();

    record Golden(String text, boolean addSpecialTokens, int[] ids, int line) {}

    @BeforeAll
    static void load() {
        for (String name : NAMES) {
            TOKENIZERS.put(name, Tokenizer.load(Fixtures.tokenizer(name)));
        }
    }

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(Tokenizer::close);
    }

    static List<Golden> goldens(String name) {
        List<Golden> out = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(Fixtures.tokenizer(name).resolve("golden_encode.jsonl"));
            ObjectMapper json = new ObjectMapper();
            for (int i = 0; i < lines.size(); i++) {
                JsonNode node = json.readTree(lines.get(i));
                int[] ids = new int[node.get("ids").size()];
                for (int j = 0; j < ids.length; j++) {
                    ids[j] = node.get("ids").get(j).intValue();
                }
                out.add(new Golden(node.get("text").textValue(), node.get("add_special_tokens").booleanValue(), ids, i + 1));
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read the golden encodings of " + name, e);
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyGoldenLineEncodesExactly() {
        return NAMES.stream().flatMap(name -> goldens(name).stream().map(g -> DynamicTest.dynamicTest(
                name + " line " + g.line() + " " + abbreviate(g.text()),
                () -> assertArrayEquals(g.ids(), TOKENIZERS.get(name).encode(g.text(), g.addSpecialTokens()),
                        name + " line " + g.line()))));
    }

    /**
     * Decoding is lossless except where SentencePiece-style Metaspace pre-tokenizing (llama2:
     * prepend_scheme "first") marks the word after a literal special token with "▁", which decodes
     * to a space, as in Python.
     */
    @TestFactory
    Stream<DynamicTest> goldenIdsDecodeBackToTheirText() {
        return NAMES.stream().flatMap(name -> goldens(name).stream()
                .filter(g -> !g.addSpecialTokens())
                .filter(g -> !(name.equals("llama2") && g.text().matches(".*(<s>|</s>|<unk>).*")))
                .map(g -> DynamicTest.dynamicTest(name + " line " + g.line() + " " + abbreviate(g.text()), () -> {
                    Tokenizer tok = TOKENIZERS.get(name);
                    String expected = tok.config().cleanUpTokenizationSpaces()
                            ? Tokenizer.cleanUpTokenization(g.text()) : g.text();
                    assertEquals(expected, tok.decode(g.ids(), false));
                })));
    }

    @Test
    void skipSpecialTokensDropsBosAndLiteralSpecials() {
        Tokenizer llama2 = TOKENIZERS.get("llama2");
        int[] ids = llama2.encode("Hello world", true);
        assertEquals(1, ids[0]);
        assertEquals("<s> Hello world", llama2.decode(ids, false));
        assertEquals("Hello world", llama2.decode(ids, true));
        Tokenizer qwen = TOKENIZERS.get("qwen3");
        int[] chat = qwen.encode("<|im_start|>user\nHi<|im_end|>", false);
        assertEquals("user\nHi", qwen.decode(chat, true));
    }

    @Test
    void decodeAppliesCleanUpTokenizationSpacesOnlyWhenTheConfigSetsIt() {
        assertEquals("Hello, world. It's fine!", Tokenizer.cleanUpTokenization("Hello , world . It 's fine !"));
        Tokenizer llama3 = TOKENIZERS.get("llama3_1"); // clean_up_tokenization_spaces: true
        assertEquals("a, b", llama3.decode(llama3.encode("a , b", false), false));
        Tokenizer qwen = TOKENIZERS.get("qwen3"); // false
        assertEquals("a , b", qwen.decode(qwen.encode("a , b", false), false));
    }

    @Test
    void textsLongerThan512TokensAreNeverTruncated() {
        Tokenizer gpt2 = TOKENIZERS.get("gpt2");
        int[] ids = gpt2.encode("x" + " word".repeat(1000), false);
        assertEquals(1001, ids.length);
        int word = gpt2.tokenToId("Ġword").orElseThrow();
        for (int i = 1; i < ids.length; i++) {
            assertEquals(word, ids[i], "position " + i);
        }
        Tokenizer gemma = TOKENIZERS.get("gemma3");
        assertEquals(2001, gemma.encode(" word".repeat(2000), true).length); // BOS + 2000
    }

    @Test
    void offsetsCoverTheTokensTextInJavaCharIndices() {
        for (String name : NAMES) {
            Tokenizer tok = TOKENIZERS.get(name);
            for (Golden g : goldens(name)) {
                Encoding enc = tok.encodeWithOffsets(g.text(), g.addSpecialTokens());
                assertArrayEquals(g.ids(), enc.ids(), name + " line " + g.line());
                for (int i = 0; i < enc.size(); i++) {
                    String where = name + " line " + g.line() + " token " + i;
                    assertTrue(0 <= enc.starts()[i] && enc.starts()[i] <= enc.ends()[i]
                            && enc.ends()[i] <= g.text().length(), where);
                    assertTrue(i == 0 || enc.starts()[i - 1] <= enc.starts()[i] || enc.ends()[i] == 0, where);
                }
            }
        }
        String text = "Hi 😀 there";
        Encoding qwen = TOKENIZERS.get("qwen3").encodeWithOffsets(text, false);
        int last = qwen.size() - 1;
        assertEquals(" there", text.substring(qwen.starts()[last], qwen.ends()[last]));
        Encoding llama = TOKENIZERS.get("llama2").encodeWithOffsets(text, true);
        assertEquals(0, llama.starts()[0]);
        assertEquals(0, llama.ends()[0]); // BOS added by the post-processor
        assertEquals(" there", text.substring(llama.starts()[llama.size() - 1], llama.ends()[llama.size() - 1]));
    }

    @Test
    void specialTokenIdsComeFromTheConfigNames() {
        assertIds("gpt2", 50256, 50256, -1, 50256);
        assertIds("llama2", 1, 2, -1, 0);
        assertIds("llama3_1", 128000, 128009, -1, -1);
        assertIds("qwen3", -1, 151645, 151643, -1);
        assertIds("gemma3", 2, 106, 0, 3);
        assertEquals(Map.of("bos_token", "<bos>", "eos_token", "<end_of_turn>", "unk_token", "<unk>",
                        "pad_token", "<pad>", "boi_token", "<start_of_image>", "eoi_token", "<end_of_image>",
                        "image_token", "<image_soft_token>"),
                TOKENIZERS.get("gemma3").specialTokens());
        assertEquals(List.of("eos_token", "pad_token"), List.copyOf(TOKENIZERS.get("qwen3").specialTokens().keySet()));
    }

    private static void assertIds(String name, int bos, int eos, int pad, int unk) {
        Tokenizer tok = TOKENIZERS.get(name);
        assertEquals(bos, tok.bosTokenId().orElse(-1), name + " bos");
        assertEquals(eos, tok.eosTokenId().orElse(-1), name + " eos");
        assertEquals(pad, tok.padTokenId().orElse(-1), name + " pad");
        assertEquals(unk, tok.unkTokenId().orElse(-1), name + " unk");
    }

    @Test
    void vocabularyLookupsAndSizeMatchTheTokenizersLibrary() {
        int[] sizes = {50257, 32000, 128256, 151669, 262145};
        for (int i = 0; i < NAMES.size(); i++) {
            assertEquals(sizes[i], TOKENIZERS.get(NAMES.get(i)).vocabSize(), NAMES.get(i));
        }
        Tokenizer gpt2 = TOKENIZERS.get("gpt2");
        assertEquals(OptionalInt.of(15496), gpt2.tokenToId("Hello"));
        assertEquals("Hello", gpt2.idToToken(15496).orElseThrow());
        assertEquals("<|endoftext|>", gpt2.idToToken(50256).orElseThrow());
        assertTrue(gpt2.idToToken(50257).isEmpty());
        assertTrue(gpt2.tokenToId("not a token").isEmpty());
        Tokenizer qwen = TOKENIZERS.get("qwen3");
        assertEquals(OptionalInt.of(151644), qwen.tokenToId("<|im_start|>"));
        assertEquals("<think>", qwen.idToToken(qwen.tokenToId("<think>").orElseThrow()).orElseThrow());
    }

    @Test
    void addBosTokenFlagAgreesWithThePostProcessor() {
        for (String name : NAMES) {
            Tokenizer tok = TOKENIZERS.get(name);
            tok.config().addBosToken().ifPresent(addBos -> {
                int[] ids = tok.encode("Hello", true);
                boolean startsWithBos = tok.bosTokenId().isPresent() && ids[0] == tok.bosTokenId().getAsInt();
                assertEquals(addBos, startsWithBos, name);
            });
            tok.config().addEosToken().ifPresent(addEos -> assertFalse(addEos, name + ": no fixture adds EOS"));
        }
    }

    @Test
    void configExposesChatTemplatesAndModelMaxLength() {
        assertTrue(TOKENIZERS.get("qwen3").config().chatTemplate().orElseThrow().contains("<|im_start|>"));
        assertTrue(TOKENIZERS.get("gpt2").config().chatTemplate().isEmpty());
        assertEquals(1024, TOKENIZERS.get("gpt2").config().modelMaxLength().orElseThrow());
        assertEquals(131072, TOKENIZERS.get("qwen3").config().modelMaxLength().orElseThrow());
        assertTrue(TOKENIZERS.get("llama3_1").config().modelMaxLength().isEmpty()); // int(1e30): no limit
    }

    static String abbreviate(String text) {
        String flat = text.replace("\n", "\\n").replace("\t", "\\t");
        return flat.length() <= 40 ? "[" + flat + "]" : "[" + flat.substring(0, 37) + "...]";
    }
}
