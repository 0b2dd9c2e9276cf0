package dev.align4j.generate.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationConfigTest {

    @Test
    void readsEosAsAnIntegerOrAListAndTheSamplingFields(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"do_sample\": false, \"max_new_tokens\": 64, \"repetition_penalty\": 1.1, \"min_p\": 0.05}");
        GenerationConfig c = GenerationConfig.read(dir);
        assertEquals(List.of(2), c.eosTokenIds());
        assertEquals(false, c.doSample().orElseThrow());
        assertEquals(64, c.maxNewTokens().orElseThrow());
        assertEquals(1.1, c.repetitionPenalty().orElseThrow());
        assertEquals(0.05, c.minP().orElseThrow());
        SamplingOptions o = new SamplingOptions();
        o.seed = 0L;
        assertEquals(0, o.resolve(c, 10, new int[0]).temperature(), "do_sample false: greedy by default");
        assertEquals(64, o.resolve(c, 10, new int[0]).maxNewTokens());
    }

    @Test
    void withoutTheFileTheModelConfigGivesTheEosIds(@TempDir Path dir) throws IOException {
        assertEquals(GenerationConfig.none(), GenerationConfig.read(dir));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"eos_token_id\": [128001, 128009]}");
        assertEquals(List.of(128001, 128009), GenerationConfig.read(dir).eosTokenIds());
    }

    @Test
    void aFieldOfTheWrongTypeNamesTheFileAndField(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": \"warm\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.read(dir));
        assertTrue(e.getMessage().contains("generation_config.json") && e.getMessage().contains("temperature"), e.getMessage());
    }
}
