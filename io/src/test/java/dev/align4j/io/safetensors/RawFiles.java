package dev.align4j.io.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, for tests that need exact or deliberately broken bytes. */
final class RawFiles {
    private RawFiles() {}

    /** The 8-byte length, {@code header} as UTF-8 (unpadded), then {@code data}. */
    static Path file(Path dir, String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return file(dir, name, h.length, h, data);
    }

    /** A declared header length that may lie about the bytes that follow. */
    static Path file(Path dir, String name, long declaredLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    /** Little-endian float32 bytes. */
    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    /** Little-endian 16-bit words. */
    static byte[] u16(int... words) {
        ByteBuffer b = ByteBuffer.allocate(2 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) b.putShort((short) w);
        return b.array();
    }

    /** The shared fixtures folder ({@code shared/fixtures} beside the repository root), or null when absent. */
    static Path fixtures() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) return candidate;
        }
        return null;
    }
}
