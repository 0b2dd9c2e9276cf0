package dev.align4j.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.align4j.data.LoadersAgreeTest.read;
import static dev.align4j.data.SftProcessorTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading errors with file and line, skipped rows, folders, globs, splits and shuffles. */
class DatasetTest {
    @TempDir
    Path dir;

    Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    static String texts(int from, int to) {
        StringBuilder out = new StringBuilder();
        for (int i = from; i < to; i++) out.append("{\"text\": \"row ").append(i).append("\"}\n");
        return out.toString();
    }

    static List<String> textsOf(Iterable<Row> rows) {
        List<String> out = new ArrayList<>();
        for (Row r : rows) out.add(r.get("text").asText());
        return out;
    }

    @Test
    void badLinesAreErrorsNamingFileAndLine() throws IOException {
        Path file = write("bad.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"\n");
        assertError(file + ", line 3: not valid JSON:", () -> Datasets.load(file.toString()));
        Path array = write("array.jsonl", "{\"text\": \"a\"}\n[1, 2]\n");
        assertError(array + ", line 2: expected a JSON object, got ARRAY", () -> Datasets.load(array.toString()));
        Path mixed = write("mixed.jsonl", "{\"text\": \"a\"}\n{\"prompt\": \"p\", \"completion\": \"c\"}\n");
        assertError(mixed + ", line 2: is standard prompt completion but the dataset is standard language modeling (from "
                + mixed + ", line 1)", () -> Datasets.load(mixed.toString()));
        Path untyped = write("untyped.jsonl", "{\"question\": \"a\", \"answer\": \"b\"}\n");
        assertError(untyped + ", line 1: fits no TRL dataset type: its columns []", () -> Datasets.load(untyped.toString()));
        Path csv = write("labels.csv", "prompt,completion,label\na,b,maybe\n");
        assertError(csv + ", row 1: field \"label\" must be true or false, got \"maybe\"", () -> Datasets.load(csv.toString()));
        Path json = write("broken.json", "[\n{\"text\": \"a\"},\n{\"text\": }\n]");
        assertError(json + ", line 3: not valid JSON", () -> Datasets.load(json.toString()));
        Path twoLists = write("two.json", "{\"train\": [{\"text\": \"a\"}], \"extra\": [{\"text\": \"b\"}]}");
        assertError("the top-level object has two lists, \"train\" and \"extra\"", () -> Datasets.load(twoLists.toString()));
        assertEquals(List.of("b"), textsOf(Datasets.load(twoLists.toString(), DatasetOptions.DEFAULT.withField("extra"))));
        Path empty = write("empty.jsonl", "\n\n");
        assertError(empty + " has no valid rows", () -> Datasets.load(empty.toString()));
        Path parquetText = write("fake.parquet", "not parquet");
        assertError(parquetText + ": cannot be read as PARQUET", () -> Datasets.load(parquetText.toString()));
        assertError("unknown data file extension", () -> Datasets.load(write("rows.txt", "x").toString()));
        assertError("no such file or folder", () -> Datasets.load(dir.resolve("missing.jsonl").toString()));
    }

    @Test
    void skipInvalidRowsSkipsAndCounts() throws IOException {
        Path file = write("some-bad.jsonl", "{\"text\": \"a\"}\nnot json\n[1]\n{\"text\": 3}\n{\"prompt\": \"p\"}\n{\"text\": \"b\"}\n");
        Dataset d = Datasets.load(file.toString(), DatasetOptions.DEFAULT.withSkipInvalidRows(true));
        assertEquals(4, d.skippedRows());
        assertEquals(2, d.size());
        assertEquals(List.of("a", "b"), textsOf(d));
        assertEquals(6, d.get(1).number(), "the line number of the kept row");
        assertEquals(0, Datasets.load(write("good.jsonl", texts(0, 3)).toString()).skippedRows());
    }

    @Test
    void lineNumbersCountBlankLinesAndSurviveCrlfAndByteOrderMark() throws IOException {
        Path file = dir.resolve("crlf.jsonl");
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = "{\"text\": \"é\"}\r\n\r\n  \r\n{\"text\": \"b\"}".getBytes(StandardCharsets.UTF_8); // no final newline
        Files.write(file, concat(bom, body));
        Dataset d = Datasets.load(file.toString());
        assertEquals(List.of("é", "b"), textsOf(d));
        assertEquals(List.of(1L, 4L), List.of(d.get(0).number(), d.get(1).number()));
        assertEquals(Set.of("é", "b"), new HashSet<>(textsOf(d.shuffled(1))), "random access reads the same bytes");
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void jsonObjectWithTrlColumnsIsJsonLines() throws IOException {
        Path file = write("lines.json", "{\"text\": \"a\", \"tags\": [1]}\n{\"text\": \"b\", \"tags\": []}\n");
        assertEquals(List.of("a", "b"), textsOf(Datasets.load(file.toString())));
    }

    @Test
    void shuffleIsASeededPermutation() throws IOException {
        Dataset d = Datasets.load(write("rows.jsonl", texts(0, 200)).toString());
        List<String> order = textsOf(d), a = textsOf(d.shuffled(42)), b = textsOf(d.shuffled(42)), c = textsOf(d.shuffled(43));
        assertEquals(a, b, "same seed, same order");
        assertNotEquals(a, c, "another seed, another order");
        assertNotEquals(order, a);
        assertEquals(new HashSet<>(order), new HashSet<>(a));
        assertEquals(200, a.size());
        // A shuffle of a shuffle permutes the view, and reads rows out of file order through random access.
        assertEquals(new HashSet<>(order), new HashSet<>(textsOf(d.shuffled(1).shuffled(2))));
        assertEquals(a.subList(10, 20), textsOf(d.shuffled(42).select(10, 20)));
    }

    @Test
    void splitFollowsTrainTestSplitSizes() throws IOException {
        Dataset d = Datasets.load(write("rows.jsonl", texts(0, 101)).toString());
        Dataset.Split split = d.split(0.1, 7);
        assertEquals(11, split.test().size(), "ceil(0.1 * 101)");
        assertEquals(90, split.train().size());
        Set<String> train = new HashSet<>(textsOf(split.train())), test = new HashSet<>(textsOf(split.test()));
        assertTrue(train.stream().noneMatch(test::contains), "disjoint");
        Set<String> all = new HashSet<>(train);
        all.addAll(test);
        assertEquals(new HashSet<>(textsOf(d)), all);
        assertEquals(textsOf(split.test()), textsOf(d.split(0.1, 7).test()), "deterministic");
        assertEquals(25, d.split(25, 7).test().size(), "a whole number is a row count");
        assertError("test_size must be a fraction in (0, 1)", () -> d.split(1.5, 7));
        assertError("test_size must be a fraction in (0, 1)", () -> d.split(0, 7));
        assertError("leaves no training rows", () -> d.split(101, 7));
    }

    @Test
    void foldersAndGlobsLoadDataFilesInPathOrder() throws IOException {
        write("ds/b.jsonl", texts(2, 4));
        write("ds/a.jsonl", texts(0, 2));
        write("ds/sub/c.json", "[{\"text\": \"row 4\"}]");
        write("ds/README.md", "# card");
        write("ds/.cache/x.jsonl", "{\"text\": \"hidden\"}\n");
        assertEquals(List.of("row 0", "row 1", "row 2", "row 3", "row 4"), textsOf(Datasets.load(dir.resolve("ds").toString())));
        assertEquals(List.of("row 0", "row 1", "row 2", "row 3"), textsOf(Datasets.load(dir.resolve("ds") + "/*.jsonl")));
        assertEquals(List.of("row 4"), textsOf(Datasets.load(dir.resolve("ds") + "/**/c.json")));
        assertError("matches no .jsonl, .ndjson, .json, .csv or .parquet file", () -> Datasets.load(dir.resolve("ds") + "/*.md"));
    }

    @Test
    void splitsByFileNameAreKeptApart() throws IOException {
        write("hub/data/train-00000-of-00002.jsonl", texts(0, 3));
        write("hub/data/train-00001-of-00002.jsonl", texts(3, 5));
        write("hub/data/test-00000-of-00001.jsonl", texts(10, 12));
        String hub = dir.resolve("hub").toString();
        assertError("holds files of the splits [test, train]", () -> Datasets.load(hub));
        assertEquals(List.of("row 0", "row 1", "row 2", "row 3", "row 4"), textsOf(Datasets.load(hub, "train", DatasetOptions.DEFAULT)));
        assertEquals(List.of("row 10", "row 11"), textsOf(Datasets.load(hub, "test", DatasetOptions.DEFAULT)));
        assertError("has no validation files", () -> Datasets.load(hub, "validation", DatasetOptions.DEFAULT));
        // A single file is loaded whatever its name says.
        assertEquals(2, Datasets.load(dir.resolve("hub/data/test-00000-of-00001.jsonl").toString()).size());
        assertFalse(Datasets.splitsOf(dir, List.of(dir.resolve("interval.jsonl"))).containsKey("validation"), "val inside a word");
    }

    @Test
    void iterationAndRandomAccessAgreeAcrossFiles() throws IOException {
        write("many/a.jsonl", texts(0, 5));
        write("many/b.jsonl", "\n");
        write("many/c.jsonl", texts(5, 9));
        Dataset d = Datasets.load(dir.resolve("many").toString(), DatasetOptions.DEFAULT.withSkipInvalidRows(true));
        assertEquals(9, d.size());
        List<ObjectNode> rows = read(d);
        for (int i = 0; i < d.size(); i++) assertEquals(rows.get(i), d.get(i).json());
        assertEquals(d.get(5).file(), dir.resolve("many/c.jsonl"));
        try (var stream = d.stream()) {
            assertEquals(textsOf(d), stream.map(r -> r.get("text").asText()).toList());
        }
        assertThrows(IndexOutOfBoundsException.class, () -> d.get(9));
    }
}
