package dev.align4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.FatalTemplateErrorsException;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.align4j.io.JsonLines;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * A task's Jinja template ({@code doc_to_text}, {@code doc_to_target}), rendered with a row's columns
 * as lm-evaluation-harness renders its YAML templates. A name the row does not have is an error
 * (Jinjava's fail-on-unknown-tokens), so a missing column is caught at load time, on the row
 * that lacks it, rather than rendered as an empty string.
 */
final class Template {
    private static final Jinjava JINJA = new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(true).build());

    private final String key;
    private final String source;

    /**
     * @param key    the config key the template came from, for messages
     * @param source the Jinja source
     */
    Template(String key, String source) {
        this.key = key;
        this.source = source;
    }

    /** The template rendered with the row's columns; an error naming the row's file, line and the key otherwise. */
    String render(JsonLines.Line row) {
        Map<String, Object> columns = JsonLines.MAPPER.convertValue(row.json(), Map.class);
        try {
            return JINJA.render(source, columns);
        } catch (FatalTemplateErrorsException e) {
            String why = e.getErrors() == null ? e.getMessage() : java.util.stream.StreamSupport.stream(e.getErrors().spliterator(), false)
                    .map(TemplateError::getMessage).collect(Collectors.joining("; "));
            throw new IllegalArgumentException(row.file() + ", line " + row.number() + ": " + key + " \"" + source.replace("\n", "\\n")
                    + "\" cannot be rendered: " + why + " (the row's columns: " + fields(row.json()) + ")");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(row.file() + ", line " + row.number() + ": " + key + " cannot be rendered: " + e.getMessage(), e);
        }
    }

    private static String fields(ObjectNode json) {
        java.util.List<String> names = new java.util.ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names.toString();
    }
}
