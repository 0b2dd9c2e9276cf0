package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Generator;
import dev.align4j.generate.SamplingParams;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generative tasks on the real stories260K: the gold answers are the model's own greedy
 * continuations, computed independently with the generator, so a right row and a wrong row give a
 * known exact match; the answer filter runs on the completion; two runs agree.
 */
class GenerativeTaskTest {
    static TextModel model;

    @BeforeAll
    static void load() throws IOException {
        model = EvalTesting.stories();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The greedy continuation of {@code prompt} (8 tokens), decoded. */
    static String greedy(String prompt) {
        int[] ids = model.encode(prompt);
        int[] out = new Generator(model.model(), 1).generate(ids, SamplingParams.greedy(8, model.stopTokenIds())).getFirst().tokenIds();
        int[] all = EvalTesting.concat(ids, out);
        String whole = model.tokenizer().decode(all, true), head = model.tokenizer().decode(ids, true);
        return whole.substring(head.length());
    }

    @Test
    void exactMatchAgainstKnownAnswers(@TempDir Path dir) throws IOException {
        String p1 = "Once upon a time", p2 = "Lily saw a big";
        String g1 = greedy("Question: " + p1 + "\nAnswer:"), g2 = greedy("Question: " + p2 + "\nAnswer:");
        String firstWord = g2.strip().split("\\s+")[0];
        Path data = EvalTesting.jsonl(dir, "gen.jsonl",
                "{\"question\": \"" + p1 + "\", \"answer\": " + JsonLines.MAPPER.writeValueAsString(g1.strip()) + "}",
                "{\"question\": \"" + p2 + "\", \"answer\": \"zebra\"}",
                "{\"question\": \"" + p2 + "\", \"answer\": \"" + firstWord + "\"}");
        TaskConfig c = EvalTesting.task("gen", "generate_until", data);
        c.generationKwargs = Map.of("max_gen_toks", 8, "until", List.of("\n\n"));
        EvalContext ctx = EvalTesting.context(model);
        TaskResult r = EvalTask.prepare(c, ctx).run(ctx);
        assertEquals(g1.strip(), r.samples().get(0).get("answer").asText(), "the task's greedy completion is the generator's");
        assertEquals(1.0 / 3, r.metric("exact_match").value(), 1e-12, r.samples().toString());
        assertEquals(1.0, r.metric("answer_rate").value());

        c.filter = "regex";
        c.regexPattern = "^\\s*(\\S+)"; // the first word
        TaskResult words = EvalTask.prepare(c, ctx).run(ctx);
        // The gold goes through the filter too: row 1's whole continuation gives its first word, as the completion's does.
        assertEquals(Arrays.asList(true, false, true), words.samples().stream().map(s -> s.get("match").asBoolean()).toList(),
                words.samples().toString());
        TaskResult again = EvalTask.prepare(c, ctx).run(ctx);
        assertEquals(words.samples(), again.samples(), "deterministic");
    }

    @Test
    void numericMatchWithLastNumber(@TempDir Path dir) throws IOException {
        // The model writes stories, not numbers: every completion lacks an answer, and the format rate says so.
        Path data = EvalTesting.jsonl(dir, "gen.jsonl", "{\"question\": \"What is 2+2?\", \"answer\": \"#### 4\"}");
        TaskConfig c = EvalTesting.task("math", "generate_until", data);
        c.filter = "last_number";
        c.match = "numeric";
        c.generationKwargs = Map.of("max_gen_toks", 6);
        EvalContext ctx = EvalTesting.context(model);
        TaskResult r = EvalTask.prepare(c, ctx).run(ctx);
        assertEquals("4", r.samples().getFirst().get("gold").asText());
        String completion = r.samples().getFirst().get("completion").asText();
        boolean hasNumber = completion.matches("(?s).*\\d.*");
        assertEquals(hasNumber ? 1.0 : 0.0, r.metric("answer_rate").value(), completion);
        assertTrue(r.metrics().stream().anyMatch(m -> m.name().equals("numeric_match")));
    }

    /**
     * With apply_chat_template the prompt is the conversation: the system instruction, each few-shot example as a user and an
     * assistant turn, the row as the last user turn, rendered with the generation prompt (a copy of stories260K given a template).
     */
    @Test
    void chatTemplatePromptsHoldTheExamplesAsTurns(@TempDir Path dir) throws IOException {
        Path folder = dir.resolve("chat");
        Files.createDirectories(folder);
        Path source = Fixtures.path("models/stories260K");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) Files.copy(source.resolve(f), folder.resolve(f));
        ObjectNode config = (ObjectNode) JsonLines.MAPPER
                .readTree(source.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant:{% endif %}");
        Files.writeString(folder.resolve("tokenizer_config.json"), config.toString());
        Path data = EvalTesting.jsonl(dir, "gen.jsonl", "{\"question\": \"Who is Lily?\", \"answer\": \"a girl\"}",
                "{\"question\": \"What did Tom have?\", \"answer\": \"a ball\"}");
        TaskConfig c = EvalTesting.task("chat", "generate_until", data);
        c.applyChatTemplate = true;
        c.systemInstruction = "Answer briefly.";
        c.docToText = "{{question}}";
        c.numFewshot = 1;
        c.generationKwargs = Map.of("max_gen_toks", 8);
        try (TextModel chat = TextModel.load(folder, LoadOptions.defaults())) {
            List<JsonLines.Line> docs = Docs.read(data.toString(), null, "test");
            int[] ids = new PromptBuilder(c, docs, 1234).ids(chat, 0, docs.getFirst());
            int[] expected = chat.encodeChat(List.of(Map.of("role", "system", "content", "Answer briefly."),
                    Map.of("role", "user", "content", "What did Tom have?"), Map.of("role", "assistant", "content", "a ball"),
                    Map.of("role", "user", "content", "Who is Lily?")));
            assertEquals(Arrays.toString(expected), Arrays.toString(ids));
            EvalContext ctx = EvalTesting.context(chat);
            TaskResult r = EvalTask.prepare(c, ctx).run(ctx);
            assertEquals(2, r.n());
            assertTrue(r.samples().stream().allMatch(s -> s.get("completion").isTextual()), r.samples().toString());
        }
    }
}
