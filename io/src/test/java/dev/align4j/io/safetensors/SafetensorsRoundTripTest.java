package dev.align4j.io.safetensors;

import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writer → reader round trips, and the writer's bytes against the format spelled out by hand. */
class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    private static final float[] SPECIALS = {
        0f, -0f, 1f, -2f, 3.14159265f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7FA00001),
    };

    @Test
    void f32RoundTripIsBitExact() throws IOException {
        Tensor t = Tensor.of(SPECIALS.clone(), 3, 4);
        Path file = dir.resolve("f32.safetensors");
        SafetensorsWriter.write(file, Map.of("w", new SafetensorsWriter.Entry(DType.F32, t)));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Tensor back = f.readTensor("w");
            assertArrayEquals(new int[] {3, 4}, back.shape());
            assertEquals("w", back.name());
            for (int i = 0; i < SPECIALS.length; i++) {
                assertEquals(Float.floatToRawIntBits(SPECIALS[i]), Float.floatToRawIntBits(back.toArray()[i]), "element " + i);
            }
            assertEquals(Map.of("format", "pt"), f.metadata());
        }
    }

    @Test
    void bf16RoundTripGivesTheHandComputedRoundedValues() throws IOException {
        // float32 bits → expected BF16 bits (round to nearest even; see FloatCodecTest for the derivation)
        int[][] cases = {
            {0x3F800000, 0x3F80}, {0x3F808000, 0x3F80}, {0x3F818000, 0x3F82}, {0x3F808001, 0x3F81},
            {0x7F7FFFFF, 0x7F80}, {0xFF800000, 0xFF80}, {0x00018000, 0x0002}, {0x80000000, 0x8000},
            {0x7FC00000, 0x7FC0}, {0x40490FDB, 0x4049},
        };
        float[] values = new float[cases.length];
        for (int i = 0; i < cases.length; i++) values[i] = Float.intBitsToFloat(cases[i][0]);
        Path file = dir.resolve("bf16.safetensors");
        SafetensorsWriter.write(file, Map.of("w", new SafetensorsWriter.Entry(DType.BF16, Tensor.of(values, 2, 5))));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(DType.BF16, f.info("w").dtype());
            assertEquals(2L * cases.length, f.info("w").byteLength());
            float[] back = f.readFloats("w");
            for (int i = 0; i < cases.length; i++) {
                assertEquals(cases[i][1] << 16, Float.floatToRawIntBits(back[i]), "element " + i);
                assertEquals((short) cases[i][1], f.segment("w").get(FloatCodec.I16_LE, 2L * i), "stored bits " + i);
            }
        }
    }

    @Test
    void f16ReadsKnownEncodings() throws IOException {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[10],\"data_offsets\":[0,20]}}";
        byte[] data = RawFiles.u16(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x03FF, 0x0400, 0x8000, 0x7E00);
        try (SafetensorsFile f = SafetensorsFile.open(RawFiles.file(dir, "h.safetensors", header, data))) {
            float[] v = f.readFloats("h");
            assertEquals(1f, v[0]);
            assertEquals(-2f, v[1]);
            assertEquals(65504f, v[2]);
            assertEquals(0x1p-24f, v[3]); // smallest subnormal
            assertEquals(Float.POSITIVE_INFINITY, v[4]);
            assertEquals(Float.NEGATIVE_INFINITY, v[5]);
            assertEquals(1023 * 0x1p-24f, v[6]); // largest subnormal
            assertEquals(0x1p-14f, v[7]); // smallest normal
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(v[8]));
            assertTrue(Float.isNaN(v[9]));
        }
    }

    @Test
    void f16WriteRoundsToNearestEven() throws IOException {
        // 65520 ties 65504 and 65536 (overflow) → even → inf; 2^-25 ties 0 and 2^-24 → 0; 3·2^-25 ties 2^-24, 2^-23 → 2^-23
        float[] values = {1f, 65520f, 0x1p-25f, 3 * 0x1p-25f, 65504f};
        float[] expected = {1f, Float.POSITIVE_INFINITY, 0f, 0x1p-23f, 65504f};
        Path file = dir.resolve("f16.safetensors");
        SafetensorsWriter.write(file, Map.of("h", new SafetensorsWriter.Entry(DType.F16, Tensor.of(values, 5))));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(expected, f.readFloats("h"));
        }
    }

    /**
     * The bytes Python's {@code safetensors.torch.save_file(tensors, path, metadata={"format": "pt"})}
     * writes, spelled out from the format: tensors sorted by dtype (F32 before BF16, the reference's
     * descending alignment) then by name, whatever the insertion order; compact JSON with
     * {@code __metadata__} first; 194 header bytes padded with 6 spaces to 200; data back to back.
     */
    @Test
    void writerBytesEqualThePythonLibrarysForASmallExample() throws IOException {
        Map<String, SafetensorsWriter.Entry> tensors = new LinkedHashMap<>();
        tensors.put("b", new SafetensorsWriter.Entry(DType.BF16, Tensor.of(new float[] {1f, -2f}, 2)));
        tensors.put("c.w", new SafetensorsWriter.Entry(DType.F32, Tensor.scalar(2f)));
        tensors.put("a", new SafetensorsWriter.Entry(DType.F32, Tensor.of(new float[] {1.5f}, 1)));
        Path file = dir.resolve("small.safetensors");
        SafetensorsWriter.write(file, tensors);

        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"c.w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        assertEquals(194, json.length());
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[] {(byte) 200, 0, 0, 0, 0, 0, 0, 0});
        expected.writeBytes((json + "      ").getBytes(StandardCharsets.UTF_8));
        expected.writeBytes(new byte[] {0x00, 0x00, (byte) 0xC0, 0x3F}); // 1.5f = 0x3FC00000
        expected.writeBytes(new byte[] {0x00, 0x00, 0x00, 0x40}); // 2.0f = 0x40000000
        expected.writeBytes(new byte[] {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0}); // bf16 1.0 = 0x3F80, -2.0 = 0xC000
        assertArrayEquals(expected.toByteArray(), Files.readAllBytes(file));
    }

    /** The reference's own serializer tests (tensor.rs): header lengths 64 (no padding) and 65 + 7 spaces. */
    @Test
    void writerMatchesTheReferenceSerializerVectorsWithoutMetadata() throws IOException {
        float[] data = {0, 1, 2, 3, 4, 5};
        for (String name : List.of("attn.0", "attn0")) {
            int[] shape = name.equals("attn.0") ? new int[] {1, 2, 3} : new int[] {1, 1, 2, 3};
            Path file = dir.resolve(name + ".safetensors");
            SafetensorsWriter.write(file, Map.of(name, new SafetensorsWriter.Entry(DType.F32, Tensor.of(data, shape))), Map.of());
            String shapeJson = name.equals("attn.0") ? "[1,2,3]" : "[1,1,2,3]";
            String json = "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shapeJson + ",\"data_offsets\":[0,24]}}";
            String padded = name.equals("attn.0") ? json : json + "       ";
            byte[] bytes = Files.readAllBytes(file);
            assertEquals(name.equals("attn.0") ? 64 : 72, bytes[0]);
            assertEquals(padded, new String(bytes, 8, padded.length(), StandardCharsets.UTF_8));
            assertArrayEquals(RawFiles.f32(data), Arrays.copyOfRange(bytes, 8 + padded.length(), bytes.length));
        }
    }

    @Test
    void namesNeedingEscapesRoundTrip() throws IOException {
        String name = "q\"uote\\back\nline\u0001é😀";
        Path file = dir.resolve("names.safetensors");
        SafetensorsWriter.write(file, Map.of(name, new SafetensorsWriter.Entry(DType.F32, Tensor.vector(7f))), Map.of("k", "v\"é"));
        byte[] bytes = Files.readAllBytes(file);
        String header = new String(bytes, 8, bytes[0] & 0xFF, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"q\\\"uote\\\\back\\nline\\u0001é😀\""), header); // serde_json keeps non-ASCII raw
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of(name), f.names());
            assertArrayEquals(new float[] {7f}, f.readFloats(name));
            assertEquals(Map.of("k", "v\"é"), f.metadata());
        }
    }

    @Test
    void emptyTensorsScalarsAndStorageOffsetsAreWritten() throws IOException {
        Tensor big = Tensor.of(new float[] {9, 9, 1, 2, 3, 4}, 2, 3);
        Map<String, SafetensorsWriter.Entry> tensors = new LinkedHashMap<>();
        tensors.put("row", new SafetensorsWriter.Entry(DType.F32, big.row(1))); // storage offset 3
        tensors.put("empty", new SafetensorsWriter.Entry(DType.BF16, Tensor.zeros(0, 4)));
        tensors.put("s", new SafetensorsWriter.Entry(DType.F32, Tensor.scalar(-1f)));
        Path file = dir.resolve("odd.safetensors");
        SafetensorsWriter.write(file, tensors);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {2, 3, 4}, f.readFloats("row"));
            assertEquals(0, f.readTensor("empty").numel());
            assertArrayEquals(new int[] {0, 4}, f.readTensor("empty").shape());
            assertEquals(-1f, f.readTensor("s").item());
            assertEquals(List.of("row", "s", "empty"), f.names()); // file order: F32 by name, then BF16
        }
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, Map.of("a", new SafetensorsWriter.Entry(DType.F32, Tensor.vector(1f))));
        SafetensorsWriter.write(file, Map.of("b", new SafetensorsWriter.Entry(DType.F32, Tensor.vector(2f, 3f))));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("b"), f.names());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void writerRejectsBadRequests() {
        Path file = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter.Entry(DType.I64, Tensor.vector(1f)));
        var e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(file,
                Map.of("__metadata__", new SafetensorsWriter.Entry(DType.F32, Tensor.vector(1f)))));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(file,
                Map.of("bad\uD800", new SafetensorsWriter.Entry(DType.F32, Tensor.vector(1f)))));
        assertTrue(Files.notExists(file));
    }

    @Test
    void segmentIsAReadOnlySliceOfTheTensorBytes() throws IOException {
        Path file = dir.resolve("seg.safetensors");
        SafetensorsWriter.write(file, Map.of("w", new SafetensorsWriter.Entry(DType.F32, Tensor.vector(1f, 2f))));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            var seg = f.segment("w");
            assertEquals(8, seg.byteSize());
            assertTrue(seg.isReadOnly());
            assertEquals(2f, seg.get(FloatCodec.F32_LE, 4));
            assertThrows(IllegalArgumentException.class, () -> seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertThrows(IndexOutOfBoundsException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 8));
        }
    }
}
