package dev.align4j.io.hf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfConfigTest {
    @TempDir
    Path dir;

    private static final String LLAMA = """
            {"model_type": "llama", "hidden_size": 64, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "rope_scaling": null, "tie_word_embeddings": true, "eos_token_id": [2, 32000], "bos_token_id": 1,
             "bad_int": "abc", "float_int": 64.0, "big": 9999999999, "architectures": ["LlamaForCausalLM"]}""";

    private static HfConfig config() {
        return HfConfig.parse(LLAMA, "config.json");
    }

    @Test
    void typedGettersWithDefaults() {
        HfConfig c = config();
        assertEquals("llama", c.modelType());
        assertEquals(64, c.getInt("hidden_size"));
        assertEquals(1e-5, c.getDouble("rms_norm_eps"));
        assertEquals(10000.0, c.getDouble("rope_theta"));
        assertEquals(64.0, c.getDouble("hidden_size"), "integers are numbers too");
        assertTrue(c.getBoolean("tie_word_embeddings"));
        assertEquals(9_999_999_999L, c.getLong("big"));
        assertEquals(11008, c.getInt("intermediate_size", 11008), "missing → default");
        assertEquals("default", c.getString("rope_scaling", "default"), "null → default");
        assertFalse(c.has("rope_scaling"));
        assertEquals(List.of(2, 32000), c.getIntList("eos_token_id"));
        assertEquals(List.of(1), c.getIntList("bos_token_id"));
        assertEquals(List.of(), c.getIntList("pad_token_id"));
    }

    @Test
    void wrongTypesNameTheFileTheFieldAndTheValue() {
        HfConfig c = config();
        assertEquals("config.json: field bad_int must be an integer, got \"abc\"",
                assertThrows(IllegalArgumentException.class, () -> c.getInt("bad_int")).getMessage());
        assertEquals("config.json: field float_int must be an integer, got 64.0",
                assertThrows(IllegalArgumentException.class, () -> c.getInt("float_int", 1)).getMessage());
        assertEquals("config.json: field big must be an integer, got 9999999999",
                assertThrows(IllegalArgumentException.class, () -> c.getInt("big")).getMessage());
        assertEquals("config.json: field hidden_size must be a string, got 64",
                assertThrows(IllegalArgumentException.class, () -> c.getString("hidden_size")).getMessage());
        assertEquals("config.json: field rms_norm_eps must be true or false, got 1.0E-5",
                assertThrows(IllegalArgumentException.class, () -> c.getBoolean("rms_norm_eps")).getMessage());
        assertEquals("config.json: field model_type must be a number, got \"llama\"",
                assertThrows(IllegalArgumentException.class, () -> c.getDouble("model_type")).getMessage());
        assertEquals("config.json: field rope_scaling must be an integer, got null",
                assertThrows(IllegalArgumentException.class, () -> c.getInt("rope_scaling")).getMessage());
        assertEquals("config.json: missing required field num_hidden_layers",
                assertThrows(IllegalArgumentException.class, () -> c.getInt("num_hidden_layers")).getMessage());
        assertEquals("config.json: field architectures must be an integer or a list of integers, got [\"LlamaForCausalLM\"]",
                assertThrows(IllegalArgumentException.class, () -> c.getIntList("architectures")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HfConfig.parse("{", "x/config.json"))
                .getMessage().startsWith("x/config.json: not valid JSON"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HfConfig.parse("[]", "config.json"))
                .getMessage().contains("must be a JSON object"));
    }

    @Test
    void nestedObjectsHaveTheSameGettersAndErrorsNameTheirPath() {
        HfConfig c = HfConfig.parse("{\"rope_scaling\": {\"factor\": 8.0, \"low\": {\"x\": \"y\"}}, \"rope_parameters\": {},"
                + " \"sliding_window\": null, \"head_dim\": 64}", "config.json");
        HfConfig rope = c.getObject("rope_scaling");
        assertEquals(8.0, rope.getDouble("factor"));
        assertFalse(rope.isEmpty());
        assertTrue(c.getObject("rope_parameters").isEmpty());
        assertEquals(null, c.getObject("sliding_window"), "null → no object");
        assertEquals(null, c.getObject("missing"));
        assertTrue(c.contains("sliding_window") && !c.has("sliding_window") && !c.contains("missing"), "present as null");
        assertEquals("config.json: field rope_scaling.low.x must be an integer, got \"y\"",
                assertThrows(IllegalArgumentException.class, () -> rope.getObject("low").getInt("x")).getMessage());
        assertEquals("config.json: missing required field rope_scaling.type",
                assertThrows(IllegalArgumentException.class, () -> rope.getString("type")).getMessage());
        assertEquals("config.json: field head_dim must be an object, got 64",
                assertThrows(IllegalArgumentException.class, () -> c.getObject("head_dim")).getMessage());
    }

    @Test
    void writesBackEveryFieldPlusChangesAsTransformersFormatsIt() throws IOException {
        HfConfig c = HfConfig.parse("{\"vocab_size\": 512, \"model_type\": \"llama\", \"rms_norm_eps\": 1e-05,"
                + " \"rope_scaling\": null, \"unknown_field\": {\"b\": 1, \"a\": [true]}}", "config.json");
        HfConfig changed = c.with("torch_dtype", "bfloat16").with("vocab_size", 520).without("rope_scaling")
                .with("rope_theta", 500000.0).with("extra", Map.of("k", List.of(1, 2)));
        assertEquals(512, c.getInt("vocab_size"), "the original is unchanged");
        Path file = dir.resolve("config.json");
        changed.write(file);
        assertEquals("""
                {
                  "extra": {
                    "k": [
                      1,
                      2
                    ]
                  },
                  "model_type": "llama",
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 500000.0,
                  "torch_dtype": "bfloat16",
                  "unknown_field": {
                    "a": [
                      true
                    ],
                    "b": 1
                  },
                  "vocab_size": 520
                }
                """, Files.readString(file));
        HfConfig back = HfConfig.read(file);
        assertEquals(changed.json(), back.json());
        assertEquals(file.toString(), back.source());
    }
}
