package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.data.Dataset;
import dev.align4j.data.DatasetType;
import dev.align4j.data.Datasets;
import dev.align4j.data.Row;
import dev.align4j.io.JsonLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The labelling session without a browser: shown orders, the mapping of sides to chosen and rejected, the two files, restarts. */
class LabelStoreTest {
    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    /** {@code n} comparisons: prompt "prompt i", completion_a "good i", completion_b "bad i", id "i", a carried column. */
    static Path pairs(Path dir, int n) throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            text.append(JsonLines.MAPPER.createObjectNode().put("id", "item-" + i).put("prompt", "prompt " + i)
                    .put("completion_a", "good " + i).put("completion_b", "bad " + i).put("source", "test")).append('\n');
        }
        Files.writeString(file, text);
        return file;
    }

    private LabelStore open(Path input, long seed) throws IOException {
        return LabelStore.open(input, dir.resolve("prefs.jsonl"), seed, warnings::add);
    }

    static List<ObjectNode> rows(Path file) {
        List<ObjectNode> rows = new ArrayList<>();
        if (Files.exists(file)) JsonLines.forEach(file, l -> rows.add(l.json()));
        return rows;
    }

    @Test
    void theShownOrderIsAHashOfSeedAndIdSoBothOrdersOccurAndARestartRepeatsThem() {
        Map<ShownOrder, Integer> counts = new EnumMap<>(ShownOrder.class);
        int differsWithSeed = 0;
        for (int i = 0; i < 400; i++) {
            String id = Integer.toString(i);
            ShownOrder o = ShownOrder.of(7, id);
            counts.merge(o, 1, Integer::sum);
            assertEquals(o, ShownOrder.of(7, id), "the same seed and id give the same order");
            if (ShownOrder.of(8, id) != o) differsWithSeed++;
        }
        assertTrue(counts.get(ShownOrder.A_LEFT) > 150 && counts.get(ShownOrder.B_LEFT) > 150, "about half each: " + counts);
        assertTrue(differsWithSeed > 150 && differsWithSeed < 250, "another seed reshuffles about half: " + differsWithSeed);
        assertEquals(ShownOrder.B_LEFT, ShownOrder.parse(ShownOrder.B_LEFT.json()));
        assertEquals("[\"completion_b\",\"completion_a\"]", ShownOrder.B_LEFT.json().toString());
    }

    @Test
    void aSideMapsBackToChosenAndRejectedInBothOrders() throws IOException {
        Path input = pairs(dir, 16);
        Map<ShownOrder, Integer> seen = new EnumMap<>(ShownOrder.class);
        try (LabelStore store = open(input, 1)) {
            for (int i = 0; i < 16; i++) {
                LabelStore.Item item = store.next().orElseThrow();
                seen.merge(item.order(), 1, Integer::sum);
                int n = Integer.parseInt(item.id().substring("item-".length()));
                assertEquals("prompt " + n, item.prompt());
                boolean aLeft = item.order() == ShownOrder.A_LEFT;
                assertEquals(aLeft ? "good " + n : "bad " + n, item.left());
                assertEquals(aLeft ? "bad " + n : "good " + n, item.right());
                Choice choice = i % 2 == 0 ? Choice.LEFT : Choice.RIGHT; // press each side in both orders
                assertEquals(LabelStore.Outcome.RECORDED, store.label(item.id(), choice, item.order()));
            }
            assertTrue(store.next().isEmpty());
            assertEquals(16, store.labelled());
        }
        assertEquals(2, seen.size(), "both orders occur among 16 items: " + seen);
        List<ObjectNode> rows = rows(dir.resolve("prefs.jsonl"));
        assertEquals(16, rows.size());
        for (int i = 0; i < 16; i++) {
            ObjectNode row = rows.get(i);
            int n = Integer.parseInt(row.get("id").asText().substring("item-".length()));
            ShownOrder order = ShownOrder.parse(row.get("shown_order"));
            assertEquals(ShownOrder.of(1, "item-" + n), order, "the order shown is recorded");
            String left = order == ShownOrder.A_LEFT ? "good " + n : "bad " + n, right = order == ShownOrder.A_LEFT ? "bad " + n : "good " + n;
            boolean pressedLeft = i % 2 == 0;
            assertEquals(pressedLeft ? left : right, row.get("chosen").asText(), row.toString());
            assertEquals(pressedLeft ? right : left, row.get("rejected").asText(), row.toString());
            assertEquals("prompt " + n, row.get("prompt").asText());
            assertEquals("test", row.get("source").asText(), "other columns are carried");
            assertEquals(List.of("prompt", "chosen", "rejected", "id", "shown_order", "source"), fieldNames(row));
        }
        assertEquals(List.of(), rows(dir.resolve("prefs.skipped.jsonl")));
    }

    @Test
    void tiesAndSkipsGoToTheSideFileAndAreNotShownAgain() throws IOException {
        Path input = pairs(dir, 3);
        try (LabelStore store = open(input, 0)) {
            LabelStore.Item first = store.next().orElseThrow();
            assertEquals(LabelStore.Outcome.RECORDED, store.label(first.id(), Choice.TIE, null));
            LabelStore.Item second = store.next().orElseThrow();
            assertEquals(LabelStore.Outcome.RECORDED, store.label(second.id(), Choice.SKIP, null));
            assertEquals("item-3", store.next().orElseThrow().id());
            assertEquals(2, store.labelled());
        }
        assertEquals(List.of(), rows(dir.resolve("prefs.jsonl")), "no preference from a tie or a skip");
        List<ObjectNode> skipped = rows(dir.resolve("prefs.skipped.jsonl"));
        assertEquals(2, skipped.size());
        assertEquals(List.of("tie", "skip"), skipped.stream().map(r -> r.get("choice").asText()).toList());
        ObjectNode tie = skipped.getFirst();
        assertEquals("item-1", tie.get("id").asText());
        assertEquals(ShownOrder.of(0, "item-1").json(), tie.get("shown_order"));
        assertEquals("good 1", tie.get("completion_a").asText());
        assertEquals("bad 1", tie.get("completion_b").asText());
        assertEquals("test", tie.get("source").asText());
        // the skipped file is an input align4j label reads again (for a second look)
        assertEquals(List.of("item-1", "item-2"), Comparisons.read(dir.resolve("prefs.skipped.jsonl")).stream().map(Comparison::id).toList());
    }

    @Test
    void aSecondLabelForTheSameIdIsIgnored() throws IOException {
        Path input = pairs(dir, 2);
        try (LabelStore store = open(input, 0)) {
            LabelStore.Item item = store.next().orElseThrow();
            assertEquals(LabelStore.Outcome.RECORDED, store.label(item.id(), Choice.LEFT, item.order()));
            assertEquals(LabelStore.Outcome.ALREADY_LABELLED, store.label(item.id(), Choice.LEFT, item.order()), "a double submit");
            assertEquals(LabelStore.Outcome.ALREADY_LABELLED, store.label(item.id(), Choice.SKIP, item.order()), "a change of mind");
            assertEquals(LabelStore.Outcome.UNKNOWN_ID, store.label("nope", Choice.LEFT, null));
            ShownOrder other = item.order() == ShownOrder.A_LEFT ? ShownOrder.B_LEFT : ShownOrder.A_LEFT;
            LabelStore.Item second = store.next().orElseThrow();
            assertEquals(LabelStore.Outcome.ORDER_CHANGED, store.label(second.id(), Choice.LEFT,
                    second.order() == ShownOrder.A_LEFT ? ShownOrder.B_LEFT : ShownOrder.A_LEFT));
            assertEquals(1, store.labelled(), other + " is refused: nothing written");
        }
        assertEquals(1, rows(dir.resolve("prefs.jsonl")).size());
        assertEquals(0, rows(dir.resolve("prefs.skipped.jsonl")).size());
    }

    @Test
    void aRestartResumesWithoutLostOrDuplicatedLabels() throws IOException {
        Path input = pairs(dir, 5);
        List<String> order = new ArrayList<>();
        try (LabelStore store = open(input, 3)) {
            for (Choice c : List.of(Choice.LEFT, Choice.TIE)) {
                LabelStore.Item item = store.next().orElseThrow();
                store.label(item.id(), c, item.order());
                order.add(item.id());
            }
        }
        try (LabelStore store = open(input, 3)) {
            assertEquals(2, store.labelled());
            LabelStore.Item item = store.next().orElseThrow();
            assertEquals("item-3", item.id(), "resumes at the first unlabelled item");
            assertEquals(ShownOrder.of(3, "item-3"), item.order(), "on the same sides");
            assertEquals(LabelStore.Outcome.ALREADY_LABELLED, store.label("item-1", Choice.RIGHT, null), "labels of the last session count");
            assertEquals(LabelStore.Outcome.ALREADY_LABELLED, store.label("item-2", Choice.LEFT, null), "ties of the last session count");
            for (Choice c : List.of(Choice.RIGHT, Choice.SKIP, Choice.LEFT)) {
                LabelStore.Item next = store.next().orElseThrow();
                store.label(next.id(), c, next.order());
                order.add(next.id());
            }
            assertTrue(store.next().isEmpty());
        }
        assertEquals(List.of("item-1", "item-2", "item-3", "item-4", "item-5"), order);
        assertEquals(List.of("item-1", "item-3", "item-5"), rows(dir.resolve("prefs.jsonl")).stream().map(r -> r.get("id").asText()).toList());
        assertEquals(List.of("item-2", "item-4"), rows(dir.resolve("prefs.skipped.jsonl")).stream().map(r -> r.get("id").asText()).toList());
        try (LabelStore store = open(input, 3)) {
            assertEquals(Optional.empty(), store.next());
            assertEquals(5, store.labelled());
        }
        assertEquals(List.of(), warnings);
    }

    @Test
    void aTornLastLabelIsRecoveredAndItsItemShownAgain() throws IOException {
        Path input = pairs(dir, 3);
        try (LabelStore store = open(input, 0)) {
            store.label("item-1", Choice.LEFT, null);
            store.label("item-2", Choice.RIGHT, null);
        }
        Path prefs = dir.resolve("prefs.jsonl");
        String text = Files.readString(prefs);
        Files.writeString(prefs, text.substring(0, text.length() - 20)); // killed while writing item-2's row
        try (LabelStore store = open(input, 0)) {
            assertEquals(1, store.labelled());
            assertEquals("item-2", store.next().orElseThrow().id());
            store.label("item-2", Choice.RIGHT, null);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("line 2: dropped a torn last line"), warnings.getFirst());
        assertEquals(List.of("item-1", "item-2"), rows(prefs).stream().map(r -> r.get("id").asText()).toList());
    }

    @Test
    void labelsForIdsTheInputLacksAreAWarning() throws IOException {
        Path input = pairs(dir, 2);
        Files.writeString(dir.resolve("prefs.jsonl"), "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"id\":\"gone\"}\n");
        try (LabelStore store = open(input, 0)) {
            assertEquals(0, store.labelled());
            assertEquals(2, store.total());
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("1 labelled id is not in " + input + " (gone)"), warnings.getFirst());
        Files.writeString(dir.resolve("prefs.jsonl"), "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(input, 0));
        assertTrue(e.getMessage().contains("prefs.jsonl, line 1: field \"id\" is missing"), e.getMessage());
    }

    @Test
    void theOutputLoadsAsAPreferenceDataset() throws IOException {
        Path input = dir.resolve("pairs.jsonl");
        Files.writeString(input, """
                {"prompt": "2+2?", "completion_a": "4", "completion_b": "5", "id": 1, "model_a": "m1", "meta": {"k": [1, 2]}}
                {"prompt": "Capital of France?", "chosen": "Paris", "rejected": "Lyon", "id": "two", "margin": 1.5}
                {"prompt": "Say hi", "completions": ["hi", "hello"]}
                """);
        try (LabelStore store = open(input, 5)) {
            for (Choice c : List.of(Choice.LEFT, Choice.RIGHT, Choice.LEFT)) {
                LabelStore.Item item = store.next().orElseThrow();
                store.label(item.id(), c, item.order());
            }
        }
        Dataset data = Datasets.load(dir.resolve("prefs.jsonl").toString());
        assertEquals(DatasetType.PREFERENCE, data.type());
        assertEquals(3, data.size());
        List<String> prompts = new ArrayList<>();
        for (Row row : data) {
            prompts.add(row.get("prompt").asText());
            JsonNode id = row.get("id");
            assertFalse(id == null, "ids stay: " + row.json());
        }
        assertEquals(List.of("2+2?", "Capital of France?", "Say hi"), prompts);
        assertTrue(rows(dir.resolve("prefs.jsonl")).getFirst().get("id").isNumber(), "a number id stays a number");
        assertEquals("3", rows(dir.resolve("prefs.jsonl")).get(2).get("id").asText(), "the line number as id");
        assertFalse(rows(dir.resolve("prefs.jsonl")).get(1).has("margin"), "the input's margin belongs to its order, which the person may reverse");
    }

    private static List<String> fieldNames(ObjectNode row) {
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
