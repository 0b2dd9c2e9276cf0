package dev.align4j.io.safetensors;

import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sharded saves as transformers makes them, read back through the index; broken indexes rejected. */
class ShardedSafetensorsTest {
    @TempDir
    Path dir;

    /**
     * Sizes 40, 40, 120, 10 bytes with a 100-byte limit, split as huggingface_hub does in map order:
     * "layer.1.w" (40) and "layer.0.w" (80 so far) share a shard; "big" (120 > 100) goes straight to
     * a shard of its own, listed first because the open shard is only closed later; "norm" (90) joins
     * the open shard. So shard 1 = {big}, shard 2 = {layer.1.w, layer.0.w, norm}.
     */
    private static Map<String, SafetensorsWriter.Entry> tensors() {
        Map<String, SafetensorsWriter.Entry> m = new LinkedHashMap<>();
        m.put("layer.1.w", new SafetensorsWriter.Entry(DType.F32, Tensor.randn(1, 10)));
        m.put("layer.0.w", new SafetensorsWriter.Entry(DType.F32, Tensor.randn(2, 2, 5)));
        m.put("big", new SafetensorsWriter.Entry(DType.F32, Tensor.randn(3, 30)));
        m.put("norm", new SafetensorsWriter.Entry(DType.BF16, Tensor.of(new float[] {1, 2, 3, 4, 0.5f}, 5)));
        return m;
    }

    @Test
    void shardedWriteReadRoundTrip() throws IOException {
        List<Path> written = SafetensorsWriter.writeSharded(dir, tensors(), 100);
        String s1 = "model-00001-of-00002.safetensors";
        String s2 = "model-00002-of-00002.safetensors";
        assertEquals(List.of(dir.resolve(s1), dir.resolve(s2), dir.resolve("model.safetensors.index.json")), written);
        String expectedIndex = """
                {
                  "metadata": {
                    "total_parameters": 55,
                    "total_size": 210
                  },
                  "weight_map": {
                    "big": "model-00001-of-00002.safetensors",
                    "layer.0.w": "model-00002-of-00002.safetensors",
                    "layer.1.w": "model-00002-of-00002.safetensors",
                    "norm": "model-00002-of-00002.safetensors"
                  }
                }
                """;
        assertEquals(expectedIndex, Files.readString(dir.resolve("model.safetensors.index.json")));
        try (SafetensorsFile shard = SafetensorsFile.open(dir.resolve(s2))) {
            assertEquals(List.of("layer.0.w", "layer.1.w", "norm"), shard.names());
            assertEquals(Map.of("format", "pt"), shard.metadata());
        }
        try (SafetensorsSource src = SafetensorsSource.openFolder(dir)) {
            ShardedSafetensors sharded = assertInstanceOf(ShardedSafetensors.class, src);
            assertEquals(List.of("big", "layer.0.w", "layer.1.w", "norm"), src.names());
            assertEquals(List.of(s1, s2), sharded.shards());
            tensors().forEach((name, e) -> {
                Tensor back = src.readTensor(name);
                assertArrayEquals(e.tensor().shape(), back.shape(), name);
                if (e.dtype() == DType.F32) assertArrayEquals(e.tensor().toArray(), back.toArray(), name);
            });
            assertArrayEquals(new float[] {1, 2, 3, 4, 0.5f}, src.readFloats("norm")); // exact in BF16
            assertEquals(DType.BF16, src.info("norm").dtype());
            assertEquals(40, src.segment("layer.0.w").byteSize());
            assertTrue(src.contains("big"));
            assertThrows(SafetensorsException.class, () -> src.info("missing"));
        }
    }

    @Test
    void everythingFittingOneShardWritesASingleFileAndSweepsAnOldIndex() throws IOException {
        SafetensorsWriter.writeSharded(dir, tensors(), 100);
        Files.writeString(dir.resolve("model-00003-of-00003.safetensors"), "stale shard of an older save");
        Files.writeString(dir.resolve("config.json"), "{}");
        List<Path> written = SafetensorsWriter.writeSharded(dir, tensors(), 5_000_000_000L);
        assertEquals(List.of(dir.resolve("model.safetensors")), written);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (SafetensorsSource src = SafetensorsSource.openFolder(dir)) {
            assertInstanceOf(SafetensorsFile.class, src);
            assertEquals(List.of("big", "layer.0.w", "layer.1.w", "norm"), src.names());
        }
        SafetensorsWriter.writeSharded(dir, tensors(), 100); // and back: the single file goes
        assertTrue(Files.notExists(dir.resolve("model.safetensors")));
    }

    @Test
    void missingShardIsNamed() throws IOException {
        SafetensorsWriter.writeSharded(dir, tensors(), 100);
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        Path index = dir.resolve("model.safetensors.index.json");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("shard model-00002-of-00002.safetensors not found"), e.getMessage());
    }

    @Test
    void tensorMissingFromItsShardIsNamed() throws IOException {
        SafetensorsWriter.writeSharded(dir, tensors(), 100);
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, Files.readString(index).replace("\"norm\":", "\"ghost\": \"model-00001-of-00002.safetensors\",\n\"norm\":"));
        try (ShardedSafetensors src = ShardedSafetensors.open(index)) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 0.5f}, src.readFloats("norm")); // shard 2 is fine
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> src.readFloats("big"));
            assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("tensor \"ghost\" in shard model-00001-of-00002.safetensors"), e.getMessage());
            assertThrows(SafetensorsException.class, src::openAll);
        }
    }

    @Test
    void shardPathsEscapingTheFolderAreRejected() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("model"));
        Files.writeString(dir.resolve("evil.safetensors"), "x");
        Path index = sub.resolve("model.safetensors.index.json");
        for (String shard : List.of("../evil.safetensors", "/etc/passwd", "a/../../evil.safetensors", "..\\\\evil.safetensors",
                "", ".", "C:evil.safetensors")) {
            Files.writeString(index, "{\"metadata\":{},\"weight_map\":{\"w\":\"" + shard + "\"}}");
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index), shard);
            assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("is not a file name inside the index's folder"), e.getMessage());
        }
    }

    @Test
    void malformedIndexIsRejected() throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        for (String json : List.of("{\"metadata\":{}}", "[]", "{\"weight_map\":{\"w\":3}}", "{\"weight_map\":", "")) {
            Files.writeString(index, json);
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index), json);
            assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
        }
        SafetensorsException none = assertThrows(SafetensorsException.class,
                () -> SafetensorsSource.openFolder(Files.createDirectories(dir.resolve("empty"))));
        assertTrue(none.getMessage().contains("neither model.safetensors nor model.safetensors.index.json"), none.getMessage());
    }

    @Test
    void closedSourceRefusesReads() throws IOException {
        SafetensorsWriter.writeSharded(dir, tensors(), 100);
        ShardedSafetensors src = ShardedSafetensors.open(dir.resolve("model.safetensors.index.json"));
        src.openAll();
        src.close();
        assertThrows(IllegalStateException.class, () -> src.readFloats("big"));
    }
}
