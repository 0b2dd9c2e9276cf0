package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The state of a labelling session: the comparisons, which of them are labelled, and the two files
 * the labels go to. It turns a choice of a side of the page into a row: a preference in TRL's
 * explicit-prompt format ({@code prompt}, {@code chosen}, {@code rejected}, plus {@code id},
 * {@code shown_order} and the input's other columns), which {@code align4j dpo}, {@code kto} and
 * {@code reward} read as they are; or, for a tie or a skip, a row of the skipped file
 * ({@link #skippedPath}: {@code id}, {@code choice}, {@code shown_order}, {@code prompt},
 * {@code completion_a}, {@code completion_b}, the other columns), which is itself an input that
 * {@code align4j label} accepts, for a second look.
 *
 * <p>Both files together are the session's memory: on open, every id found in either counts as
 * labelled and is not shown again, so a session stopped at any moment resumes where it was. A
 * label for an id already labelled is ignored (a browser that submits twice writes one row). Ids
 * in the files that the input lacks are a warning: they stay in the files, uncounted.
 *
 * <p>What it is not: the HTTP layer ({@link LabelServer}). Every method that reads or changes the
 * labels is synchronized, so requests on several threads still label an item once.
 */
public final class LabelStore implements AutoCloseable {
    /** What became of a label. */
    public enum Outcome {
        /** Written and on disk. */
        RECORDED,
        /** The id was labelled already (by this session or an earlier one): nothing written. */
        ALREADY_LABELLED,
        /** The input has no comparison with that id: nothing written. */
        UNKNOWN_ID,
        /** The sides the client saw are not this session's order for the id (a restart with another --seed): nothing written. */
        ORDER_CHANGED
    }

    /** An unlabelled item as the page shows it. */
    public record Item(String id, String prompt, String left, String right, ShownOrder order) {}

    private final List<Comparison> comparisons;
    private final Map<String, Comparison> byId = new LinkedHashMap<>();
    private final Set<String> labelled = new HashSet<>();
    private final long seed;
    private final LabelLog preferences, skipped;
    /** Every comparison before this index is labelled. */
    private int cursor;

    private LabelStore(List<Comparison> comparisons, long seed, LabelLog preferences, LabelLog skipped) {
        this.comparisons = comparisons;
        for (Comparison c : comparisons) byId.put(c.id(), c);
        this.seed = seed;
        this.preferences = preferences;
        this.skipped = skipped;
    }

    /**
     * Reads the input and the labels already written, repairing a torn last line of either file.
     *
     * @param output the preference file; ties and skips go to {@link #skippedPath}{@code (output)}
     * @param seed   the seed of the shown orders
     * @param warn   receives each warning (repairs, unknown or repeated ids) as one line
     * @throws IllegalArgumentException for bad input (file, line, field), a labels file damaged before
     *                                  its last line, or an output in use by another session
     */
    public static LabelStore open(Path input, Path output, long seed, Consumer<String> warn) throws IOException {
        Path skippedFile = skippedPath(output);
        Path in = input.toAbsolutePath().normalize();
        if (in.equals(output.toAbsolutePath().normalize()) || in.equals(skippedFile.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--output " + output + " would overwrite the input " + input + "; choose another file");
        }
        List<Comparison> comparisons = Comparisons.read(input);
        LabelLog preferences = LabelLog.open(output, warn);
        LabelLog skipped;
        try {
            skipped = LabelLog.open(skippedFile, warn);
        } catch (IOException | RuntimeException e) {
            preferences.close();
            throw e;
        }
        LabelStore store = new LabelStore(comparisons, seed, preferences, skipped);
        try {
            store.resume(input, warn);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Where ties and skips of {@code output} go: {@code prefs.jsonl} → {@code prefs.skipped.jsonl}. */
    public static Path skippedPath(Path output) {
        String name = output.getFileName().toString();
        String stem = name.toLowerCase(java.util.Locale.ROOT).endsWith(".jsonl") ? name.substring(0, name.length() - ".jsonl".length()) : name;
        return output.resolveSibling(stem + ".skipped.jsonl");
    }

    private void resume(Path input, Consumer<String> warn) {
        List<String> unknown = new ArrayList<>();
        for (LabelLog log : List.of(preferences, skipped)) {
            for (JsonLines.Line row : log.rows()) {
                JsonNode id = row.require("id");
                if (!id.isTextual() && !id.isNumber()) throw row.error("id", "must be a string or a number, got " + id.getNodeType());
                String key = id.asText();
                if (!byId.containsKey(key)) unknown.add(key);
                else if (!labelled.add(key)) warn.accept(row.file() + ", line " + row.number() + ": id \"" + key + "\" is labelled twice; the"
                        + " file keeps both rows");
            }
        }
        if (!unknown.isEmpty()) {
            warn.accept(unknown.size() + " labelled id" + (unknown.size() == 1 ? " is" : "s are") + " not in " + input + " (" + String.join(", ",
                    unknown.subList(0, Math.min(5, unknown.size()))) + (unknown.size() > 5 ? ", ..." : "") + "); they stay in the output,"
                    + " uncounted");
        }
    }

    /** The first unlabelled item in input order, or empty when every item is labelled. */
    public synchronized Optional<Item> next() {
        while (cursor < comparisons.size() && labelled.contains(comparisons.get(cursor).id())) cursor++;
        if (cursor == comparisons.size()) return Optional.empty();
        Comparison c = comparisons.get(cursor);
        ShownOrder order = order(c);
        return Optional.of(new Item(c.id(), c.prompt(), order.left(c), order.right(c), order));
    }

    /**
     * Records {@code choice} for the item {@code id}, the row on disk before this returns.
     *
     * @param seen the order the client showed, or null to take this session's order on trust
     */
    public synchronized Outcome label(String id, Choice choice, ShownOrder seen) throws IOException {
        Comparison c = byId.get(id);
        if (c == null) return Outcome.UNKNOWN_ID;
        if (labelled.contains(id)) return Outcome.ALREADY_LABELLED;
        ShownOrder order = order(c);
        if (seen != null && seen != order) return Outcome.ORDER_CHANGED;
        if (choice.prefers()) preferences.append(preferenceRow(c, order, choice));
        else skipped.append(skippedRow(c, order, choice));
        labelled.add(id);
        return Outcome.RECORDED;
    }

    /** The shown order of {@code c} in this session. */
    public ShownOrder order(Comparison c) {
        return ShownOrder.of(seed, c.id());
    }

    /** How many input items are labelled (preferences, ties and skips). */
    public synchronized int labelled() {
        return labelled.size();
    }

    /** How many items the input has. */
    public int total() {
        return comparisons.size();
    }

    /** The preference file. */
    public Path output() {
        return preferences.file();
    }

    /** The file of ties and skips. */
    public Path skippedOutput() {
        return skipped.file();
    }

    private static ObjectNode preferenceRow(Comparison c, ShownOrder order, Choice choice) {
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        String left = order.left(c), right = order.right(c);
        row.put("prompt", c.prompt());
        row.put("chosen", choice == Choice.LEFT ? left : right);
        row.put("rejected", choice == Choice.LEFT ? right : left);
        row.set("id", c.idJson());
        row.set("shown_order", order.json());
        return carry(row, c);
    }

    private static ObjectNode skippedRow(Comparison c, ShownOrder order, Choice choice) {
        ObjectNode row = JsonLines.MAPPER.createObjectNode();
        row.set("id", c.idJson());
        row.put("choice", choice.json());
        row.set("shown_order", order.json());
        row.put("prompt", c.prompt());
        row.put("completion_a", c.completionA());
        row.put("completion_b", c.completionB());
        return carry(row, c);
    }

    private static ObjectNode carry(ObjectNode row, Comparison c) {
        c.carried().properties().forEach(e -> {
            if (!row.has(e.getKey())) row.set(e.getKey(), e.getValue());
        });
        return row;
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            preferences.close();
        } finally {
            skipped.close();
        }
    }
}
