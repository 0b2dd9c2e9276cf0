package dev.align4j.data.synth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.align4j.data.synth.IndependentChecker.answerOf;
import static dev.align4j.data.synth.IndependentChecker.reasoningOf;
import static dev.align4j.data.synth.IndependentChecker.solve;
import static dev.align4j.data.synth.IndependentChecker.wellFormatted;
import static dev.align4j.data.synth.SynthFiles.content;
import static dev.align4j.data.synth.SynthFiles.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every row of a generated set of a few hundred problems per task is right, as judged by
 * {@link IndependentChecker} (which reads the question text, not the generator's working): the SFT
 * answer line, the GRPO solution, the eval answer and level, both sides of every preference pair,
 * and every KTO label.
 */
class SynthAnswersTest {
    @TempDir
    Path out;

    private static final int N = 400, EVAL_N = 80;

    @ParameterizedTest
    @ValueSource(strings = {"arithmetic", "sorting", "counting", "conversion"})
    void sftAnswersAreCorrectAndWellFormatted(String name) throws Exception {
        Path dir = SynthFiles.generate(out, Task.named(name), N, EVAL_N, 7);
        List<ObjectNode> rows = read(dir.resolve("sft.jsonl"));
        assertEquals(N, rows.size());
        for (ObjectNode row : rows) {
            var messages = row.get("messages");
            assertEquals(2, messages.size(), row.toString());
            assertEquals("user", messages.get(0).get("role").asText());
            assertEquals("assistant", messages.get(1).get("role").asText());
            String question = messages.get(0).get("content").asText(), reply = messages.get(1).get("content").asText();
            assertTrue(wellFormatted(reply), reply);
            assertEquals(solve(name, question).answer(), answerOf(reply), question);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"arithmetic", "sorting", "counting", "conversion"})
    void solutionsAndEvalAnswersAreCorrectAtTheirLevels(String name) throws Exception {
        Path dir = SynthFiles.generate(out, Task.named(name), N, EVAL_N, 8);
        int[] levels = new int[4];
        for (String file : List.of("grpo.jsonl", "eval_grpo.jsonl")) {
            for (ObjectNode row : read(dir.resolve(file))) {
                String question = content(row, "prompt");
                var solved = solve(name, question);
                assertEquals(solved.answer(), row.get("solution").asText(), question);
                assertEquals(solved.level(), row.get("level").asInt(), question);
                assertEquals(name, row.get("task").asText());
                levels[solved.level()]++;
            }
        }
        List<ObjectNode> eval = read(dir.resolve("eval.jsonl"));
        assertEquals(EVAL_N, eval.size());
        for (ObjectNode row : eval) {
            var solved = solve(name, row.get("question").asText());
            assertEquals(solved.answer(), row.get("answer").asText(), row.toString());
            assertEquals(solved.level(), row.get("level").asInt(), row.toString());
            assertEquals(name, row.get("task").asText());
        }
        for (int level = 1; level <= 3; level++) assertTrue(levels[level] > (N + EVAL_N) / 6, "level " + level + " is rare: " + levels[level]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"arithmetic", "sorting", "counting", "conversion"})
    void preferencePairsPreferTheRightWellFormattedReply(String name) throws Exception {
        Path dir = SynthFiles.generate(out, Task.named(name), N, EVAL_N, 9);
        for (String file : List.of("preference.jsonl", "eval_preference.jsonl")) {
            List<ObjectNode> rows = read(dir.resolve(file));
            int correctness = 0;
            for (ObjectNode row : rows) {
                String question = content(row, "prompt"), chosen = content(row, "chosen"), rejected = content(row, "rejected");
                String gold = solve(name, question).answer();
                assertTrue(wellFormatted(chosen), chosen);
                assertEquals(gold, answerOf(chosen), question);
                switch (row.get("kind").asText()) {
                    case "correctness" -> {
                        correctness++;
                        assertTrue(wellFormatted(rejected), "a correctness pair differs only in the answer: " + rejected);
                        assertNotEquals(gold, answerOf(rejected), question);
                        assertReasoningLeadsTo(answerOf(rejected), reasoningOf(rejected));
                    }
                    case "format" -> {
                        assertFalse(wellFormatted(rejected), "a format pair's rejected reply must break the format: " + rejected);
                        assertEquals(gold, answerOf(rejected), "a format pair's rejected reply has the right answer: " + rejected);
                    }
                    default -> throw new AssertionError("unknown kind " + row.get("kind"));
                }
            }
            if (file.equals("preference.jsonl")) {
                assertEquals(N, rows.size());
                assertTrue(correctness > N * 0.35 && correctness < N * 0.65, "roughly half correctness pairs: " + correctness + " of " + N);
            } else {
                assertEquals(EVAL_N, rows.size());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"arithmetic", "sorting", "counting", "conversion"})
    void ktoLabelsAgreeWithCorrectnessAndFormat(String name) throws Exception {
        Path dir = SynthFiles.generate(out, Task.named(name), N, EVAL_N, 10);
        List<ObjectNode> rows = read(dir.resolve("kto.jsonl"));
        assertEquals(N, rows.size());
        int desirable = 0, wrong = 0, badlyFormatted = 0;
        for (ObjectNode row : rows) {
            String question = content(row, "prompt"), completion = content(row, "completion");
            boolean right = solve(name, question).answer().equals(answerOf(completion)), formatted = wellFormatted(completion);
            assertEquals(right && formatted, row.get("label").asBoolean(), question + " → " + completion);
            desirable += row.get("label").asBoolean() ? 1 : 0;
            wrong += right ? 0 : 1;
            badlyFormatted += formatted ? 0 : 1;
        }
        assertTrue(desirable > N * 0.35 && desirable < N * 0.65, "roughly balanced labels: " + desirable + " of " + N);
        assertTrue(wrong > N / 10 && badlyFormatted > N / 10, "both kinds of undesirable: " + wrong + " wrong, " + badlyFormatted + " badly formatted");
    }

    @ParameterizedTest
    @ValueSource(strings = {"arithmetic", "sorting", "counting", "conversion"})
    void pretrainingTextStatesSolvedTrainingProblemsWithoutTheChatFormat(String name) throws Exception {
        Path dir = SynthFiles.generate(out, Task.named(name), 100, 20, 11);
        List<ObjectNode> rows = read(dir.resolve("pretrain.jsonl"));
        assertTrue(rows.size() >= 2 * 100, "several texts per problem: " + rows.size());
        List<String> answers = new ArrayList<>();
        for (ObjectNode row : read(dir.resolve("grpo.jsonl"))) answers.add(row.get("solution").asText());
        String all = String.join("\n", rows.stream().map(r -> r.get("text").asText()).toList());
        for (ObjectNode row : rows) {
            String text = row.get("text").asText();
            assertFalse(text.contains("Answer:") || text.contains("<think>"), "pretraining text in the SFT format: " + text);
        }
        for (String answer : answers) assertTrue(all.contains(answer), "the answer " + answer + " is stated somewhere");
        for (ObjectNode row : read(dir.resolve("eval.jsonl"))) {
            assertFalse(all.contains(row.get("question").asText()), "a held-out question in the pretraining text: " + row.get("question"));
        }
    }

    private static final Pattern INTEGER = Pattern.compile("\\d+");

    /** The last line of a wrong reasoning ends in the wrong answer's numbers: the reasoning matches the answer it gives. */
    private static void assertReasoningLeadsTo(String answer, String reasoning) {
        String[] lines = reasoning.split("\n");
        List<String> got = numbers(lines[lines.length - 1]), want = numbers(answer);
        assertEquals(want, got.subList(got.size() - want.size(), got.size()), reasoning + " → " + answer);
    }

    private static List<String> numbers(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = INTEGER.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }
}
