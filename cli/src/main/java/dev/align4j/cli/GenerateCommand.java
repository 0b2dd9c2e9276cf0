package dev.align4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextListener;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.LoadOptions;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code align4j generate}: completions of prompts from a model folder, as JSON lines.
 *
 * <p>Prompts come from {@code --prompt} or from an {@code --input} JSONL file whose lines are
 * {@code {"prompt": "..."}} (encoded as {@code tokenizer(prompt)}, BOS included; with {@code --chat},
 * rendered as one user message through the chat template), {@code {"prompt_ids": [...]}} (used as
 * given) or {@code {"messages": [...]}} (the chat template with the generation prompt). Every prompt
 * goes to one {@link Generator}, which batches them continuously. Each output line is
 * {@code {"prompt", "prompt_ids", "completions": [{"text", "token_ids", "logprobs", "raw_logprobs",
 * "finish_reason"}]}} in input order: {@code logprobs} under the distribution sampled from,
 * {@code raw_logprobs} under the unprocessed model. The output file is written whole or not at all.
 * A prompt longer than the context is an error naming its line, unless
 * {@code --truncate-prompt-tokens} keeps its last tokens.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate completions of prompts (--prompt or --input JSONL) with a model folder; JSON lines out.")
public final class GenerateCommand implements java.util.concurrent.Callable<Integer> {

    @Mixin
    SamplingFlags sampling;

    @Spec
    CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--prompt", description = "One prompt.")
        String prompt;

        @Option(names = "--input", description = "JSONL: {\"prompt\": ...}, {\"prompt_ids\": [...]} or {\"messages\": [...]} per line.")
        Path input;
    }

    @Option(names = "--chat", description = "Render plain prompts as a user message through the chat template.")
    boolean chat;

    @Option(names = "--n", defaultValue = "1", description = "Completions per prompt, sharing its prefill (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--truncate-prompt-tokens", description = "Keep only the last K tokens of a longer prompt (left truncation).")
    Integer truncatePromptTokens;

    @Option(names = "--output", description = "Output JSONL file (default: standard output).")
    Path output;

    /** One prompt as given and as token ids. */
    private record Prompt(JsonNode given, int[] ids) {}

    @Override
    public Integer call() throws Exception {
        try (TextModel model = TextModel.load(sampling.model, LoadOptions.defaults(), sampling.adapter)) {
            SamplingParams params = sampling.params(model, n);
            List<Prompt> prompts = new ArrayList<>();
            if (source.prompt != null) {
                prompts.add(prompt(model, JsonLines.MAPPER.getNodeFactory().textNode(source.prompt), "--prompt"));
            } else {
                JsonLines.forEach(source.input, line -> prompts.add(prompt(model, line)));
            }
            Generator generator = new Generator(model.model(), sampling.maxNumSeqs);
            List<TextCompletion[]> results = new ArrayList<>();
            for (int p = 0; p < prompts.size(); p++) {
                int[] ids = prompts.get(p).ids;
                String where = source.prompt != null ? "--prompt" : source.input + ", prompt " + (p + 1);
                try {
                    generator.check(where, new Request(ids, params));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(e.getMessage() + (truncatePromptTokens == null
                            ? " (or pass --truncate-prompt-tokens)" : ""), e);
                }
                TextCompletion[] done = new TextCompletion[params.n()];
                results.add(done);
                generator.submit(new Request(ids, params), new TextListener(model.tokenizer(), ids, params.n(), sampling.stop,
                        (TextListener.Sink) (index, completion) -> done[index] = completion));
            }
            while (generator.hasWork()) generator.step();
            write(prompts, results);
            spec.commandLine().getErr().println("generate: " + prompts.size() + " prompts × " + params.n() + " completions"
                    + (output != null ? " → " + output : ""));
        }
        return 0;
    }

    private Prompt prompt(TextModel model, JsonLines.Line line) {
        ObjectNode json = line.json();
        if (json.has("prompt_ids")) {
            JsonNode node = json.get("prompt_ids");
            if (!node.isArray() || node.isEmpty()) throw line.error("prompt_ids", "must be a non-empty array of token ids");
            int[] ids = new int[node.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode v = node.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToInt()) throw line.error("prompt_ids", "item " + i + " is " + v + ", not a token id");
                ids[i] = v.asInt();
            }
            return new Prompt(node, truncate(ids));
        }
        if (json.has("messages")) {
            JsonNode node = json.get("messages");
            if (!node.isArray()) throw line.error("messages", "must be an array of {\"role\", \"content\"} objects");
            List<Map<String, Object>> messages = JsonLines.MAPPER.convertValue(node, new TypeReference<>() {});
            try {
                return new Prompt(node, truncate(model.encodeChat(messages)));
            } catch (IllegalArgumentException e) {
                throw line.error("messages", e.getMessage());
            }
        }
        JsonNode text = json.get("prompt");
        if (text == null || !text.isTextual()) throw line.error("prompt", "is missing: give \"prompt\", \"prompt_ids\" or \"messages\"");
        return prompt(model, text, line.file() + ", line " + line.number());
    }

    private Prompt prompt(TextModel model, JsonNode text, String where) {
        int[] ids = chat ? model.encodeChat(List.of(Map.of("role", "user", "content", text.asText()))) : model.encode(text.asText());
        if (ids.length == 0) throw new IllegalArgumentException(where + ": the prompt encodes to no tokens");
        return new Prompt(text, truncate(ids));
    }

    private int[] truncate(int[] ids) {
        return truncatePromptTokens == null ? ids : TextModel.keepLast(ids, truncatePromptTokens);
    }

    private void write(List<Prompt> prompts, List<TextCompletion[]> results) throws java.io.IOException {
        List<ObjectNode> lines = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            ObjectNode line = JsonLines.MAPPER.createObjectNode();
            line.set("prompt", prompts.get(p).given);
            ArrayNode ids = line.putArray("prompt_ids");
            for (int id : prompts.get(p).ids) ids.add(id);
            ArrayNode completions = line.putArray("completions");
            for (TextCompletion c : results.get(p)) {
                Completion tokens = c.completion();
                ObjectNode o = completions.addObject();
                o.put("text", c.text());
                ArrayNode t = o.putArray("token_ids");
                for (int id : tokens.tokenIds()) t.add(id);
                ArrayNode lp = o.putArray("logprobs");
                for (float v : tokens.logprobs()) lp.add(v);
                ArrayNode raw = o.putArray("raw_logprobs");
                for (float v : tokens.rawLogprobs()) raw.add(v);
                o.put("finish_reason", c.finishReason());
            }
            lines.add(line);
        }
        if (output != null) {
            try (JsonLines.Writer out = new JsonLines.Writer(output)) {
                for (ObjectNode line : lines) out.write(line);
                out.commit();
            }
        } else {
            PrintWriter out = spec.commandLine().getOut();
            for (ObjectNode line : lines) out.println(JsonLines.MAPPER.writeValueAsString(line));
            out.flush();
        }
    }
}
