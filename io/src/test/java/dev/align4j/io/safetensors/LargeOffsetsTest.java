package dev.align4j.io.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Offsets past 2^31: a sparse 3 GB file (no disk used: {@code setLength} leaves a hole) holding a
 * 3,000,000,000-byte U8 tensor and, after it, a small F32 tensor that must read back exactly.
 */
class LargeOffsetsTest {
    @TempDir
    Path dir;

    @Test
    void tensorsPastTwoGigabytesAreAddressedExactly() throws IOException {
        long big = 3_000_000_000L;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        Path file = RawFiles.file(dir, "large.safetensors", header, new byte[0]);
        long dataStart = 8 + header.getBytes(StandardCharsets.UTF_8).length;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + big + 8);
            raf.seek(dataStart + big);
            raf.write(RawFiles.f32(1.25f, -7f));
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(big, f.segment("big").byteSize());
            assertEquals(dataStart + big, f.info("tail").byteOffset());
            assertArrayEquals(new float[] {1.25f, -7f}, f.readFloats("tail"));
            SafetensorsException tooBig = assertThrows(SafetensorsException.class, () -> f.info("big").intShape());
            assertEquals(true, tooBig.getMessage().contains("tensor \"big\""), tooBig.getMessage());
            assertThrows(SafetensorsException.class, () -> f.readFloats("big")); // U8: not a float type
        }
    }
}
