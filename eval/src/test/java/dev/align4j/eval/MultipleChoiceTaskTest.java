package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.text.TextModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multiple choice on the real stories260K: each choice's log-likelihood against an independent
 * unpacked forward pass of {@code prompt + " " + choice}, acc and acc_norm against the argmaxes of
 * those (acc_norm per UTF-8 byte), answers as indices, digit strings and letters, and the errors for
 * bad rows naming the file, line and field.
 */
class MultipleChoiceTaskTest {
    static TextModel model;

    @BeforeAll
    static void load() throws IOException {
        model = EvalTesting.stories();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void loglikelihoodsAccAndAccNormMatchAnIndependentForwardPass(@TempDir Path dir) throws IOException {
        String[][] rows = {
                {"Once upon a time, there was a little", "girl", "xylophone quantum", "dog", "0"},
                {"Lily went to the park with her", "mom", "refrigerator", "B", "\"A\""},
                {"The sun was", "hot", "the ball", "big and bright in the sky", "2"},
                {"Tom was very", "happy", "sad", "qqq", "\"1\""},
        };
        StringBuilder lines = new StringBuilder();
        for (String[] r : rows) {
            String answer = r[4]; // raw JSON: an index, a letter, a digit string
            lines.append("{\"question\": \"").append(r[0]).append("\", \"choices\": [\"").append(r[1]).append("\", \"").append(r[2])
                    .append("\", \"").append(r[3]).append("\"], \"answer\": ").append(answer).append("}\n");
        }
        Path data = java.nio.file.Files.writeString(dir.resolve("mc.jsonl"), lines);
        TaskConfig c = EvalTesting.task("mc", "multiple_choice", data);
        c.docToText = "{{question}}";
        EvalContext ctx = EvalTesting.context(model);
        TaskResult r = EvalTask.prepare(c, ctx).run(ctx);
        int[] gold = {0, 0, 2, 1};
        double acc = 0, accNorm = 0;
        for (int i = 0; i < rows.length; i++) {
            ObjectNode s = r.samples().get(i);
            assertEquals(gold[i], s.get("gold").asInt(), "answer " + rows[i][4]);
            int[] context = model.encode(rows[i][0]);
            double[] ll = new double[3], norm = new double[3];
            for (int k = 0; k < 3; k++) {
                int[] whole = model.encode(rows[i][0] + " " + rows[i][k + 1]);
                ll[k] = EvalTesting.logLikelihood(model.model(), whole, context.length);
                norm[k] = ll[k] / rows[i][k + 1].getBytes(StandardCharsets.UTF_8).length;
                assertEquals(ll[k], s.get("loglikelihoods").get(k).asDouble(), 2e-3, "row " + i + " choice " + k);
            }
            acc += MultipleChoiceTask.argmax(ll) == gold[i] ? 1 : 0;
            accNorm += MultipleChoiceTask.argmax(norm) == gold[i] ? 1 : 0;
        }
        assertEquals(acc / rows.length, r.metric("acc").value(), 1e-12);
        assertEquals(accNorm / rows.length, r.metric("acc_norm").value(), 1e-12);
        assertEquals(1.0, r.samples().getFirst().get("acc").asDouble(), "the TinyStories model knows a little girl from a xylophone");
        assertEquals(rows.length, r.metric("acc").n());
        Interval w = r.metric("acc").interval();
        assertEquals(Interval.wilson(acc, rows.length), w);
    }

    @Test
    void fewShotExamplesComeFromOtherRowsAndAreSeeded(@TempDir Path dir) throws IOException {
        String[] lines = new String[6];
        for (int i = 0; i < lines.length; i++) lines[i] = "{\"question\": \"q" + i + "\", \"choices\": [\"a" + i + "\", \"b" + i + "\"], \"answer\": 1}";
        Path data = EvalTesting.jsonl(dir, "mc.jsonl", lines);
        TaskConfig c = EvalTesting.task("mc", "multiple_choice", data);
        c.numFewshot = 2;
        c.docToTarget = "{{choices[answer]}}";
        List<dev.align4j.io.JsonLines.Line> docs = Docs.read(data.toString(), null, "test");
        PromptBuilder a = new PromptBuilder(c, docs, 1234), b = new PromptBuilder(c, docs, 1234), other = new PromptBuilder(c, docs, 99);
        boolean differs = false;
        for (int i = 0; i < docs.size(); i++) {
            String prompt = a.context(i, docs.get(i));
            assertEquals(prompt, b.context(i, docs.get(i)), "seeded");
            differs |= !prompt.equals(other.context(i, docs.get(i)));
            String[] parts = prompt.split("\n\n");
            assertEquals(3, parts.length, prompt);
            assertEquals("Question: q" + i + "\nAnswer:", parts[2]);
            for (int k = 0; k < 2; k++) {
                int shot = Integer.parseInt(parts[k].substring("Question: q".length(), parts[k].indexOf('\n')));
                assertTrue(shot != i, "a row is never its own example: " + prompt);
                assertEquals("Question: q" + shot + "\nAnswer: b" + shot, parts[k], "text, target delimiter, target");
            }
            assertTrue(!parts[0].equals(parts[1]), "drawn without replacement");
        }
        assertTrue(differs, "another seed draws other examples");
        c.numFewshot = 6;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PromptBuilder(c, docs, 1));
        assertTrue(e.getMessage().contains("num_fewshot 6 but only 5 rows"), e.getMessage());
    }

    @Test
    void badRowsNameTheFileLineAndField(@TempDir Path dir) throws IOException {
        EvalContext ctx = EvalTesting.context(model);
        String ok = "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 0}";
        String[][] cases = {
                {"{\"question\": \"q\", \"answer\": 0}", "line 2: field \"choices\" is missing"},
                {"{\"question\": \"q\", \"choices\": [], \"answer\": 0}", "line 2: field \"choices\" is an empty list"},
                {"{\"question\": \"q\", \"choices\": [\"a\", 3], \"answer\": 0}", "line 2: field \"choices\" item 1 is 3"},
                {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 2}", "line 2: field \"answer\" is 2, out of range for 2 choices"},
                {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"C\"}", "line 2: field \"answer\" is \"C\", out of range"},
                {"{\"question\": \"q\", \"choices\": [\"a\", \"b\"]}", "line 2: field \"answer\" is missing"},
                {"{\"prompt\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 1}", "line 2: doc_to_text"},
        };
        for (String[] k : cases) {
            Path data = EvalTesting.jsonl(dir, "bad.jsonl", ok, k[0]);
            TaskConfig c = EvalTesting.task("mc", "multiple_choice", data);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvalTask.prepare(c, ctx), k[0]);
            assertTrue(e.getMessage().startsWith(data.toString()) && e.getMessage().contains(k[1]), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EvalTask.prepare(EvalTesting.task("mc", "multiple_choice", dir.resolve("none.jsonl")), ctx));
        assertTrue(e.getMessage().contains("none.jsonl: no such file"), e.getMessage());
        assertTrue(Arrays.asList(TaskConfig.OUTPUT_TYPES.toArray()).contains("multiple_choice"));
    }
}
