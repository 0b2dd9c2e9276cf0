package dev.align4j.generate.text;

import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.io.hf.LoadOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model folder as text in, text out: prompt encodings, eos ids, sampling defaults, and text listeners over the engine. */
class TextModelTest {
    @TempDir
    static Path folder;
    static TextModel m;

    @BeforeAll
    static void load() throws IOException {
        m = TextModel.load(ChatModelFolder.make(folder), LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        if (m != null) m.close();
    }

    @Test
    void chatPromptsAreTheTemplateRenderEncodedWithoutExtraSpecialTokens() {
        List<Map<String, String>> messages = List.of(Map.of("role", "user", "content", "Hi there"));
        String rendered = m.template().orElseThrow().render(messages, true);
        assertTrue(rendered.endsWith("<|im_start|>assistant\n"), rendered);
        assertArrayEquals(m.tokenizer().encode(rendered, false), m.encodeChat(messages));
        assertArrayEquals(m.tokenizer().encode("Hi there", true), m.encode("Hi there"));
        int imEnd = m.tokenizer().tokenToId("<|im_end|>").orElseThrow();
        assertArrayEquals(new int[] {imEnd}, m.stopTokenIds(), "qwen3's eos_token is <|im_end|>");
        assertEquals(folder.getFileName().toString(), m.name());
    }

    @Test
    void generationConfigAddsEosIdsAndSamplingDefaults(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"eos_token_id\": [151643, 151645], \"do_sample\": true, \"temperature\": 0.6, \"top_k\": 20, \"top_p\": 0.95}");
        TextModel configured = new TextModel("x", m.loaded(), m.tokenizer(), m.template(),
                GenerationConfig.read(dir));
        assertArrayEquals(new int[] {151643, 151645}, configured.stopTokenIds(), "the tokenizer's eos (151645) is already listed");
        SamplingOptions unset = new SamplingOptions();
        unset.seed = 1L;
        SamplingParams p = unset.resolve(configured.generation(), 99, configured.stopTokenIds());
        assertEquals(new SamplingParams(1, 99, 0.6, 20, 0.95, 0, 1, 1, new int[] {151643, 151645}), p);
        SamplingOptions set = new SamplingOptions();
        set.temperature = 0.0;
        set.topP = 0.5;
        set.maxNewTokens = 7;
        set.seed = 2L;
        assertEquals(new SamplingParams(1, 7, 0, 20, 0.5, 0, 1, 2, new int[0]), set.resolve(configured.generation(), 99, new int[0]));
    }

    @Test
    void aFolderWithoutAChatTemplateOrTokenizerIsAClearError(@TempDir Path dir) throws IOException {
        TextModel noTemplate = new TextModel("x", m.loaded(), m.tokenizer(), Optional.empty(),
                GenerationConfig.none());
        var e = assertThrows(IllegalArgumentException.class, () -> noTemplate.encodeChat(List.of(Map.of("role", "user", "content", "x"))));
        assertTrue(e.getMessage().contains("no chat_template"), e.getMessage());
        Files.copy(folder.resolve("config.json"), dir.resolve("config.json"));
        var noTokenizer = assertThrows(IllegalArgumentException.class, () -> TextModel.load(dir, LoadOptions.defaults()));
        assertTrue(noTokenizer.getMessage().contains("no tokenizer.json"), noTokenizer.getMessage());
    }

    @Test
    void keepLastTruncatesFromTheLeft() {
        assertArrayEquals(new int[] {3, 4}, TextModel.keepLast(new int[] {1, 2, 3, 4}, 2));
        assertArrayEquals(new int[] {1, 2}, TextModel.keepLast(new int[] {1, 2}, 5));
        assertThrows(IllegalArgumentException.class, () -> TextModel.keepLast(new int[] {1}, 0));
    }

    /** Streamed text equals the final text; a stop string ends the completion with its ids kept up to the matching token. */
    @Test
    void textListenersStreamAndStopOverTheEngine() {
        int[] prompt = m.encodeChat(List.of(Map.of("role", "user", "content", "Tell me a story")));
        SamplingParams params = SamplingParams.sample(1, 40, 1.0, 9);
        Generator g = new Generator(m.model(), 4);
        Completion plain = g.generate(prompt, params).getFirst();
        String full = m.tokenizer().decode(plain.tokenIds(), true);
        assertTrue(full.length() > 6, "a random model's 40 tokens give text: " + full);
        String stop = full.substring(3, 5);
        StringBuilder streamed = new StringBuilder();
        List<TextCompletion> done = new ArrayList<>();
        g.submit(new Request(prompt, params), new TextListener(m.tokenizer(), prompt, 1, List.of(stop), new TextListener.Sink() {
            @Override
            public void onText(int index, String text) {
                streamed.append(text);
            }

            @Override
            public void onComplete(int index, TextCompletion completion) {
                done.add(completion);
            }
        }));
        while (g.hasWork()) g.step();
        TextCompletion c = done.getFirst();
        assertEquals(full.substring(0, full.indexOf(stop)), c.text());
        assertEquals(c.text(), streamed.toString());
        assertEquals("stop", c.finishReason());
        assertEquals(stop, c.stoppedBy().orElseThrow());
        int[] ids = c.completion().tokenIds();
        assertArrayEquals(java.util.Arrays.copyOf(plain.tokenIds(), ids.length), ids, "same seed, same tokens until the stop");
        assertTrue(m.tokenizer().decode(ids, true).contains(stop));
        assertTrue(!m.tokenizer().decode(java.util.Arrays.copyOf(ids, ids.length - 1), true).contains(stop));
    }
}
