package dev.align4j.io.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face {@code config.json}, read as a JSON tree with typed getters.
 *
 * <p>What it is: generic, immutable access to the fields any architecture reads
 * ({@code getInt("hidden_size")}, {@code getDouble("rms_norm_eps", 1e-6)}, {@link #modelType()}), where
 * a missing field takes the caller's default (an explicit {@code null}, as transformers writes for
 * unset options such as {@code rope_scaling}, counts as missing) and a field of the wrong type is an
 * {@link IllegalArgumentException} naming the file, the field and the value found, e.g.
 * {@code config.json: field hidden_size must be an integer, got "abc"}. The whole tree is kept, so a
 * config is written back with every field it had, plus the changes made with {@link #with} and
 * {@link #without}. Nested objects ({@code rope_scaling}) are read with {@link #getObject}, whose errors
 * name the field by its path. What it is not: an architecture config ({@link HfArchitecture#fromConfig}
 * builds those from this), nor a validator of value ranges.
 *
 * <p>Based on: transformers' {@code PretrainedConfig}, which writes {@code config.json} as
 * {@code json.dumps(config, indent=2, sort_keys=True) + "\n"} ({@link #toJsonString()}, via {@link HfJson}).
 */
public final class HfConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final ObjectNode root;
    private final String path; // "" at the top; "rope_scaling." inside that object, as errors name fields

    private HfConfig(String source, ObjectNode root, String path) {
        this.source = source;
        this.root = root;
        this.path = path;
    }

    /** Reads {@code file}; errors name it. */
    public static HfConfig read(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /** Parses JSON text; {@code source} names it in error messages (a path, say). */
    public static HfConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": a config must be a JSON object, got " + show(root));
        }
        return new HfConfig(source, (ObjectNode) root, "");
    }

    /** What this config was read from, as errors name it. */
    public String source() {
        return source;
    }

    /** A copy of the whole tree. */
    public ObjectNode json() {
        return root.deepCopy();
    }

    /** Whether {@code field} is present and not {@code null}. */
    public boolean has(String field) {
        JsonNode v = root.get(field);
        return v != null && !v.isNull();
    }

    /** Whether {@code field} is present, even as {@code null} (transformers tells the two apart for a few fields). */
    public boolean contains(String field) {
        return root.has(field);
    }

    /** Whether the object has no fields ({@code {}}). */
    public boolean isEmpty() {
        return root.isEmpty();
    }

    /**
     * A nested object such as {@code rope_scaling}, with the same typed getters; its errors name the field
     * by its path ({@code rope_scaling.factor}). Null when the field is missing or null.
     */
    public HfConfig getObject(String field) {
        if (!has(field)) return null;
        JsonNode v = root.get(field);
        if (!v.isObject()) throw wrongType(field, "an object", v);
        return new HfConfig(source, (ObjectNode) v, path + field + ".");
    }

    /** The required {@code model_type} ({@code "llama"}, {@code "qwen2"}, {@code "gpt2"}, …). */
    public String modelType() {
        return getString("model_type");
    }

    public int getInt(String field) {
        return toInt(field, required(field));
    }

    public int getInt(String field, int defaultValue) {
        return has(field) ? toInt(field, root.get(field)) : defaultValue;
    }

    public long getLong(String field) {
        return toLong(field, required(field));
    }

    public long getLong(String field, long defaultValue) {
        return has(field) ? toLong(field, root.get(field)) : defaultValue;
    }

    /** A number (an integer such as {@code 10000} is accepted too). */
    public double getDouble(String field) {
        return toDouble(field, required(field));
    }

    public double getDouble(String field, double defaultValue) {
        return has(field) ? toDouble(field, root.get(field)) : defaultValue;
    }

    public boolean getBoolean(String field) {
        return toBoolean(field, required(field));
    }

    public boolean getBoolean(String field, boolean defaultValue) {
        return has(field) ? toBoolean(field, root.get(field)) : defaultValue;
    }

    public String getString(String field) {
        return toText(field, required(field));
    }

    public String getString(String field, String defaultValue) {
        return has(field) ? toText(field, root.get(field)) : defaultValue;
    }

    /** An integer or a list of integers, as {@code eos_token_id} may be; empty when missing or null. */
    public List<Integer> getIntList(String field) {
        if (!has(field)) return List.of();
        JsonNode v = root.get(field);
        if (!v.isArray()) return List.of(toInt(field, v));
        List<Integer> out = new ArrayList<>();
        for (JsonNode x : v) {
            if (!x.isIntegralNumber() || !x.canConvertToInt()) throw wrongType(field, "an integer or a list of integers", v);
            out.add(x.intValue());
        }
        return List.copyOf(out);
    }

    /** A copy with {@code field} set to {@code value} (a number, string, boolean, list, map, or null). */
    public HfConfig with(String field, Object value) {
        ObjectNode copy = root.deepCopy();
        copy.set(field, JSON.valueToTree(value));
        return new HfConfig(source, copy, path);
    }

    /** A copy without {@code field}. */
    public HfConfig without(String field) {
        ObjectNode copy = root.deepCopy();
        copy.remove(field);
        return new HfConfig(source, copy, path);
    }

    /** The config as transformers writes it: sorted keys, two-space indent, a final newline. */
    public String toJsonString() {
        return HfJson.dumps(root) + "\n";
    }

    /** Writes {@link #toJsonString()} to {@code file}, atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJsonString());
    }

    private JsonNode required(String field) {
        JsonNode v = root.get(field);
        if (v == null) throw new IllegalArgumentException(source + ": missing required field " + path + field);
        return v;
    }

    private int toInt(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(field, "an integer", v);
        return v.intValue();
    }

    private long toLong(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw wrongType(field, "an integer", v);
        return v.longValue();
    }

    private double toDouble(String field, JsonNode v) {
        if (!v.isNumber()) throw wrongType(field, "a number", v);
        return v.doubleValue();
    }

    private boolean toBoolean(String field, JsonNode v) {
        if (!v.isBoolean()) throw wrongType(field, "true or false", v);
        return v.booleanValue();
    }

    private String toText(String field, JsonNode v) {
        if (!v.isTextual()) throw wrongType(field, "a string", v);
        return v.textValue();
    }

    private IllegalArgumentException wrongType(String field, String expected, JsonNode got) {
        return new IllegalArgumentException(source + ": field " + path + field + " must be " + expected + ", got " + show(got));
    }

    private static String show(JsonNode v) {
        if (v == null || v.isMissingNode()) return "nothing";
        String s = v.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    @Override
    public String toString() {
        return "HfConfig[" + source + (has("model_type") && root.get("model_type").isTextual()
                ? ", model_type=" + root.get("model_type").textValue() : "") + "]";
    }
}
