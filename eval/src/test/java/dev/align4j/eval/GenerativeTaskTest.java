package dev.align4j.eval;

import dev.align4j.generate.Generator;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

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
                "{\"question\": \"" + p1 + "\", \"answer\": " + dev.align4j.io.JsonLines.MAPPER.writeValueAsString(g1.strip()) + "}",
                "{\"question\": \"" + p2 + "\", \"answer\": \"zebra\"}",
                "{\"question\": \"" + p2 + "\", \"answer\": \"" + firstWord + "\"}");
        TaskConfig c = EvalTesting.task("gen", "generate_until", data);
        c.generationKwargs = java.util.Map.of("max_gen_toks", 8, "until", java.util.List.of("\n\n"));
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
        c.generationKwargs = java.util.Map.of("max_gen_toks", 6);
        EvalContext ctx = EvalTesting.context(model);
        TaskResult r = EvalTask.prepare(c, ctx).run(ctx);
        assertEquals("4", r.samples().getFirst().get("gold").asText());
        String completion = r.samples().getFirst().get("completion").asText();
        boolean hasNumber = completion.matches("(?s).*\\d.*");
        assertEquals(hasNumber ? 1.0 : 0.0, r.metric("answer_rate").value(), completion);
        assertTrue(r.metrics().stream().anyMatch(m -> m.name().equals("numeric_match")));
    }
}
