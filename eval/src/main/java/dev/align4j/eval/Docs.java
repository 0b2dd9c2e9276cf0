package dev.align4j.eval;

import dev.align4j.io.JsonLines;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A task's rows (documents, in lm-evaluation-harness's word) read from a JSON Lines file in file
 * order, and the few-shot examples of each: {@code num_fewshot} rows drawn without replacement
 * from {@code fewshot_path} or from the task's own rows other than the one asked, by a generator
 * seeded with the run's seed and the row's index — the same shots in every run, whatever else the
 * run evaluates.
 */
final class Docs {
    private Docs() {}

    /** The rows of {@code path}, the first {@code limit} when set. */
    static List<JsonLines.Line> read(String path, Integer limit, String key) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(key + " " + path + ": no such file");
        if (!path.endsWith(".jsonl") && !path.endsWith(".ndjson")) {
            throw new IllegalArgumentException(key + " " + path + ": evaluation data is JSON Lines (.jsonl), one row per line");
        }
        List<JsonLines.Line> rows = new ArrayList<>();
        JsonLines.forEach(file, line -> {
            if (limit == null || rows.size() < limit) rows.add(line);
        });
        if (rows.isEmpty()) throw new IllegalArgumentException(key + " " + path + ": no rows");
        return rows;
    }

    /** Draws each row's few-shot examples. */
    static final class FewShot {
        private final List<JsonLines.Line> pool;
        private final int k;
        private final long seed;
        private final boolean ownRows;

        FewShot(TaskConfig c, List<JsonLines.Line> docs, long seed) {
            this.k = c.numFewshot;
            this.seed = seed;
            this.ownRows = c.fewshotPath == null;
            this.pool = k == 0 ? List.of() : ownRows ? docs : read(c.fewshotPath, null, "fewshot_path");
            int available = ownRows ? pool.size() - 1 : pool.size();
            if (k > 0 && k > available) {
                throw new IllegalArgumentException("task " + c.task + ": num_fewshot " + k + " but only " + available + " rows to draw examples from"
                        + (ownRows ? " (the task's other rows; give fewshot_path)" : " in " + c.fewshotPath));
            }
        }

        /** The examples shown before row {@code index} of the task. */
        List<JsonLines.Line> shots(int index, JsonLines.Line doc) {
            if (k == 0) return List.of();
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
            List<Integer> candidates = new ArrayList<>(pool.size());
            for (int i = 0; i < pool.size(); i++) {
                JsonLines.Line p = pool.get(i);
                if (!(ownRows && p.number() == doc.number() && p.file().equals(doc.file()))) candidates.add(i);
            }
            List<JsonLines.Line> out = new ArrayList<>(k);
            for (int j = 0; j < k; j++) { // partial Fisher–Yates
                int pick = j + random.nextInt(candidates.size() - j);
                java.util.Collections.swap(candidates, j, pick);
                out.add(pool.get(candidates.get(j)));
            }
            return out;
        }
    }
}
