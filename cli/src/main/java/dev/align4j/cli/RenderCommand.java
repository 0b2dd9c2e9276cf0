package dev.align4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code align4j render}: a model folder's chat template applied to conversations, as transformers'
 * {@code apply_chat_template} gives them — the text ({@code tokenize=False}) and its token ids
 * ({@code tokenize=True}, i.e. the text encoded without adding special tokens). For debugging
 * templates and data.
 */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = "Render conversations with a model's chat template: text and token ids, as transformers' apply_chat_template.")
public final class RenderCommand implements Callable<Integer> {
    private static final TypeReference<List<Map<String, Object>>> LIST_OF_MAPS = new TypeReference<>() {};
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    @Option(names = "--model", required = true, description = "Model or tokenizer folder (tokenizer.json, tokenizer_config.json with chat_template).")
    Path model;

    @Option(names = "--input", required = true,
            description = "JSONL: {\"messages\": [...], \"add_generation_prompt\": bool, \"tools\": [...], \"template_kwargs\": {...}} per line.")
    Path input;

    @Option(names = "--output", required = true, description = "JSONL: {\"rendered\": \"...\", \"input_ids\": [...]} per line.")
    Path output;

    @Override
    public Integer call() throws Exception {
        int lines = 0;
        try (Tokenizer tokenizer = Tokenizer.load(model); JsonLines.Writer out = new JsonLines.Writer(output)) {
            ChatTemplate template = ChatTemplate.of(tokenizer);
            int[] count = {0};
            JsonLines.forEach(input, line -> {
                List<Map<String, Object>> messages = convert(line, "messages", LIST_OF_MAPS);
                JsonNode gen = line.json().get("add_generation_prompt");
                if (gen != null && !gen.isNull() && !gen.isBoolean()) throw line.error("add_generation_prompt", "must be true or false");
                List<Map<String, Object>> tools = line.json().hasNonNull("tools") ? convert(line, "tools", LIST_OF_MAPS) : null;
                Map<String, Object> kwargs = line.json().hasNonNull("template_kwargs") ? convert(line, "template_kwargs", MAP) : Map.of();
                String rendered;
                try {
                    rendered = template.render(messages, tools, gen != null && gen.asBoolean(), kwargs);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(line.file() + ", line " + line.number() + ": " + e.getMessage(), e);
                }
                ObjectNode result = JsonLines.MAPPER.createObjectNode();
                result.put("rendered", rendered);
                var ids = result.putArray("input_ids");
                for (int id : ChatTemplate.tokenizeRendered(tokenizer, rendered)) ids.add(id);
                Cli.unchecked(() -> out.write(result));
                count[0]++;
            });
            out.commit();
            lines = count[0];
        }
        System.err.println("render: " + lines + " conversations → " + output);
        return 0;
    }

    private static <T> T convert(JsonLines.Line line, String field, TypeReference<T> type) {
        JsonNode node = line.require(field);
        try {
            return JsonLines.MAPPER.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            throw line.error(field, "has the wrong shape: " + e.getMessage());
        }
    }
}
