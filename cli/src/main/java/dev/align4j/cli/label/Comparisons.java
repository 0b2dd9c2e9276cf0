package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.align4j.io.JsonLines;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the input of {@code align4j label}: JSON Lines, one comparison per line, every problem an
 * error naming the file, the line and the field.
 *
 * <p>A line holds a string {@code prompt} and its two completions as strings, under one of three
 * spellings: {@code completion_a} and {@code completion_b} (what a sampling script writes);
 * {@code chosen} and {@code rejected} (an existing preference dataset, to be relabelled or checked;
 * the page still shows them in random order, unnamed); or {@code completions: [a, b]}. An optional
 * {@code id}, a string or a number, names the item in the output; without one the item is its
 * 1-based line number, which stays right only while nobody edits the input between sessions. Ids
 * are unique. Every other column is carried into the output rows, except {@code shown_order} and
 * {@code choice} (they describe an earlier session: a skipped file fed back in as input) and
 * {@code margin} (a reward margin of the input's chosen over its rejected, which the person may reverse).
 *
 * <p>What it is not: a dataset loader. Conversational rows (message lists) are not accepted: the
 * page shows text. And the columns {@code completion}, {@code label}, {@code messages} and
 * {@code text} are refused rather than carried: beside {@code prompt}, {@code chosen} and
 * {@code rejected} they would make TRL's dataset type detection (and {@code Datasets.load}) take the
 * output for another type or none.
 */
public final class Comparisons {
    private Comparisons() {}

    /** Input columns that are read, not carried. */
    private static final Set<String> READ = Set.of("prompt", "completion_a", "completion_b", "chosen", "rejected", "completions", "id",
            "shown_order", "choice", "margin");

    /** Columns that would change the output's TRL dataset type. */
    private static final Set<String> REFUSED = Set.of("completion", "label", "messages", "text");

    /**
     * The comparisons of {@code file}, in its order.
     *
     * @throws IllegalArgumentException naming the file, line and field of the first bad row, both
     *                                  lines of a duplicate id, or the file when it has no rows
     */
    public static List<Comparison> read(Path file) {
        List<Comparison> out = new ArrayList<>();
        Map<String, Integer> lineOfId = new HashMap<>();
        JsonLines.forEach(file, line -> {
            Comparison c = parse(line);
            Integer earlier = lineOfId.putIfAbsent(c.id(), line.number());
            if (earlier != null) {
                throw line.error("id", "is \"" + c.id() + "\", the id of line " + earlier + " too; every comparison needs its own id"
                        + (line.json().has("id") ? "" : " (a line without an id takes its line number as id)"));
            }
            out.add(c);
        });
        if (out.isEmpty()) throw new IllegalArgumentException(file + " has no comparisons: write one JSON object per line, with"
                + " \"prompt\", \"completion_a\" and \"completion_b\"");
        return out;
    }

    private static Comparison parse(JsonLines.Line line) {
        ObjectNode json = line.json();
        for (String refused : REFUSED) {
            if (json.has(refused)) {
                throw line.error(refused, "cannot be carried into the preference output: beside prompt, chosen and rejected it would"
                        + " make dpo, kto and reward read the rows as another dataset type; rename or drop the column");
            }
        }
        String prompt = text(line, "prompt");
        String a, b;
        boolean ab = present(json, "completion_a") || present(json, "completion_b");
        boolean chosenRejected = present(json, "chosen") || present(json, "rejected");
        boolean list = present(json, "completions");
        if ((ab ? 1 : 0) + (chosenRejected ? 1 : 0) + (list ? 1 : 0) > 1) {
            String field = ab ? "completion_a" : "chosen";
            throw line.error(field, "is one of two spellings of the completions on this line; give either completion_a and completion_b,"
                    + " chosen and rejected, or completions: [a, b]");
        }
        if (chosenRejected) {
            a = text(line, "chosen");
            b = text(line, "rejected");
        } else if (list) {
            JsonNode pair = json.get("completions");
            if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                throw line.error("completions", "must be a list of two strings, got " + abbreviate(pair));
            }
            a = pair.get(0).asText();
            b = pair.get(1).asText();
        } else if (ab) {
            a = text(line, "completion_a");
            b = text(line, "completion_b");
        } else {
            throw line.error("completion_a", "is missing: give the two completions as completion_a and completion_b, as chosen and"
                    + " rejected, or as completions: [a, b]");
        }
        JsonNode idJson = json.get("id");
        String id;
        if (idJson == null || idJson.isNull()) {
            id = Integer.toString(line.number());
            idJson = TextNode.valueOf(id);
        } else if (idJson.isTextual() || idJson.isNumber()) {
            id = idJson.asText();
            if (id.isEmpty()) throw line.error("id", "is empty; give each comparison a non-empty id, or none (its line number)");
        } else {
            throw line.error("id", "must be a string or a number, got " + idJson.getNodeType());
        }
        ObjectNode carried = json.objectNode();
        json.properties().forEach(e -> {
            if (!READ.contains(e.getKey())) carried.set(e.getKey(), e.getValue());
        });
        return new Comparison(id, idJson, line.number(), prompt, a, b, carried);
    }

    private static boolean present(ObjectNode json, String field) {
        return json.hasNonNull(field);
    }

    private static String text(JsonLines.Line line, String field) {
        JsonNode v = line.require(field);
        if (!v.isTextual()) {
            throw line.error(field, "must be a string, got " + v.getNodeType()
                    + (v.isArray() ? " (conversational rows are not supported: the page shows text)" : ""));
        }
        return v.asText();
    }

    private static String abbreviate(JsonNode value) {
        String s = value.toString();
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
