package dev.align4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code align4j data synth}: the files of every task, their row counts, reproducibility, and one-line errors for bad input. */
class DataSynthCommandTest {
    @TempDir
    Path dir;

    private static final List<String> FILES = List.of("pretrain.jsonl", "sft.jsonl", "preference.jsonl", "kto.jsonl", "grpo.jsonl",
            "eval.jsonl", "eval_grpo.jsonl", "eval_preference.jsonl");

    private static long lines(Path file) throws Exception {
        try (var s = Files.lines(file)) {
            return s.count();
        }
    }

    @Test
    void writesEveryFileOfEveryTask() throws Exception {
        Path out = dir.resolve("world");
        Object[] r = MainTest.run("data", "synth", "--task", "all", "--n", "60", "--seed", "3", "--output", out.toString());
        assertEquals(0, r[0], (String) r[2]);
        for (String task : List.of("arithmetic", "sorting", "counting", "conversion")) {
            for (String file : FILES) assertTrue(Files.isRegularFile(out.resolve(task).resolve(file)), task + "/" + file);
            for (String file : List.of("sft.jsonl", "preference.jsonl", "kto.jsonl", "grpo.jsonl")) {
                assertEquals(60, lines(out.resolve(task).resolve(file)), task + "/" + file);
            }
            for (String file : List.of("eval.jsonl", "eval_grpo.jsonl", "eval_preference.jsonl")) {
                assertEquals(20, lines(out.resolve(task).resolve(file)), task + "/" + file + " (default max(20, n/10))");
            }
            assertTrue(lines(out.resolve(task).resolve("pretrain.jsonl")) >= 120, task + "/pretrain.jsonl");
            assertTrue(((String) r[2]).contains("data synth: " + task + ": 60 train + 20 eval problems"), (String) r[2]);
        }
        assertTrue(((String) r[2]).contains("sft.jsonl 60"), (String) r[2]);
    }

    @Test
    void theSameArgumentsGiveTheSameBytesAndATaskDoesNotDependOnItsCompany() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b"), c = dir.resolve("c");
        assertEquals(0, MainTest.run("data", "synth", "--task", "sorting,counting", "--n", "40", "--eval-n", "25", "--seed", "9", "--output", a.toString())[0]);
        assertEquals(0, MainTest.run("data", "synth", "--task", "counting", "--n", "40", "--eval-n", "25", "--seed", "9", "--output", b.toString())[0]);
        assertEquals(0, MainTest.run("data", "synth", "--task", "counting", "--n", "40", "--eval-n", "25", "--seed", "10", "--output", c.toString())[0]);
        for (String file : FILES) {
            byte[] x = Files.readAllBytes(a.resolve("counting").resolve(file));
            assertArrayEquals(x, Files.readAllBytes(b.resolve("counting").resolve(file)), file);
            assertFalse(java.util.Arrays.equals(x, Files.readAllBytes(c.resolve("counting").resolve(file))), file + " same under another seed");
        }
        assertEquals(25, lines(a.resolve("sorting").resolve("eval.jsonl")));
        assertFalse(Files.exists(b.resolve("sorting")));
    }

    @Test
    void badInputIsOneClearLine() throws Exception {
        Path file = Files.writeString(dir.resolve("taken.txt"), "x");
        assertError("unknown task 'spelling'; known tasks: arithmetic, sorting, counting, conversion (or all)",
                "--task", "spelling", "--n", "10", "--seed", "1", "--output", dir.resolve("o").toString());
        assertError("--n must be at least 1, got 0", "--task", "sorting", "--n", "0", "--seed", "1", "--output", dir.resolve("o").toString());
        assertError("--output " + file + " is an existing file", "--task", "sorting", "--n", "10", "--seed", "1", "--output", file.toString());
        assertError("task conversion has only 4480 distinct problems", "--task", "sorting,conversion", "--n", "5000", "--seed", "1",
                "--output", dir.resolve("o").toString());
        assertFalse(Files.exists(dir.resolve("o")), "nothing is written when a task fails");
    }

    private static void assertError(String message, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "data";
        all[1] = "synth";
        System.arraycopy(args, 0, all, 2, args.length);
        Object[] r = MainTest.run(all);
        String err = (String) r[2];
        assertEquals(1, r[0], err);
        assertTrue(err.startsWith("align4j synth: error: ") && err.contains(message), err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
    }
}
