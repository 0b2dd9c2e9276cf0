package dev.align4j.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskFilesTest {

    @Test
    void oneTaskAListOrTasksKeyAndShorthands(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("one.yaml"), """
                task: gsm8k
                output_type: generate_until
                dataset_path: data/gsm8k.jsonl
                num_fewshot: 4
                filter: regex
                regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)"
                match: numeric
                generation_kwargs:
                  until: ["Question:", "\\n\\n"]
                  max_gen_toks: 128
                """);
        Files.writeString(dir.resolve("list.yaml"), """
                tasks:
                  - {task: a, output_type: multiple_choice, dataset_path: /abs/a.jsonl}
                  - {task: b, output_type: loglikelihood_rolling, dataset_path: b.jsonl}
                """);
        List<TaskConfig> tasks = TaskFiles.parse(dir.resolve("one.yaml") + "," + dir.resolve("list.yaml") + ", mc:x/arc_easy.jsonl,perplexity:wiki.jsonl");
        assertEquals(List.of("gsm8k", "a", "b", "mc:arc_easy", "perplexity:wiki"), tasks.stream().map(t -> t.task).toList());
        TaskConfig gsm = tasks.getFirst();
        assertEquals(dir.resolve("data/gsm8k.jsonl").toAbsolutePath().toString(), gsm.datasetPath, "relative to the task file");
        assertEquals(List.of("Question:", "\n\n"), gsm.until());
        assertEquals(128, gsm.maxGenToks());
        assertEquals(0.0, gsm.temperature());
        assertEquals("#### (\\-?[0-9\\.\\,]+)", gsm.regexPattern);
        assertEquals("/abs/a.jsonl", tasks.get(1).datasetPath);
        assertEquals("multiple_choice", tasks.get(3).outputType);
        assertEquals("loglikelihood_rolling", tasks.get(4).outputType);
        assertEquals("x/arc_easy.jsonl", tasks.get(3).datasetPath);
    }

    @Test
    void errorsNameTheFileLineAndKey(@TempDir Path dir) throws IOException {
        Path typo = Files.writeString(dir.resolve("typo.yaml"), "task: t\noutput_type: multiple_choice\ndataset_path: d.jsonl\nnum_fewshots: 3\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskFiles.parse(typo.toString()));
        assertTrue(e.getMessage().startsWith(typo + ", line 4: unknown key \"num_fewshots\"") && e.getMessage().contains("num_fewshot"), e.getMessage());

        Path type = Files.writeString(dir.resolve("type.yaml"), "task: t\noutput_type: multiple_choice\ndataset_path: d.jsonl\nnum_fewshot: many\n");
        e = assertThrows(IllegalArgumentException.class, () -> TaskFiles.parse(type.toString()));
        assertTrue(e.getMessage().startsWith(type + ", line 4: num_fewshot"), e.getMessage());

        Path missing = Files.writeString(dir.resolve("missing.yaml"), "task: t\ndataset_path: d.jsonl\n");
        e = assertThrows(IllegalArgumentException.class, () -> TaskFiles.parse(missing.toString()));
        assertTrue(e.getMessage().contains("output_type is missing"), e.getMessage());

        Path badType = Files.writeString(dir.resolve("bad.yaml"), "task: t\noutput_type: loglikelihood\ndataset_path: d.jsonl\n");
        e = assertThrows(IllegalArgumentException.class, () -> TaskFiles.parse(badType.toString()));
        assertTrue(e.getMessage().contains("output_type \"loglikelihood\" is not one of"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> TaskFiles.parse(dir.resolve("nope.yaml").toString()));
        assertTrue(e.getMessage().contains("nope.yaml: no such task file"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> TaskFiles.parse("mc:a.jsonl,mc:a.jsonl"));
        assertTrue(e.getMessage().contains("two tasks are named \"mc:a\""), e.getMessage());
    }
}
