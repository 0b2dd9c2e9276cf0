package dev.align4j.io.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates the header of a safetensors file: the 8-byte little-endian length, the
 * UTF-8 JSON, and every tensor entry against the size of the file.
 *
 * <p>What it is: the only place that reads untrusted header bytes. It checks at least what the
 * reference reader ({@code SafeTensors::read_metadata} and {@code Metadata::validate} in
 * huggingface/safetensors {@code tensor.rs}) checks, with messages that name the file, the tensor
 * and the field: header length within the file and at most 100,000,000 bytes; strict UTF-8; one
 * JSON object and nothing after it but the space padding; no duplicate keys (the spec forbids them,
 * serde would silently keep the last); {@code __metadata__} a map of strings; each tensor a known
 * dtype, a shape of non-negative integers whose element count fits a long, and
 * {@code data_offsets} of two integers whose span is exactly {@code numel × bits / 8} bytes. Sorted
 * by offset, tensors must tile the data buffer exactly: the first starts at 0, each starts where
 * the previous one ends (no overlap, no hole) and the last ends at the end of the file, as the
 * reference demands ({@code InvalidOffset}, {@code MetadataIncompleteBuffer}). Like the reference
 * it ignores unknown fields inside a tensor entry. What it is not: a reader of tensor data.
 */
final class SafetensorsHeader {
    /** The reference implementation's {@code MAX_HEADER_SIZE}. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The validated header: tensors in file order, the free-form metadata, where the data buffer starts. */
    record Parsed(List<TensorInfo> tensors, Map<String, String> metadata, long dataStart) {}

    private SafetensorsHeader() {}

