package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code align4j generate} and {@code align4j chat} on the real stories260K model (fixtures). */
class GenerateCommandTest {
    static Path stories() {
        return Fixtures.path("models/stories260K");
    }

    static List<JsonNode> read(Path file) {
        List<JsonNode> lines = new ArrayList<>();
        JsonLines.forEach(file, line -> lines.add(line.json()));
        return lines;
    }

    /** Greedy from "Once upon a time" continues llama2.c's reference story; a stop string cuts it. */
    @Test
    void greedyPromptsContinueTheStoryAndStopStringsCutIt(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("prompts.jsonl"), out = dir.resolve("out.jsonl");
        int[] ids;
        try (Tokenizer t = Tokenizer.load(stories())) {
            ids = t.encode("Once upon a time", true);
        }
        Files.writeString(in, "{\"prompt\": \"Once upon a time\"}\n\n{\"prompt_ids\": " + java.util.Arrays.toString(ids) + "}\n");
        Object[] r = MainTest.run("generate", "--model", stories().toString(), "--input", in.toString(), "--output", out.toString(),
                "--temperature", "0", "--max-new-tokens", "20");
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> lines = read(out);
        assertEquals(2, lines.size());
        for (JsonNode line : lines) {
            assertArrayEquals(ids, JsonLines.MAPPER.convertValue(line.get("prompt_ids"), int[].class));
            JsonNode c = line.get("completions").get(0);
            assertTrue(c.get("text").asText().startsWith(", there was a little girl named Lily. She loved to play"), c.toString());
            assertEquals(20, c.get("token_ids").size());
            assertEquals(20, c.get("logprobs").size());
            assertEquals(20, c.get("raw_logprobs").size());
            assertEquals("length", c.get("finish_reason").asText());
            assertEquals(0.0, c.get("logprobs").get(0).asDouble(), "greedy: the sampling distribution is a point mass");
            assertTrue(c.get("raw_logprobs").get(0).asDouble() < 0);
        }
        assertEquals("Once upon a time", lines.get(0).get("prompt").asText());

        r = MainTest.run("generate", "--model", stories().toString(), "--prompt", "Once upon a time", "--temperature", "0",
                "--max-new-tokens", "20", "--stop", "Lily", "--stop", "zebra");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode c = JsonLines.MAPPER.readTree(((String) r[1]).strip()).get("completions").get(0);
        assertEquals(", there was a little girl named ", c.get("text").asText());
        assertEquals("stop", c.get("finish_reason").asText());
    }

    /** n seeded samples: reproducible, distinct, and each equal to the single completion asked with seed + i. */
    @Test
    void seededSamplesAreReproducible(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl");
        String model = stories().toString();
        assertEquals(0, MainTest.run("generate", "--model", model, "--prompt", "Tom had a dog", "--n", "3", "--seed", "7",
                "--temperature", "1", "--max-new-tokens", "12", "--output", a.toString())[0]);
        assertEquals(0, MainTest.run("generate", "--model", model, "--prompt", "Tom had a dog", "--seed", "9",
                "--temperature", "1", "--max-new-tokens", "12", "--output", b.toString())[0]);
        JsonNode three = read(a).getFirst().get("completions"), one = read(b).getFirst().get("completions");
        assertEquals(3, three.size());
        assertEquals(three.get(2), one.get(0), "completion 2 of seed 7 is completion 0 of seed 9");
        assertFalse(three.get(0).get("text").equals(three.get(1).get("text")));
    }

    @Test
    void badInputNamesTheLineAndLongPromptsNeedTruncation(@TempDir Path dir) throws Exception {
        String model = stories().toString();
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"prompt\": \"ok\"}\n{\"prompt_ids\": [1, \"x\"]}\n");
        Object[] r = MainTest.run("generate", "--model", model, "--input", in.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("line 2") && ((String) r[2]).contains("prompt_ids"), (String) r[2]);

        Files.writeString(in, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        r = MainTest.run("generate", "--model", model, "--input", in.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("line 1") && ((String) r[2]).contains("chat_template"), (String) r[2]);

        String longPrompt = "Once upon a time there was a cat. ".repeat(80); // over the 512-token context
        r = MainTest.run("generate", "--model", model, "--prompt", longPrompt, "--max-new-tokens", "2");
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("context is 512") && ((String) r[2]).contains("--truncate-prompt-tokens"), (String) r[2]);
        r = MainTest.run("generate", "--model", model, "--prompt", longPrompt, "--max-new-tokens", "2", "--truncate-prompt-tokens", "500");
        assertEquals(0, r[0], (String) r[2]);
        assertEquals(500, JsonLines.MAPPER.readTree(((String) r[1]).strip()).get("prompt_ids").size());

        for (String[] bad : new String[][] {{"--max-new-tokens", "0"}, {"--temperature", "-1"}, {"--top-p", "0"}, {"--top-p", "1.5"}}) {
            r = MainTest.run("generate", "--model", model, "--prompt", "hi", bad[0], bad[1]);
            assertEquals(1, r[0], String.join(" ", bad));
            String err = (String) r[2];
            assertTrue(err.startsWith("align4j generate: error: SamplingParams: ") && err.contains(bad[0].substring(2).replace('-', '_')), err);
        }
    }

    /** chat renders the template, streams the reply, and the reply equals generate --chat's with the same settings. */
    @Test
    void chatStreamsWhatGenerateChatGives(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("stories-chat");
        Files.createDirectories(model);
        for (Path f : Files.list(stories()).toList()) Files.copy(f, model.resolve(f.getFileName()));
        Files.writeString(model.resolve("chat_template.jinja"),
                "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
        Object[] g = MainTest.run("generate", "--model", model.toString(), "--prompt", "Lily and Tom", "--chat", "--temperature", "0",
                "--max-new-tokens", "15");
        assertEquals(0, g[0], (String) g[2]);
        String expected = JsonLines.MAPPER.readTree(((String) g[1]).strip()).get("completions").get(0).get("text").asText();
        assertFalse(expected.isBlank());

        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Lily and Tom\n/exit\n".getBytes(StandardCharsets.UTF_8)));
            Object[] r = MainTest.run("chat", "--model", model.toString(), "--temperature", "0", "--max-new-tokens", "15");
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[1]).contains("> " + expected), (String) r[1]);
        } finally {
            System.setIn(stdin);
        }
    }
}
