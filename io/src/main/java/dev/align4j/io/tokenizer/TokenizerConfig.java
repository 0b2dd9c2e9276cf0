package dev.align4j.io.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The parts of a Hugging Face tokenizer folder's {@code tokenizer_config.json} (and of an optional
 * {@code chat_template.jinja} beside it) that align4j uses: the named special tokens, the
 * {@code add_bos_token}/{@code add_eos_token} flags, the chat templates, {@code model_max_length}
 * and {@code clean_up_tokenization_spaces}.
 *
 * <p>Not a tokenizer: it never maps tokens to ids ({@link Tokenizer} does that against
 * tokenizer.json), and it ignores {@code added_tokens_decoder}, whose tokens tokenizer.json lists
 * too. It does not read generation_config.json.
 *
 * <p>Based on transformers' {@code PreTrainedTokenizerBase} (tokenization_utils_base.py): the
 * special token attributes bos/eos/unk/sep/pad/cls/mask_token, written as a string or as a
 * serialized AddedToken object {@code {"content": ..., "__type": "AddedToken"}};
 * {@code extra_special_tokens} (name to token, as Gemma 3 writes it) adding model-specific names;
 * {@code chat_template} as a string or as a list of {@code {"name", "template"}} entries, of which
 * apply_chat_template uses "default"; a {@code chat_template.jinja} file taking precedence over the
 * JSON field, as transformers loads it; {@code model_max_length}, where {@code int(1e30)}
 * (VERY_LARGE_INTEGER) means "no limit".
 *
 * @param source                    the tokenizer_config.json read, for messages
 * @param specialTokens             named special tokens (for example {@code bos_token -> <s>}):
 *                                  the standard names in transformers' order, then those of
 *                                  extra_special_tokens; names whose value is null are absent
 * @param addBosToken               {@code add_bos_token}, when the config sets it
 * @param addEosToken               {@code add_eos_token}, when the config sets it
 * @param chatTemplates             chat templates by name; a single template is named "default"
 * @param chatTemplateSource        the file the default chat template comes from (the config,
 *                                  or chat_template.jinja)
 * @param modelMaxLength            {@code model_max_length}, empty when absent or "no limit"
 * @param cleanUpTokenizationSpaces {@code clean_up_tokenization_spaces} (false when absent)
 */
public record TokenizerConfig(
        Path source,
        Map<String, String> specialTokens,
        Optional<Boolean> addBosToken,
        Optional<Boolean> addEosToken,
        Map<String, String> chatTemplates,
        Path chatTemplateSource,
        OptionalLong modelMaxLength,
        boolean cleanUpTokenizationSpaces) {

    /** The special token attributes of transformers' SpecialTokensMixin, in its order. */
    static final List<String> STANDARD_NAMES = List.of(
            "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    public TokenizerConfig {
        specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        chatTemplates = Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
    }

    /** The named special token, for example {@code token("eos_token")}. */
    public Optional<String> token(String name) {
        return Optional.ofNullable(specialTokens.get(name));
    }

    /** The default chat template, as transformers' apply_chat_template picks it. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplates.get("default"));
    }

    /**
     * Reads {@code folder/tokenizer_config.json} and, when present, {@code folder/chat_template.jinja}.
     * A folder without tokenizer_config.json gets an empty config, as transformers' AutoTokenizer
     * loads it.
     *
     * @throws IllegalArgumentException naming the file, and the line or field, when a file cannot be
     *                                  read or a field has an unexpected type
     */
    public static TokenizerConfig read(Path folder) {
        Path file = folder.resolve("tokenizer_config.json");
        JsonNode root = Files.exists(file) ? parse(file) : new ObjectMapper().createObjectNode();
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object at the top level, got " + root.getNodeType());
        }
        Map<String, String> special = new LinkedHashMap<>();
        for (String name : STANDARD_NAMES) {
            tokenContent(file, name, root.get(name)).ifPresent(content -> special.put(name, content));
        }
        JsonNode extra = root.get("extra_special_tokens");
        if (extra != null && extra.isObject()) { // a list (transformers v5) names nothing
            for (Map.Entry<String, JsonNode> e : extra.properties()) {
                tokenContent(file, "extra_special_tokens." + e.getKey(), e.getValue())
                        .ifPresent(content -> special.put(e.getKey(), content));
            }
        }
        Map<String, String> templates = new LinkedHashMap<>();
        readChatTemplates(file, root.get("chat_template"), templates);
        Path templateSource = file;
        Path jinja = folder.resolve("chat_template.jinja");
        if (Files.exists(jinja)) {
            try {
                templates.put("default", Files.readString(jinja));
                templateSource = jinja;
            } catch (IOException e) {
                throw new IllegalArgumentException(jinja + ": cannot read the chat template: " + e.getMessage(), e);
            }
        }
        return new TokenizerConfig(file, special,
                flag(file, root, "add_bos_token"), flag(file, root, "add_eos_token"),
                templates, templateSource, modelMaxLength(file, root.get("model_max_length")),
                flag(file, root, "clean_up_tokenization_spaces").orElse(false));
    }

    private static JsonNode parse(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new IllegalArgumentException(file + ": invalid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** A special token written as a string, an AddedToken object {"content": ...}, or null. */
    private static Optional<String> tokenContent(Path file, String field, JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.textValue());
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return Optional.of(node.get("content").textValue());
        }
        throw new IllegalArgumentException(file + ": field '" + field
                + "' must be a string, an AddedToken object {\"content\": ...} or null, got: " + node);
    }

    private static Optional<Boolean> flag(Path file, JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            throw new IllegalArgumentException(file + ": field '" + field + "' must be true or false, got: " + node);
        }
        return Optional.of(node.booleanValue());
    }

    /** chat_template: a string, or a list of {"name", "template"} objects. */
    private static void readChatTemplates(Path file, JsonNode node, Map<String, String> out) {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isTextual()) {
            out.put("default", node.textValue());
            return;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(file + ": field 'chat_template' must be a string or a list of"
                    + " {\"name\", \"template\"} objects, got " + node.getNodeType());
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode entry = node.get(i);
            if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                throw new IllegalArgumentException(file + ": chat_template[" + i
                        + "] must be an object with string fields 'name' and 'template'");
            }
            out.put(entry.get("name").textValue(), entry.get("template").textValue());
        }
    }

    private static OptionalLong modelMaxLength(Path file, JsonNode node) {
        if (node == null || node.isNull()) {
            return OptionalLong.empty();
        }
        // int(1e30) marks "no limit"; any value beyond a long is treated the same.
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? OptionalLong.of(node.longValue()) : OptionalLong.empty();
        }
        if (node.isFloatingPointNumber()) {
            double v = node.doubleValue();
            return v < 0x1p63 ? OptionalLong.of((long) v) : OptionalLong.empty();
        }
        throw new IllegalArgumentException(file + ": field 'model_max_length' must be a number, got: " + node);
    }
}
