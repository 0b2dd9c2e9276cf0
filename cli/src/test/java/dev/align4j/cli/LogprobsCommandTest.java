package dev.align4j.cli;

import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.models.ReferenceLm;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code align4j logprobs} keeps its contract: n−1 values per sequence, log p(ids[t+1] | ids[..t]). */
class LogprobsCommandTest {

    @Test
    void idsInLogprobsOutMatchTheFloat64ReferencePerSequence(@TempDir Path dir) throws Exception {
        LlamaConfig c = LlamaConfig.tiny("qwen2", 61, 32, 2, 4, 2);
        LlamaModel m = LlamaModel.random(c, 5, 0.2);
        Path folder = dir.resolve("model");
        HfModels.save(m, folder, SaveOptions.defaults());
        int[][] sequences = {{1, 2, 3, 4, 5, 6, 7}, {9}, {60, 0, 33, 12}};
        List<String> lines = new ArrayList<>();
        for (int[] s : sequences) lines.add("{\"input_ids\": " + java.util.Arrays.toString(s) + "}");
        Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl");
        Files.write(in, lines);

        // a batch of 8 tokens forces the three sequences into two packed batches
        Object[] r = MainTest.run("logprobs", "--model", folder.toString(), "--input", in.toString(), "--output", out.toString(),
                "--batch-tokens", "8");
        assertEquals(0, r[0], (String) r[2]);

        Map<String, double[]> w = new HashMap<>();
        for (var e : m.parameters().entrySet()) w.put(e.getKey(), toDouble(e.getValue()));
        var rc = new ReferenceLm.Llama(32, c.intermediateSize(), 2, 4, 2, 8, 61, c.rmsNormEps(), ReferenceLm.invFreq(8, c.ropeTheta()),
                false, false);
        List<double[]> got = new ArrayList<>();
        List<int[]> ids = new ArrayList<>();
        JsonLines.forEach(out, line -> {
            ids.add(JsonLines.MAPPER.convertValue(line.json().get("input_ids"), int[].class));
            got.add(JsonLines.MAPPER.convertValue(line.json().get("token_logprobs"), double[].class));
        });
        assertEquals(sequences.length, got.size());
        for (int i = 0; i < sequences.length; i++) {
            assertArrayEquals(sequences[i], ids.get(i));
            assertEquals(sequences[i].length - 1, got.get(i).length, "n−1 values");
            int[] p = new int[sequences[i].length];
            for (int t = 0; t < p.length; t++) p[t] = t;
            double[] expected = ReferenceLm.tokenLogProbs(ReferenceLm.llamaLogits(rc, w, sequences[i], p), sequences[i]);
            assertArrayEquals(expected, got.get(i), 1e-4, "sequence " + i);
        }
    }

    @Test
    void textIsTokenizedWithBosAndScoredByStories260K(@TempDir Path dir) throws Exception {
        Path model = Fixtures.path("models/stories260K");
        Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl");
        Files.write(in, List.of("{\"text\": \"Once upon a time, there was a little girl named Lily.\"}", "{\"input_ids\": [1, 403, 407]}"));
        Object[] r = MainTest.run("logprobs", "--model", model.toString(), "--input", in.toString(), "--output", out.toString());
        assertEquals(0, r[0], (String) r[2]);
        List<double[]> got = new ArrayList<>();
        List<int[]> ids = new ArrayList<>();
        JsonLines.forEach(out, line -> {
            ids.add(JsonLines.MAPPER.convertValue(line.json().get("input_ids"), int[].class));
            got.add(JsonLines.MAPPER.convertValue(line.json().get("token_logprobs"), double[].class));
        });
        assertEquals(1, ids.get(0)[0], "the tokenizer adds BOS");
        double nll = 0;
        for (double v : got.get(0)) nll -= v;
        double perplexity = Math.exp(nll / got.get(0).length);
        assertTrue(perplexity < 10, "perplexity " + perplexity + " should be far below the uniform 512");
        assertEquals(2, got.get(1).length);
    }

    @Test
    void anOutOfRangeIdNamesTheFileLineAndField(@TempDir Path dir) throws Exception {
        Path model = Fixtures.path("models/stories260K");
        Path in = dir.resolve("in.jsonl"), out = dir.resolve("out.jsonl");
        Files.write(in, List.of("{\"input_ids\": [1, 2]}", "{\"input_ids\": [1, 512]}"));
        Object[] r = MainTest.run("logprobs", "--model", model.toString(), "--input", in.toString(), "--output", out.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("in.jsonl, line 2: field \"input_ids\" item 1 is 512"), (String) r[2]);
        assertFalse(Files.exists(out));
    }

    @Test
    void inspectDescribesAModelFolder() {
        Object[] r = MainTest.run("inspect", "--model", Fixtures.path("models/stories260K").toString());
        assertEquals(0, r[0], (String) r[2]);
        String text = (String) r[1];
        for (String expected : new String[] {"llama", "260,032", "tied embeddings: yes", "stored F32", "hidden size:    64"}) {
            assertTrue(text.contains(expected), "missing \"" + expected + "\" in:\n" + text);
        }
    }

    static double[] toDouble(Tensor t) {
        float[] f = t.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
