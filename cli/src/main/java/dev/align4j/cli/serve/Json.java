package dev.align4j.cli.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading a request body's JSON: the whole body must be one object, and each field is read with
 * its expected type, a wrong type or value being a 400 that names the field.
 *
 * <p>Based on what OpenAI's and vLLM's servers accept (vLLM validates with pydantic): null is the
 * same as absent; an integer may be written as a whole float ({@code 10.0}); strings are never
 * converted to numbers or booleans ({@code "temperature": "hot"} is an error, and so is
 * {@code "0.5"}); booleans are never numbers. Duplicate keys and trailing content are rejected as
 * malformed. What it is not: a schema — which fields exist and their ranges are decided by
 * {@link CompletionRequest}.
 */
final class Json {
    private Json() {}

    /** The mapper for request and response bodies. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The body as a JSON object, or a 400 saying where it is malformed. */
    static ObjectNode object(byte[] body) {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("The request body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", null);
        } catch (IOException e) {
            throw ApiError.badRequest("The request body cannot be read: " + e.getMessage(), null);
        }
        if (root == null || root.isMissingNode()) throw ApiError.badRequest("The request body is empty; send a JSON object", null);
        if (!root.isObject()) throw ApiError.badRequest("The request body must be a JSON object, got " + kind(root), null);
        return (ObjectNode) root;
    }

    /** A field's value, or null when it is absent or null. */
    static JsonNode field(ObjectNode o, String name) {
        JsonNode v = o.get(name);
        return v == null || v.isNull() ? null : v;
    }

    static Integer integer(ObjectNode o, String name) {
        JsonNode v = field(o, name);
        if (v == null) return null;
        return toInt(v, name, "'" + name + "'");
    }

    static Double number(ObjectNode o, String name) {
        JsonNode v = field(o, name);
        if (v == null) return null;
        if (!v.isNumber()) throw wrongType(name, "a number", v);
        return v.doubleValue();
    }

    static Boolean bool(ObjectNode o, String name) {
        JsonNode v = field(o, name);
        if (v == null) return null;
        if (!v.isBoolean()) throw wrongType(name, "a boolean", v);
        return v.booleanValue();
    }

    static String string(ObjectNode o, String name) {
        JsonNode v = field(o, name);
        if (v == null) return null;
        if (!v.isTextual()) throw wrongType(name, "a string", v);
        return v.textValue();
    }

    /** A string or an array of strings (OpenAI's {@code stop}); absent is empty. */
    static List<String> strings(ObjectNode o, String name) {
        JsonNode v = field(o, name);
        List<String> out = new ArrayList<>();
        if (v == null) return out;
        if (v.isTextual()) {
            out.add(v.textValue());
            return out;
        }
        if (!v.isArray()) throw wrongType(name, "a string or an array of strings", v);
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) throw wrongType(name + "[" + i + "]", "a string", v.get(i));
            out.add(v.get(i).textValue());
        }
        return out;
    }

    /** An array of integers; absent is empty. */
    static List<Integer> integers(ObjectNode o, String name) {
        JsonNode v = field(o, name);
        List<Integer> out = new ArrayList<>();
        if (v == null) return out;
        if (!v.isArray()) throw wrongType(name, "an array of integers", v);
        for (int i = 0; i < v.size(); i++) out.add(toInt(v.get(i), name, "'" + name + "[" + i + "]'"));
        return out;
    }

    /** An integer node ({@code 3} or {@code 3.0}), or a 400 for field {@code param} described as {@code where}. */
    static int toInt(JsonNode v, String param, String where) {
        boolean whole = v.isIntegralNumber() || (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue()));
        if (!v.isNumber() || !whole) {
            throw ApiError.badRequest(where + " must be an integer, got " + kind(v) + " " + v, param);
        }
        double d = v.doubleValue();
        if (d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
            throw ApiError.badRequest(where + " is out of the integer range: " + v, param);
        }
        return (int) d;
    }

    static ApiError wrongType(String name, String expected, JsonNode got) {
        String param = name.contains("[") ? name.substring(0, name.indexOf('[')) : name;
        return ApiError.badRequest("'" + name + "' must be " + expected + ", got " + kind(got) + " " + abbreviate(got), param);
    }

    /** The JSON type of a node, as a client would name it. */
    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
