package dev.align4j.data.synth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes one task's problems in every format post-training needs, TRL's dataset formats, into
 * {@code DIR/<task>/}:
 * <ul>
 * <li>{@code pretrain.jsonl} — language modeling {@code {"text"}}: each training problem's
 *     {@link Problem#prose()} texts, shuffled; plain statements, not the chat format SFT teaches.
 * <li>{@code sft.jsonl} — conversational language modeling {@code {"messages"}}: the question and
 *     the well-formatted reply ({@link Replies#formatted}).
 * <li>{@code preference.jsonl} — {@code {"prompt", "chosen", "rejected", "kind"}}: about half
 *     {@code "correctness"} pairs (right vs wrong answer, both well formatted), half
 *     {@code "format"} pairs (right answer well vs badly formatted).
 * <li>{@code kto.jsonl} — unpaired preference {@code {"prompt", "completion", "label"}}: about
 *     half desirable (right, well formatted), half undesirable (wrong, or badly formatted).
 * <li>{@code grpo.jsonl} — prompt-only {@code {"prompt", "solution", "task", "level"}}, the gold
 *     answer in TRL's {@code solution} column for {@code accuracy_reward}.
 * <li>{@code eval.jsonl} {@code {"question", "answer", "task", "level"}} for generative evaluation,
 *     {@code eval_grpo.jsonl} the same problems as {@code grpo.jsonl}'s rows, and
 *     {@code eval_preference.jsonl} their pairs as {@code preference.jsonl}'s, for reward-model accuracy.
 * </ul>
 * Conversational columns are lists of {@code {"role", "content"}} messages. Every file of the set
 * goes to a temporary file first and all are moved into place only once all are written, so a
 * failure leaves the previous set (or nothing), never half of one.
 *
 * <p>What it is not: a sampler (the problems come from {@link Draw}). Its own random choices (which
 * pair kind, which bad format, the pretraining order) come from streams fixed by the seed and the
 * task, one for the training files and one for the evaluation files, so the evaluation files do
 * not depend on {@code --n}.
 */
public final class SynthWriter {
    private SynthWriter() {}

    /** The files of a task's set, in the order they are written and reported. */
    public static final List<String> FILES = List.of("pretrain.jsonl", "sft.jsonl", "preference.jsonl", "kto.jsonl", "grpo.jsonl",
            "eval.jsonl", "eval_grpo.jsonl", "eval_preference.jsonl");

    /**
     * Writes the set of {@code split} into {@code dir}.
     *
     * @return each file's row count, in {@link #FILES} order
     */
    public static Map<String, Integer> write(Path dir, String task, Draw.Split split, long seed) throws IOException {
        Random trainRng = Draw.random(seed, task, "train-formats"), evalRng = Draw.random(seed, task, "eval-formats");
        Map<String, List<ObjectNode>> files = new LinkedHashMap<>();
        List<ObjectNode> pretrain = new ArrayList<>();
        for (Problem p : split.train()) {
            for (String text : p.prose()) pretrain.add(JsonLines.MAPPER.createObjectNode().put("text", text));
        }
        Collections.shuffle(pretrain, trainRng);
        files.put("pretrain.jsonl", pretrain);
        files.put("sft.jsonl", rows(split.train(), p -> sft(p)));
        files.put("preference.jsonl", rows(split.train(), p -> preference(p, trainRng)));
        files.put("kto.jsonl", rows(split.train(), p -> kto(p, trainRng)));
        files.put("grpo.jsonl", rows(split.train(), SynthWriter::grpo));
        files.put("eval.jsonl", rows(split.eval(), SynthWriter::eval));
        files.put("eval_grpo.jsonl", rows(split.eval(), SynthWriter::grpo));
        files.put("eval_preference.jsonl", rows(split.eval(), p -> preference(p, evalRng)));

        Map<String, Integer> counts = new LinkedHashMap<>();
        List<JsonLines.Writer> writers = new ArrayList<>();
        try {
            for (var file : files.entrySet()) {
                JsonLines.Writer out = new JsonLines.Writer(dir.resolve(file.getKey()));
                writers.add(out);
                for (ObjectNode row : file.getValue()) out.write(row);
                counts.put(file.getKey(), file.getValue().size());
            }
            for (JsonLines.Writer out : writers) out.commit();
        } finally {
            for (JsonLines.Writer out : writers) out.close(); // deletes what was not committed
        }
        return counts;
    }

    private static List<ObjectNode> rows(List<Problem> problems, java.util.function.Function<Problem, ObjectNode> row) {
        List<ObjectNode> out = new ArrayList<>(problems.size());
        for (Problem p : problems) out.add(row.apply(p));
        return out;
    }

    private static ObjectNode sft(Problem p) {
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        ArrayNode messages = row.putArray("messages");
        messages.add(message("user", p.question()));
        messages.add(message("assistant", Replies.formatted(p.reasoning(), p.answer())));
        return row;
    }

    private static ObjectNode preference(Problem p, Random rng) {
        boolean correctness = rng.nextBoolean();
        String rejected = correctness ? Replies.formatted(p.wrongReasoning(), p.wrongAnswer()) : Replies.badlyFormatted(p, rng);
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        row.set("prompt", prompt(p));
        row.set("chosen", reply(Replies.formatted(p.reasoning(), p.answer())));
        row.set("rejected", reply(rejected));
        row.put("kind", correctness ? "correctness" : "format");
        return row;
    }

    private static ObjectNode kto(Problem p, Random rng) {
        boolean desirable = rng.nextBoolean();
        String completion = desirable ? Replies.formatted(p.reasoning(), p.answer())
                : rng.nextBoolean() ? Replies.formatted(p.wrongReasoning(), p.wrongAnswer()) : Replies.badlyFormatted(p, rng);
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        row.set("prompt", prompt(p));
        row.set("completion", reply(completion));
        row.put("label", desirable);
        return row;
    }

    private static ObjectNode grpo(Problem p) {
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        row.set("prompt", prompt(p));
        row.put("solution", p.answer());
        row.put("task", p.task());
        row.put("level", p.level());
        return row;
    }

    private static ObjectNode eval(Problem p) {
        return JsonLines.MAPPER.createObjectNode().put("question", p.question()).put("answer", p.answer())
                .put("task", p.task()).put("level", p.level());
    }

    private static ArrayNode prompt(Problem p) {
        return JsonLines.MAPPER.createArrayNode().add(message("user", p.question()));
    }

    private static ArrayNode reply(String content) {
        return JsonLines.MAPPER.createArrayNode().add(message("assistant", content));
    }

    private static ObjectNode message(String role, String content) {
        return JsonLines.MAPPER.createObjectNode().put("role", role).put("content", content);
    }
}
