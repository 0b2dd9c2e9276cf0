package dev.align4j.io.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per rejection rule: each broken file must fail with a {@link SafetensorsException} whose
 * message names the file and, where one is involved, the tensor; never with a JVM error or an
 * out-of-bounds access from deep inside.
 */
class HostileFilesTest {
    @TempDir
    Path dir;

    private static final String OK_A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private Path file(String header, byte[] data) throws IOException {
        return RawFiles.file(dir, "bad.safetensors", header, data);
    }

    private static void assertRejected(Path file, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "missing \"" + f + "\" in: " + e.getMessage());
    }

    @Test
    void truncatedBelowTheLengthField() throws IOException {
        assertRejected(Files.write(dir.resolve("empty.safetensors"), new byte[0]), "0 bytes long");
        assertRejected(Files.write(dir.resolve("five.safetensors"), new byte[5]), "5 bytes long");
    }

    @Test
    void headerLengthOfTwoToTheSixtyThree() throws IOException {
        assertRejected(RawFiles.file(dir, "huge.safetensors", Long.MIN_VALUE, new byte[0], new byte[0]),
                "header length 9223372036854775808 exceeds the limit");
    }

    @Test
    void headerLengthPastTheLimitEvenWhenSmall() throws IOException {
        assertRejected(RawFiles.file(dir, "limit.safetensors", 100_000_001L, new byte[0], new byte[0]), "exceeds the limit");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        byte[] h = ("{" + OK_A + "}").getBytes(StandardCharsets.UTF_8);
        assertRejected(RawFiles.file(dir, "short.safetensors", h.length + 100, h, new byte[8]), "runs past the end of the file");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] h = {'{', '"', (byte) 0xFF, '"', ':', '1', '}'};
        assertRejected(RawFiles.file(dir, "utf.safetensors", h.length, h, new byte[0]), "not valid UTF-8");
    }

    @Test
    void headerNotJson() throws IOException {
        assertRejected(file("not json at all", new byte[0]), "not valid JSON");
    }

    @Test
    void headerWithTrailingGarbage() throws IOException {
        assertRejected(file("{} {}", new byte[0]), "not valid JSON");
    }

    @Test
    void headerNestedDeeplyEnoughToOverflowARecursiveParser() throws IOException {
        assertRejected(file("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}", new byte[0]), "not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertRejected(file("[1, 2]  ", new byte[0]), "must be a JSON object");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        assertRejected(file("{" + OK_A + "," + OK_A + "}", new byte[8]), "Duplicate field 'a'");
    }

    @Test
    void missingField() throws IOException {
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", new byte[8]), "tensor \"a\"", "missing field shape");
    }

    @Test
    void illTypedFields() throws IOException {
        assertRejected(file("{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "tensor \"a\"", "dtype must be a string");
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":\"abc\",\"data_offsets\":[0,8]}}", new byte[8]), "tensor \"a\"", "shape must be an array");
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", new byte[8]), "tensor \"a\"", "shape[0]", "2.5");
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", new byte[8]), "tensor \"a\"", "data_offsets must be");
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", new byte[8]), "tensor \"a\"", "data_offsets must be");
        assertRejected(file("{\"a\":[]}", new byte[0]), "tensor \"a\" must be an object");
    }

    @Test
    void metadataNotStrings() throws IOException {
        assertRejected(file("{\"__metadata__\":{\"format\":1}}", new byte[0]), "__metadata__ field \"format\"");
        assertRejected(file("{\"__metadata__\":[]}", new byte[0]), "__metadata__ must be an object");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"F9\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor \"w\"", "unknown dtype \"F9\"", "F32, BF16, F16");
    }

    @Test
    void negativeShape() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor \"w\"", "shape[0] = -2 is negative");
    }

    @Test
    void shapeWhoseElementCountOverflows() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor \"w\"", "more than 2^63 elements");
        assertRejected(file("{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor \"w\"", "overflows");
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor \"w\"", "too large");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]),
                "tensor \"w\"", "run past the end of the data buffer (8 bytes");
        assertRejected(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[9223372036854775807,9223372036854775807]}}",
                new byte[0]), "tensor \"w\"", "past the end");
    }

    @Test
    void offsetsEndBeforeBegin() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8]),
                "tensor \"w\"", "end before they begin");
    }

    @Test
    void byteLengthNotMatchingShapeAndDtype() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]),
                "tensor \"w\"", "span 8 bytes but BF16 of shape [2] needs 4");
    }

    @Test
    void subByteTensorNotFillingWholeBytes() throws IOException {
        assertRejected(file("{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", new byte[1]),
                "tensor \"w\"", "do not fill whole bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRejected(file("{" + OK_A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "tensor \"b\"", "overlaps tensor \"a\"");
    }

    @Test
    void holeBetweenTensors() throws IOException {
        assertRejected(file("{" + OK_A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", new byte[16]),
                "tensor \"b\"", "hole of 4 bytes after tensor \"a\"");
        assertRejected(file("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor \"b\"", "after the start of the data buffer");
    }

    @Test
    void bytesAfterTheLastTensor() throws IOException {
        assertRejected(file("{" + OK_A + "}", new byte[9]), "1 bytes after the last tensor");
    }

    @Test
    void nonFloatDtypeReadAsFloatNamesTensorAndDtype() throws IOException {
        Path p = file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(f.contains("ids"));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.readFloats("ids"));
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("tensor \"ids\" has dtype I64"), e.getMessage());
            assertTrue(e.getMessage().contains("F32, BF16, F16"), e.getMessage());
        }
    }

    @Test
    void unknownTensorNameAndSmallDestination() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file("{" + OK_A + "}", new byte[8]))) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.info("nope"));
            assertTrue(e.getMessage().contains("no tensor named \"nope\""), e.getMessage());
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> f.readFloats("a", new float[3], 2));
            assertTrue(small.getMessage().contains("tensor \"a\" has 2 elements"), small.getMessage());
            assertThrows(IllegalArgumentException.class, () -> f.readFloats("a", new float[3], -1));
        }
    }
}
