package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.tokenizer.Tokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code align4j render} reproduces transformers' golden renders and tokenizes them without special tokens. */
class RenderCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3_1", "gemma3"})
    void rendersEveryGoldenConversationOfATokenizer(String name, @TempDir Path dir) throws Exception {
        Path golden = Fixtures.path("chat_templates/golden_renders.jsonl");
        List<String> inputs = new ArrayList<>(), expected = new ArrayList<>();
        JsonLines.forEach(golden, line -> {
            if (!line.json().get("tokenizer").asText().equals(name)) return;
            ObjectNode in = line.json().deepCopy();
            expected.add(in.remove("rendered").asText());
            in.remove("tokenizer");
            inputs.add(in.toString());
        });
        assertFalse(inputs.isEmpty());
        Path input = dir.resolve("in.jsonl"), output = dir.resolve("out.jsonl");
        Files.write(input, inputs);

        Object[] r = MainTest.run("render", "--model", Fixtures.tokenizer(name).toString(), "--input", input.toString(),
                "--output", output.toString());
        assertEquals(0, r[0], (String) r[2]);

        List<JsonNode> results = new ArrayList<>();
        JsonLines.forEach(output, line -> results.add(line.json()));
        assertEquals(expected.size(), results.size());
        try (Tokenizer tokenizer = Tokenizer.load(Fixtures.tokenizer(name))) {
            for (int i = 0; i < results.size(); i++) {
                assertEquals(expected.get(i), results.get(i).get("rendered").asText(), "line " + (i + 1));
                int[] ids = JsonLines.MAPPER.convertValue(results.get(i).get("input_ids"), int[].class);
                assertArrayEquals(tokenizer.encode(expected.get(i), false), ids, "line " + (i + 1));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aMalformedLineIsReportedWithItsFileAndLineAndNoOutputIsLeft(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.jsonl"), output = dir.resolve("out.jsonl");
        Files.write(input, List.of("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "{\"messages\": 5}"));
        Object[] r = MainTest.run("render", "--model", Fixtures.tokenizer("qwen3").toString(), "--input", input.toString(),
                "--output", output.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("in.jsonl, line 2: field \"messages\""), (String) r[2]);
        assertFalse(Files.exists(output), "a failed run leaves no half-written output");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }
}
