package dev.align4j.eval;

import dev.align4j.generate.text.TextModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Perplexity on the real stories260K, against an independent computation: each text's tokens after
 * BOS, scored window by window (511 predicted tokens each, the previous window's last token as
 * context) with plain forward passes, and the metrics' formulas applied by hand.
 */
class PerplexityTaskTest {
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
    void perplexitiesMatchAnIndependentWindowedComputation(@TempDir Path dir) throws IOException {
        String story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine.";
        String long_ = (story + " ").repeat(40).strip(); // well over the 512-token context: three windows
        String other = "Tom had a big red ball. He threw it to his dog, and the dog ran fast.";
        Path data = EvalTesting.jsonl(dir, "texts.jsonl", "{\"text\": \"" + story + "\"}", "{\"text\": \"" + long_ + "\"}",
                "{\"text\": \"" + other + "\"}");
        EvalContext ctx = EvalTesting.context(model);
        TaskResult r = EvalTask.prepare(EvalTesting.task("ppl", "loglikelihood_rolling", data), ctx).run(ctx);

        String[] texts = {story, long_, other};
        int bos = model.tokenizer().bosTokenId().orElseThrow();
        double nll = 0, words = 0, bytes = 0, tokens = 0;
        int windows = 0;
        for (int i = 0; i < texts.length; i++) {
            int[] ids = model.tokenizer().encode(texts[i], false);
            double ll = 0;
            for (int s = 0; s < ids.length; s += 511, windows++) {
                int e = Math.min(ids.length, s + 511);
                int[] seq = EvalTesting.concat(new int[] {s == 0 ? bos : ids[s - 1]}, Arrays.copyOfRange(ids, s, e));
                ll += EvalTesting.logLikelihood(model.model(), seq, 1);
            }
            assertEquals(ll, r.samples().get(i).get("loglikelihood").asDouble(), 2e-3 * Math.max(1, ids.length / 100.0), "text " + i);
            nll -= ll;
            words += texts[i].split("\\s+").length;
            bytes += texts[i].getBytes(StandardCharsets.UTF_8).length;
            tokens += ids.length;
        }
        assertTrue(windows >= 5, "the long text spans several windows: " + windows);
        assertEquals(Math.exp(nll / words), r.metric("word_perplexity").value(), 1e-4 * Math.exp(nll / words));
        assertEquals(Math.exp(nll / bytes), r.metric("byte_perplexity").value(), 1e-4);
        assertEquals(nll / bytes / Math.log(2), r.metric("bits_per_byte").value(), 1e-4);
        assertEquals(Math.exp(nll / tokens), r.metric("token_perplexity").value(), 1e-4 * Math.exp(nll / tokens));
        assertTrue(r.metric("token_perplexity").value() < 20, "TinyStories text is easy for the TinyStories model: " + r.metrics());
        for (Metric m : r.metrics()) {
            assertTrue(m.interval().low() <= m.value() && m.value() <= m.interval().high(), m.toString());
            assertEquals("bootstrap", m.interval().method());
        }
    }

    @Test
    void aMissingOrEmptyTextNamesTheLine(@TempDir Path dir) throws IOException {
        EvalContext ctx = EvalTesting.context(model);
        Path missing = EvalTesting.jsonl(dir, "a.jsonl", "{\"text\": \"fine\"}", "{\"content\": \"x\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EvalTask.prepare(EvalTesting.task("ppl", "loglikelihood_rolling", missing), ctx));
        assertTrue(e.getMessage().contains("a.jsonl, line 2: field \"text\" is missing"), e.getMessage());
        Path empty = EvalTesting.jsonl(dir, "b.jsonl", "{\"text\": \"  \"}");
        e = assertThrows(IllegalArgumentException.class, () -> EvalTask.prepare(EvalTesting.task("ppl", "loglikelihood_rolling", empty), ctx));
        assertTrue(e.getMessage().contains("b.jsonl, line 1: field \"text\" is empty"), e.getMessage());
    }
}
