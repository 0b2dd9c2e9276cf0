package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code align4j pretrain}: a new Llama from an inline config learns raw text and is saved with its tokenizer. */
class PretrainCommandTest {

    @Test
    void aModelFromScratchLearnsRawText(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("text.jsonl");
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) rows.add("{\"text\": \"Once upon a time there was a little " + (i % 2 == 0 ? "cat" : "dog") + ".\"}");
        Files.write(data, rows);
        Path config = dir.resolve("pretrain.yaml");
        Files.writeString(config, """
                model_config:
                  model_type: llama
                  vocab_size: 512
                  hidden_size: 32
                  intermediate_size: 64
                  num_hidden_layers: 2
                  num_attention_heads: 4
                  num_key_value_heads: 2
                  max_position_embeddings: 128
                tokenizer_name: %s
                dataset_name: %s
                output_dir: %s
                max_length: 64
                per_device_train_batch_size: 2
                max_steps: 40
                learning_rate: 1.0e-2
                logging_steps: 10
                """.formatted(Fixtures.path("models/stories260K"), data, dir.resolve("out")));
        Object[] r = MainTest.run("pretrain", "--config", config.toString());
        assertEquals(0, r[0], (String) r[2]);
        List<JsonNode> m = new ArrayList<>();
        JsonLines.forEach(dir.resolve("out/metrics.jsonl"), l -> m.add(l.json()));
        double first = m.getFirst().get("loss").asDouble(), last = m.getLast().get("loss").asDouble();
        assertTrue(first > 3 && last < 1.0, "from ~log(512) down: " + first + " → " + last);
        assertEquals("llama", HfModels.load(dir.resolve("out")).model().modelType());
        assertTrue(Files.isRegularFile(dir.resolve("out/tokenizer.json")));
        assertTrue(((String) r[2]).contains("a new llama of "), (String) r[2]);
    }
}
