package dev.align4j.io.safetensors;

import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SafetensorsSource#readBf16}: BF16 in place, F32 and F16 rounded to nearest even; the two mapping
 * lifetimes; and frozen BF16 tensors written back by {@link SafetensorsWriter}.
 */
class Bf16ReadTest {
    @TempDir
    Path dir;

    private static final float[] VALUES = {1f, 1.00390625f, 1.01171875f, -3.14159265f, 65504f, 1e-3f};

    private Path write(DType dtype) throws IOException {
        Path file = dir.resolve(dtype + ".safetensors");
        SafetensorsWriter.write(file, Map.of("w", new SafetensorsWriter.Entry(dtype, Tensor.of(VALUES.clone(), 2, 3))));
        return file;
    }

    private static short[] bits(MemorySegment seg) {
        short[] s = new short[(int) (seg.byteSize() / 2)];
        for (int i = 0; i < s.length; i++) s[i] = seg.get(FloatCodec.I16_LE, 2L * i);
        return s;
    }

    private static short[] rounded(float[] values) {
        short[] s = new short[values.length];
        for (int i = 0; i < values.length; i++) s[i] = FloatCodec.toBf16(values[i]);
        return s;
    }

    @Test
    void aBf16TensorIsReadInPlace() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(write(DType.BF16))) {
            MemorySegment seg = f.readBf16("w");
            assertTrue(seg.isMapped() && seg.isReadOnly(), "a view of the mapped file, no copy");
            assertArrayEquals(rounded(VALUES), bits(seg));
        }
    }

    @Test
    void f32AndF16AreRoundedToNearestEvenOnTheHeap() throws IOException {
        for (DType dtype : new DType[] {DType.F32, DType.F16}) {
            try (SafetensorsFile f = SafetensorsFile.open(write(dtype))) {
                MemorySegment seg = f.readBf16("w");
                assertFalse(seg.isNative(), dtype + ": converted into heap memory");
                assertArrayEquals(rounded(f.readFloats("w")), bits(seg), dtype.toString());
            }
        }
    }

    @Test
    void otherDtypesAreRejectedByName() throws IOException {
        String header = "{\"ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        try (SafetensorsFile f = SafetensorsFile.open(RawFiles.file(dir, "i.safetensors", header, new byte[8]))) {
            var e = assertThrows(SafetensorsException.class, () -> f.readBf16("ids"));
            assertTrue(e.getMessage().contains("\"ids\"") && e.getMessage().contains("I32"), e.getMessage());
        }
    }

    @Test
    void untilClosedSegmentsDieWithTheSource() throws IOException {
        SafetensorsFile f = SafetensorsFile.open(write(DType.BF16));
        MemorySegment seg = f.readBf16("w");
        f.close();
        assertThrows(IllegalStateException.class, () -> seg.get(FloatCodec.I16_LE, 0));
        assertThrows(IllegalStateException.class, () -> f.readBf16("w"));
    }

    @Test
    void whileReachableSegmentsOutliveTheSourceButItsReadsEndAtClose() throws IOException {
        SafetensorsFile f = SafetensorsFile.open(write(DType.BF16), SafetensorsSource.Lifetime.WHILE_REACHABLE);
        MemorySegment seg = f.readBf16("w");
        f.close();
        assertArrayEquals(rounded(VALUES), bits(seg));
        var e = assertThrows(IllegalStateException.class, () -> f.readFloats("w"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void shardsMapWithTheSourcesLifetime() throws IOException {
        Map<String, SafetensorsWriter.Entry> entries = new LinkedHashMap<>();
        entries.put("a", new SafetensorsWriter.Entry(DType.BF16, Tensor.of(VALUES.clone(), 6)));
        entries.put("b", new SafetensorsWriter.Entry(DType.BF16, Tensor.of(VALUES.clone(), 3, 2)));
        SafetensorsWriter.writeSharded(dir, entries, 12);
        MemorySegment seg;
        try (SafetensorsSource src = SafetensorsSource.openFolder(dir, SafetensorsSource.Lifetime.WHILE_REACHABLE)) {
            assertTrue(src instanceof ShardedSafetensors);
            seg = src.readBf16("b");
        }
        assertArrayEquals(rounded(VALUES), bits(seg));
    }

    @Test
    void aFrozenBf16TensorIsWrittenAsItsBitsOrWidened() throws IOException {
        MemorySegment stored;
        try (SafetensorsFile f = SafetensorsFile.open(write(DType.BF16), SafetensorsSource.Lifetime.WHILE_REACHABLE)) {
            stored = f.readBf16("w");
        }
        Tensor frozen = Tensor.frozenBf16(stored, 2, 3);
        Path bf16 = dir.resolve("again-bf16.safetensors"), f32 = dir.resolve("again-f32.safetensors");
        SafetensorsWriter.write(bf16, Map.of("w", new SafetensorsWriter.Entry(DType.BF16, frozen)));
        SafetensorsWriter.write(f32, Map.of("w", new SafetensorsWriter.Entry(DType.F32, frozen)));
        try (SafetensorsFile b = SafetensorsFile.open(bf16); SafetensorsFile f = SafetensorsFile.open(f32)) {
            assertArrayEquals(bits(stored), bits(b.segment("w")));
            assertArrayEquals(frozen.toArray(), f.readFloats("w"));
            assertEquals(DType.F32, f.info("w").dtype());
        }
    }
}