    static Parsed parse(String file, MemorySegment bytes) {
        long size = bytes.byteSize();
        if (size < 8) {
            throw new SafetensorsException(file + ": " + size + " bytes long, shorter than the 8-byte header length"
                    + " that opens every safetensors file (truncated or not a safetensors file)");
        }
        long n = bytes.get(U64_LE, 0);
        if (Long.compareUnsigned(n, MAX_HEADER_BYTES) > 0) {
            throw new SafetensorsException(file + ": header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes (corrupt or not a safetensors file)");
        }
        if (n > size - 8) {
            throw new SafetensorsException(file + ": header length " + n + " runs past the end of the file ("
                    + size + " bytes; truncated download?)");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .decode(ByteBuffer.wrap(bytes.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE))).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file + ": header is not valid UTF-8 (" + e.getMessage() + ")", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new SafetensorsException(file + ": header is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at column " + e.getLocation().getColumnNr()), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(file + ": header must be a JSON object, got " + show(root));
        }
        long bufferLength = size - 8 - n;
        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals("__metadata__")) {
                metadata = metadata(file, e.getValue());
            } else {
                tensors.add(tensor(file, e.getKey(), e.getValue(), 8 + n, bufferLength));
            }
        }
        checkTiling(file, tensors, 8 + n, bufferLength);
        return new Parsed(List.copyOf(tensors), metadata, 8 + n);
    }

    private static Map<String, String> metadata(String file, JsonNode node) {
        if (node.isNull()) return Map.of();
        if (!node.isObject()) {
            throw new SafetensorsException(file + ": __metadata__ must be an object of strings, got " + show(node));
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(file + ": __metadata__ field \"" + e.getKey() + "\" must be a string, got "
                        + show(e.getValue()));
            }
            m.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(m);
    }

    private static TensorInfo tensor(String file, String name, JsonNode node, long dataStart, long bufferLength) {
        String where = file + ": tensor \"" + name + "\"";
        if (!node.isObject()) throw new SafetensorsException(where + " must be an object, got " + show(node));
        JsonNode dtypeNode = required(where, node, "dtype");
        if (!dtypeNode.isTextual()) throw new SafetensorsException(where + ": dtype must be a string, got " + show(dtypeNode));
        DType dtype = DType.parse(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafetensorsException(where + ": unknown dtype " + show(dtypeNode) + " (safetensors dtypes are "
                    + DType.allNames() + "; align4j reads " + DType.floatTypes() + " as floats)");
        }
        JsonNode shapeNode = required(where, node, "shape");
        if (!shapeNode.isArray()) throw new SafetensorsException(where + ": shape must be an array, got " + show(shapeNode));
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(where + ": shape[" + i + "]", shapeNode.get(i));
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new SafetensorsException(where + ": shape " + shapeNode + " has more than 2^63 elements");
            }
        }
        JsonNode offsets = required(where, node, "data_offsets");
        if (!offsets.isArray() || offsets.size() != 2) {
            throw new SafetensorsException(where + ": data_offsets must be an array [begin, end], got " + show(offsets));
        }
        long begin = nonNegativeLong(where + ": data_offsets[0]", offsets.get(0));
        long end = nonNegativeLong(where + ": data_offsets[1]", offsets.get(1));
        String range = "data_offsets [" + begin + ", " + end + "]";
        if (end < begin) throw new SafetensorsException(where + ": " + range + " end before they begin");
        if (end > bufferLength) {
            throw new SafetensorsException(where + ": " + range + " run past the end of the data buffer (" + bufferLength
                    + " bytes; truncated file?)");
        }
        long bits;
        try {
            bits = Math.multiplyExact(numel, (long) dtype.bits());
        } catch (ArithmeticException overflow) {
            throw new SafetensorsException(where + ": shape " + shapeNode + " of " + dtype + " overflows a byte count");
        }
        if (bits % 8 != 0) {
            throw new SafetensorsException(where + ": " + numel + " elements of " + dtype + " do not fill whole bytes");
        }
        if (end - begin != bits / 8) {
            throw new SafetensorsException(where + ": " + range + " span " + (end - begin) + " bytes but " + dtype
                    + " of shape " + Arrays.toString(shape) + " needs " + bits / 8);
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    /** Sorted by offset, the tensors must cover the data buffer exactly, as the reference validates. */
    private static void checkTiling(String file, List<TensorInfo> tensors, long dataStart, long bufferLength) {
        tensors.sort(Comparator.comparingLong(TensorInfo::byteOffset).thenComparingLong(TensorInfo::byteLength));
        long expected = dataStart;
        String previous = null;
        for (TensorInfo t : tensors) {
            String where = file + ": tensor \"" + t.name() + "\" (data_offsets [" + (t.byteOffset() - dataStart) + ", "
                    + (t.byteOffset() - dataStart + t.byteLength()) + "])";
            if (t.byteOffset() < expected) {
                throw new SafetensorsException(where + " overlaps tensor \"" + previous + "\", which ends at "
                        + (expected - dataStart));
            }
            if (t.byteOffset() > expected) {
                throw new SafetensorsException(where + " leaves a hole of " + (t.byteOffset() - expected) + " bytes after "
                        + (previous == null ? "the start of the data buffer" : "tensor \"" + previous + "\"")
                        + ": the format packs tensors back to back");
            }
            expected = t.byteOffset() + t.byteLength();
            previous = t.name();
        }
        if (expected != dataStart + bufferLength) {
            throw new SafetensorsException(file + ": " + (dataStart + bufferLength - expected) + " bytes after the last"
                    + " tensor's data: the tensors must cover the data buffer up to the end of the file");
        }
    }

    private static JsonNode required(String where, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null) throw new SafetensorsException(where + ": missing field " + field);
        return v;
    }

    private static long nonNegativeLong(String where, JsonNode v) {
        if (!v.isIntegralNumber()) throw new SafetensorsException(where + " must be a non-negative integer, got " + show(v));
        if (!v.canConvertToLong()) throw new SafetensorsException(where + " = " + v + " is too large");
        if (v.longValue() < 0) throw new SafetensorsException(where + " = " + v + " is negative");
        return v.longValue();
    }

    /** A JSON value for an error message, cut short when long. */
    static String show(JsonNode v) {
        if (v == null || v.isMissingNode()) return "nothing";
        String s = v.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
