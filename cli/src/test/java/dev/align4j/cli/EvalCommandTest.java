package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.io.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j eval} end to end on the real stories260K: a run of three task types gives the
 * table, the JSON with intervals and the samples, and a second run the same bytes; bad data stops
 * the run before any compute with the file, line and field; the model itself as a local judge
 * (it writes stories, not verdicts) has its unparsable grades counted, not crashed on; an
 * unreachable judge endpoint is retried, reported, and the earlier task's results are kept.
 */
class EvalCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path model, mc, gen, ppl, prompts;

    @BeforeAll
    static void data() throws IOException {
        model = Fixtures.path("models/stories260K");
        mc = Files.write(shared.resolve("mc.jsonl"), List.of(
                "{\"question\": \"Once upon a time, there was a little\", \"choices\": [\"girl\", \"spoon of the\"], \"answer\": 0}",
                "{\"question\": \"Lily went to the\", \"choices\": [\"park\", \"xylophone\"], \"answer\": \"A\"}",
                "{\"question\": \"The dog was\", \"choices\": [\"happy\", \"seventeen\"], \"answer\": 0}"));
        gen = Files.write(shared.resolve("gen.jsonl"), List.of("{\"question\": \"One day\", \"answer\": \"Lily\"}",
                "{\"question\": \"Tom had a\", \"answer\": \"ball\"}"));
        ppl = Files.write(shared.resolve("ppl.jsonl"), List.of("{\"text\": \"Once upon a time, there was a little girl named Lily.\"}"));
        prompts = Files.write(shared.resolve("prompts.jsonl"), List.of("{\"prompt\": \"Tell me a story.\"}", "{\"prompt\": \"Who is Lily?\"}"));
    }

    static Object[] eval(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "eval";
        all[1] = "--model";
        all[2] = model.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return MainTest.run(all);
    }

    @Test
    void aRunPrintsTheTableWritesJsonAndSamplesAndRepeatsExactly(@TempDir Path dir) throws IOException {
        String tasks = "mc:" + mc + ",generate:" + gen + ",perplexity:" + ppl;
        Path out = dir.resolve("a/results.json");
        Object[] r = eval("--tasks", tasks, "--output", out.toString(), "--log-samples");
        assertEquals(0, r[0], (String) r[2]);
        String table = (String) r[1];
        assertTrue(table.startsWith("| task") && table.contains("95% interval"), table);
        for (String metric : List.of("acc ", "acc_norm", "exact_match", "answer_rate", "word_perplexity", "bits_per_byte")) {
            assertTrue(table.contains(metric), metric + " in\n" + table);
        }
        JsonNode json = JSON.readTree(out.toFile());
        JsonNode acc = json.at("/results/mc:mc/metrics/0");
        assertEquals("acc", acc.get("metric").asText());
        assertEquals(3, acc.get("n").asInt());
        assertEquals("wilson", acc.get("interval").asText());
        assertTrue(acc.get("ci_low").asDouble() <= acc.get("value").asDouble() && acc.get("value").asDouble() <= acc.get("ci_high").asDouble());
        assertEquals(1.0, acc.get("value").asDouble(), "the TinyStories model knows these: " + json);
        assertEquals("bootstrap", json.at("/results/perplexity:ppl/metrics/0/interval").asText());
        assertTrue(json.at("/results/generate:gen/error").isNull());
        for (String t : List.of("mc_mc", "generate_gen", "perplexity_ppl")) {
            assertTrue(Files.isRegularFile(dir.resolve("a/samples_" + t + ".jsonl")), t);
        }
        assertEquals(2, Files.readAllLines(dir.resolve("a/samples_generate_gen.jsonl")).size());

        Path again = dir.resolve("b/results.json");
        assertEquals(0, eval("--tasks", tasks, "--output", again.toString())[0]);
        assertEquals(Files.readString(out), Files.readString(again), "fixed seeds and order: two runs agree");
    }

    @Test
    void badDataStopsTheRunBeforeAnyComputeNamingFileLineAndField(@TempDir Path dir) throws IOException {
        Path bad = Files.write(dir.resolve("bad.jsonl"), List.of("{\"question\": \"q\", \"choices\": [\"a\"], \"answer\": 0}",
                "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 5}"));
        Path out = dir.resolve("results.json");
        Object[] r = eval("--tasks", "mc:" + mc + ",mc:" + bad, "--output", out.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains(bad + ", line 2: field \"answer\" is 5, out of range for 2 choices"), (String) r[2]);
        assertFalse(Files.exists(out), "nothing ran: the first task waits for every task's checks");
        r = eval("--tasks", "mc:" + dir.resolve("none.jsonl"));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("none.jsonl: no such file"), (String) r[2]);
    }

    @Test
    void aLocalJudgeModelsUnparsableGradesAreCounted(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("results.json");
        Object[] r = eval("--tasks", "judge:" + prompts, "--judge", model.toString(), "--judge-max-tokens", "16", "--output", out.toString(),
                "--log-samples");
        assertEquals(0, r[0], (String) r[2]);
        JsonNode metrics = JSON.readTree(out.toFile()).at("/results/judge:prompts/metrics");
        assertEquals("unparsed", metrics.get(1).get("metric").asText());
        List<String> samples = Files.readAllLines(dir.resolve("samples_judge_prompts.jsonl"));
        long parsed = samples.stream().filter(s -> !s.contains("\"score\":null")).count();
        assertEquals(2 - parsed, metrics.get(1).get("value").asInt(), "every grade the judge did not give is counted: " + samples);
        assertEquals(parsed, metrics.get(0).get("n").asInt());
    }

    @Test
    void anUnreachableJudgeEndpointIsReportedAndEarlierResultsKept(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path out = dir.resolve("results.json");
        Object[] r = eval("--tasks", "mc:" + mc + ",judge:" + prompts, "--judge", "http://127.0.0.1:" + port, "--judge-model", "gpt",
                "--judge-retries", "1", "--output", out.toString());
        assertEquals(1, r[0]);
        String err = (String) r[2];
        assertTrue(err.contains("stopped early") && err.contains("127.0.0.1:" + port), err);
        JsonNode json = JSON.readTree(out.toFile());
        assertEquals(1.0, json.at("/results/mc:mc/metrics/0/value").asDouble());
        assertTrue(json.at("/results/judge:prompts/error").asText().contains("2 attempts"), json.toString());
        assertTrue(((String) r[1]).contains("judge:prompts: stopped after 0 of 2 rows"), (String) r[1]);
    }

    @Test
    void aJudgeTemplateWithoutItsPlaceholdersIsRefused(@TempDir Path dir) throws IOException {
        Path template = Files.writeString(dir.resolve("grade.txt"), "Grade it.\n---\nQuestion: {question}\n");
        Object[] r = eval("--tasks", "judge:" + prompts, "--judge", model.toString(), "--judge-single-template", template.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains(template.toString()) && ((String) r[2]).contains("{answer}"), (String) r[2]);
    }
}
