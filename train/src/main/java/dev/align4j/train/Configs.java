package dev.align4j.train;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads a trainer config: a YAML file of TRL's snake_case keys, then {@code --key value} overrides
 * from the command line, bound to a config class ({@link TrainingArguments} or a trainer's subclass).
 *
 * <p>Errors are one line each: a YAML syntax error names the file, line and column; an unknown key
 * names it and suggests the nearest valid names (by edit distance, as argparse and TRL's
 * {@code TrlParser} users expect a typo to be caught, not ignored); a value of the wrong type names the
 * key, the value and the type wanted. Override values are read as YAML scalars, so {@code true},
 * {@code 3} and {@code 1e-5} mean what they do in the file; keys may be written with dashes; a single
 * value where a list is expected is a list of one ({@code --lora_target_modules all-linear}, as TRL's
 * argument parser takes it).
 */
public final class Configs {
    private Configs() {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY) // --lora_target_modules all-linear, as TRL takes it
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    /**
     * The config of {@code type} from {@code file} (may be null: defaults only) with {@code overrides}
     * ({@code --key value} pairs) applied on top, validated.
     */
    public static <T extends TrainingArguments> T load(Path file, List<String> overrides, Class<T> type) throws IOException {
        ObjectNode tree = YAML.createObjectNode();
        String source = file == null ? "the command line" : file.toString();
        if (file != null) {
            JsonNode read;
            try {
                read = YAML.readTree(Files.readString(file));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(where(file, e.getLocation()) + "not valid YAML: " + e.getOriginalMessage());
            }
            if (read != null && !read.isMissingNode() && !read.isNull()) {
                if (!read.isObject()) throw new IllegalArgumentException(file + ": a config must be a mapping of keys to values");
                tree.setAll((ObjectNode) read);
            }
        }
        for (int i = 0; i < overrides.size(); i++) {
            String flag = overrides.get(i);
            if (!flag.startsWith("--") || flag.length() == 2) {
                throw new IllegalArgumentException("expected --key value overrides, got \"" + flag + "\"");
            }
            String key = flag.substring(2).replace('-', '_'), value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else {
                if (i + 1 >= overrides.size()) throw new IllegalArgumentException("--" + key + " needs a value");
                value = overrides.get(++i);
            }
            JsonNode parsed;
            try {
                parsed = YAML.readTree(value);
            } catch (JsonProcessingException e) {
                parsed = YAML.getNodeFactory().textNode(value);
            }
            tree.set(key, parsed == null || parsed.isMissingNode() ? YAML.getNodeFactory().nullNode() : parsed);
        }
        T config;
        try {
            config = YAML.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(source + ": unknown key \"" + e.getPropertyName() + "\""
                    + suggest(e.getPropertyName(), e.getKnownPropertyIds()));
        } catch (InvalidFormatException e) {
            throw new IllegalArgumentException(source + ": " + path(e) + " must be " + describe(e.getTargetType()) + ", got "
                    + e.getValue());
        } catch (MismatchedInputException e) {
            throw new IllegalArgumentException(source + ": " + path(e) + " must be " + describe(e.getTargetType()) + ": "
                    + e.getOriginalMessage());
        }
        config.validate();
        return config;
    }

    private static String where(Path file, JsonLocation at) {
        return at == null ? file + ": " : file + ", line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
    }

    private static String path(MismatchedInputException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static String describe(Class<?> type) {
        if (type == null) return "of another type";
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) return "an integer";
        if (type == double.class || type == Double.class) return "a number";
        if (type == boolean.class || type == Boolean.class) return "true or false";
        if (type == String.class) return "a string";
        return "a " + type.getSimpleName();
    }

    /** " (did you mean a, b?)" with the known names within a small edit distance, nearest first. */
    public static String suggest(String key, Collection<Object> known) {
        List<String> names = new ArrayList<>();
        for (Object k : known) names.add(k.toString());
        names.sort(Comparator.comparingInt((String n) -> distance(key, n)).thenComparing(n -> n));
        List<String> near = names.stream().filter(n -> distance(key, n) <= Math.max(2, key.length() / 3)).limit(3).toList();
        return near.isEmpty() ? "; run with --help for the valid keys" : " (did you mean " + String.join(", ", near) + "?)";
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Every key of {@code type} with its default, one per line, for {@code --help}: "  learning_rate = 2.0E-5". */
    public static List<String> keys(Class<? extends TrainingArguments> type) {
        TrainingArguments defaults;
        try {
            defaults = type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " needs a public no-argument constructor", e);
        }
        List<String> lines = new ArrayList<>();
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) chain.addFirst(c);
        for (Class<?> c : chain) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                if (!java.lang.reflect.Modifier.isPublic(f.getModifiers()) || java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
                Object value;
                try {
                    value = f.get(defaults);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                com.fasterxml.jackson.annotation.JsonProperty named = f.getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
                String name = named != null && !named.value().isEmpty() ? named.value()
                        : PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(f.getName());
                lines.add(String.format("  %-30s %s", name, value == null ? "(unset)" : value instanceof String ? "\"" + value + "\"" : value));
            }
        }
        return lines;
    }
}
