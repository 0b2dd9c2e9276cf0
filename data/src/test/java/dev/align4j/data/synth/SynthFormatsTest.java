package dev.align4j.data.synth;

import dev.align4j.data.Dataset;
import dev.align4j.data.DatasetType;
import dev.align4j.data.Datasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The files load as the TRL types the trainers expect; the same seed gives the same bytes, another seed other data. */
class SynthFormatsTest {
    @TempDir
    Path out;

    @Test
    void filesLoadAsTheirTrlTypes() throws Exception {
        Map<String, DatasetType> types = Map.of(
                "pretrain.jsonl", DatasetType.LANGUAGE_MODELING, "sft.jsonl", DatasetType.LANGUAGE_MODELING,
                "preference.jsonl", DatasetType.PREFERENCE, "eval_preference.jsonl", DatasetType.PREFERENCE,
                "kto.jsonl", DatasetType.UNPAIRED_PREFERENCE,
                "grpo.jsonl", DatasetType.PROMPT_ONLY, "eval_grpo.jsonl", DatasetType.PROMPT_ONLY);
        for (Task task : Task.ALL) {
            Path dir = SynthFiles.generate(out, task, 50, 20, 1);
            for (var e : types.entrySet()) {
                Dataset d = Datasets.load(dir.resolve(e.getKey()).toString());
                assertEquals(e.getValue(), d.type(), task.name() + "/" + e.getKey());
                assertEquals(!e.getKey().equals("pretrain.jsonl"), d.format().conversational(), task.name() + "/" + e.getKey());
                assertTrue(d.size() >= 20, task.name() + "/" + e.getKey() + " has " + d.size() + " rows");
            }
            assertEquals(20, SynthFiles.read(dir.resolve("eval.jsonl")).size());
            try (var files = Files.list(dir)) {
                assertEquals(SynthWriter.FILES.size(), files.count(), "the set's files and no temporary ones");
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherData() throws Exception {
        for (Task task : Task.ALL) {
            Path a = SynthFiles.generate(out.resolve("a"), task, 120, 20, 42);
            Path b = SynthFiles.generate(out.resolve("b"), task, 120, 20, 42);
            Path c = SynthFiles.generate(out.resolve("c"), task, 120, 20, 43);
            for (String file : SynthWriter.FILES) {
                assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)), task.name() + "/" + file);
                assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(c.resolve(file))),
                        task.name() + "/" + file + " is the same for seeds 42 and 43");
            }
        }
    }
}
