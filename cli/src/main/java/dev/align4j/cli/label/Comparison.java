package dev.align4j.cli.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One item to label: a prompt and two completions of it, under the id that ties the item to its
 * label across restarts.
 *
 * <p>What it is not: a preference. Which completion is better is what the person labelling says;
 * until then the two are only "a" and "b", in the order the input gave them.
 *
 * @param id          the id as a key: the input's {@code id} as text, or the 1-based line number
 * @param idJson      the id as the output writes it: the input's own value (string or number), or the line number as a string
 * @param line        the 1-based line of the input it came from, for messages
 * @param prompt      the prompt
 * @param completionA the first completion ({@code completion_a}, {@code chosen} or {@code completions[0]})
 * @param completionB the second completion ({@code completion_b}, {@code rejected} or {@code completions[1]})
 * @param carried     the input's other columns, copied into every output row of this item
 */
public record Comparison(String id, JsonNode idJson, int line, String prompt, String completionA, String completionB, ObjectNode carried) {}
