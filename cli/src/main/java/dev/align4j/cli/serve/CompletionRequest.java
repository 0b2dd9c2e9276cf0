package dev.align4j.cli.serve;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.SamplingOptions;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.chat.ChatTemplate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An OpenAI {@code /v1/chat/completions} or {@code /v1/completions} request, parsed, checked and
 * turned into what the engine runs: prompt token ids and {@link SamplingParams} per prompt.
 *
 * <p>Based on OpenAI's API reference and, where OpenAI is silent, on vLLM's OpenAI server
 * ({@code vllm/entrypoints/openai/protocol.py}, {@code serving_engine._validate_input}): the vLLM
 * extras {@code top_k} (-1 is off), {@code min_p}, {@code repetition_penalty},
 * {@code truncate_prompt_tokens} (keep the last k prompt tokens), {@code stop_token_ids},
 * {@code ignore_eos} and {@code chat_template_kwargs}; an absent {@code max_tokens} is the rest of
 * the context (or the generation config's {@code max_new_tokens}, whichever is smaller); a prompt
 * that fills the context, or a prompt plus {@code max_tokens} beyond it, is a 400 in vLLM's words.
 * Chat messages are rendered with the model's chat template and the generation prompt; content may
 * be a string or a list of text parts (joined with newlines, as vLLM does). A completions prompt may
 * be a string, a list of strings, a list of token ids or a list of lists of token ids; each is its
 * own engine request, its choices numbered {@code prompt × n + i}.
 *
 * <p>What it is not: lenient about what it cannot do. Unknown fields are ignored (clients send
 * many), but a known field that would change the result and is not supported — penalties, logit
 * bias, tools, response formats, top log-prob alternatives, echo, suffix, best_of, beam search,
 * min_tokens... — is a 400 naming it unless it holds its neutral value; a known field of the wrong
 * type is a 400 naming it.
 *
 * @param endpoint     which API
 * @param prompts      one or more prompts, each with its resolved sampling parameters
 * @param stops        stop strings (cut from the text, finish "stop")
 * @param stream       answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage
 * @param logprobs     report each generated token's log-prob
 */
record CompletionRequest(Endpoint endpoint, List<Prompt> prompts, List<String> stops, boolean stream, boolean includeUsage,
                         boolean logprobs) {

    /** The two generation endpoints, with their response object names and id prefixes. */
    enum Endpoint {
        CHAT("chat.completion", "chatcmpl-"),
        COMPLETIONS("text_completion", "cmpl-");

        final String object, idPrefix;

        Endpoint(String object, String idPrefix) {
            this.object = object;
            this.idPrefix = idPrefix;
        }
    }

    /** One prompt and how to complete it. */
    record Prompt(int[] ids, SamplingParams params) {}

    /** Completions per prompt (the same for every prompt). */
    int n() {
        return prompts.getFirst().params().n();
    }

    /** Choices in the response: prompts × n. */
    int choices() {
        return prompts.size() * n();
    }

    /** Fields that change the result and are unsupported, with their neutral values (null: absent, empty or null only). */
    private static final Map<String, Object> NEUTRAL = neutral();

    private static Map<String, Object> neutral() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("frequency_penalty", 0.0);
        m.put("presence_penalty", 0.0);
        m.put("logit_bias", null);
        m.put("tools", null);
        m.put("functions", null);
        m.put("min_tokens", 0.0);
        m.put("use_beam_search", false);
        m.put("include_stop_str_in_output", false);
        m.put("skip_special_tokens", true);
        m.put("spaces_between_special_tokens", true);
        m.put("prompt_logprobs", null);
        m.put("allowed_token_ids", null);
        m.put("bad_words", null);
        m.put("guided_json", null);
        m.put("guided_regex", null);
        m.put("guided_choice", null);
        m.put("guided_grammar", null);
        m.put("structured_outputs", null);
        m.put("logits_processors", null);
        m.put("return_tokens_as_token_ids", false);
        return m;
    }

    /**
     * Parses a request body for {@code endpoint}.
     *
     * @throws ApiError 400 for anything malformed or out of range, 404 for another model's name
     */
    static CompletionRequest parse(Endpoint endpoint, byte[] body, TextModel text, String servedName) {
        ObjectNode o = Json.object(body);
        String model = Json.string(o, "model");
        if (model != null && !model.equals(servedName)) throw ApiError.modelNotFound(model, servedName);
        rejectUnsupported(o, endpoint);

        List<int[]> prompts = endpoint == Endpoint.CHAT ? List.of(chatPrompt(o, text)) : completionPrompts(o, text);
        Integer truncate = Json.integer(o, "truncate_prompt_tokens");
        if (truncate != null) {
            if (truncate < 1) throw ApiError.badRequest("'truncate_prompt_tokens' must be at least 1 (keep the last k prompt tokens), got " + truncate, "truncate_prompt_tokens");
            prompts = prompts.stream().map(p -> TextModel.keepLast(p, truncate)).toList();
        }

        SamplingOptions options = new SamplingOptions();
        options.n = Json.integer(o, "n");
        options.temperature = Json.number(o, "temperature");
        options.topP = Json.number(o, "top_p");
        Integer topK = Json.integer(o, "top_k");
        options.topK = topK != null && topK == -1 ? Integer.valueOf(0) : topK;
        options.minP = Json.number(o, "min_p");
        options.repetitionPenalty = Json.number(o, "repetition_penalty");
        options.seed = seed(o);
        String maxField = endpoint == Endpoint.CHAT && Json.field(o, "max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
        Integer maxTokens = Json.integer(o, maxField);
        if (maxTokens != null && maxTokens < 1) throw ApiError.badRequest("'" + maxField + "' must be at least 1, got " + maxTokens, maxField);

        List<String> stops = Json.strings(o, "stop");
        if (stops.stream().anyMatch(String::isEmpty)) throw ApiError.badRequest("'stop' strings must be non-empty", "stop");
        int[] stopIds = stopTokenIds(o, text);

        boolean stream = Boolean.TRUE.equals(Json.bool(o, "stream"));
        boolean includeUsage = includeUsage(o, stream);
        boolean logprobs = endpoint == Endpoint.CHAT ? chatLogprobs(o) : completionLogprobs(o);

        int context = text.model().contextLength();
        String promptField = endpoint == Endpoint.CHAT ? "messages" : "prompt";
        List<Prompt> out = new ArrayList<>();
        for (int[] ids : prompts) {
            if (ids.length >= context) {
                throw ApiError.badRequest("This model's maximum context length is " + context + " tokens. However, your request has "
                        + ids.length + " input tokens. Please reduce the length of the input (or set truncate_prompt_tokens).", promptField);
            }
            int rest = context - ids.length;
            if (maxTokens != null && maxTokens > rest) {
                throw ApiError.badRequest("'" + maxField + "' is too large: " + maxTokens + ". This model's maximum context length is "
                        + context + " tokens and your request has " + ids.length + " input tokens (" + maxTokens + " > " + context
                        + " - " + ids.length + ").", maxField);
            }
            options.maxNewTokens = maxTokens != null ? maxTokens : Math.min(rest, text.generation().maxNewTokens().orElse(rest));
            out.add(new Prompt(ids, resolve(options, text, rest, stopIds)));
        }
        return new CompletionRequest(endpoint, List.copyOf(out), List.copyOf(stops), stream, includeUsage, logprobs);
    }

    private static void rejectUnsupported(ObjectNode o, Endpoint endpoint) {
        for (var e : NEUTRAL.entrySet()) {
            JsonNode v = Json.field(o, e.getKey());
            if (v != null && !isNeutral(v, e.getValue())) {
                throw ApiError.badRequest("'" + e.getKey() + "' is not supported by this server (got " + v + "); leave it out", e.getKey());
            }
        }
        JsonNode format = Json.field(o, "response_format");
        if (format != null && !(format.isObject() && "text".equals(format.path("type").asText()))) {
            throw ApiError.badRequest("'response_format' other than {\"type\": \"text\"} is not supported by this server", "response_format");
        }
        if (endpoint == Endpoint.CHAT) {
            for (String f : List.of("echo", "continue_final_message")) {
                if (Boolean.TRUE.equals(Json.bool(o, f))) throw ApiError.badRequest("'" + f + "' is not supported by this server", f);
            }
            if (Boolean.FALSE.equals(Json.bool(o, "add_generation_prompt"))) {
                throw ApiError.badRequest("'add_generation_prompt' false is not supported by this server", "add_generation_prompt");
            }
        } else {
            if (Boolean.TRUE.equals(Json.bool(o, "echo"))) {
                throw ApiError.badRequest("'echo' is not supported by this server (the prompt is not repeated, nor scored)", "echo");
            }
            if (Json.string(o, "suffix") != null) throw ApiError.badRequest("'suffix' is not supported by this server", "suffix");
            Integer bestOf = Json.integer(o, "best_of");
            Integer n = Json.integer(o, "n");
            if (bestOf != null && bestOf != (n == null ? 1 : n)) {
                throw ApiError.badRequest("'best_of' other than n is not supported by this server, got " + bestOf, "best_of");
            }
        }
    }

    private static boolean isNeutral(JsonNode v, Object neutral) {
        return switch (neutral) {
            case null -> v.isContainerNode() && v.isEmpty();
            case Double d -> v.isNumber() && v.doubleValue() == d;
            case Boolean b -> v.isBoolean() && v.booleanValue() == b;
            default -> throw new IllegalStateException("neutral value " + neutral);
        };
    }

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    /** The conversation rendered with the chat template and the generation prompt, as token ids. */
    private static int[] chatPrompt(ObjectNode o, TextModel text) {
        JsonNode messages = Json.field(o, "messages");
        if (messages == null) throw ApiError.badRequest("'messages' is required: a list of {\"role\", \"content\"} objects", "messages");
        if (!messages.isArray()) throw Json.wrongType("messages", "an array of message objects", messages);
        if (messages.isEmpty()) throw ApiError.badRequest("'messages' must not be empty", "messages");
        List<Map<String, Object>> conversation = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw Json.wrongType(where, "an object with \"role\" and \"content\"", m);
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw ApiError.badRequest("'" + where + ".role' must be a string", "messages");
            Map<String, Object> message = Json.MAPPER.convertValue(m, MAP);
            message.put("content", content(m.get("content"), where));
            conversation.add(message);
        }
        JsonNode kwargsNode = Json.field(o, "chat_template_kwargs");
        if (kwargsNode != null && !kwargsNode.isObject()) throw Json.wrongType("chat_template_kwargs", "an object", kwargsNode);
        Map<String, Object> kwargs = kwargsNode == null ? Map.of() : Json.MAPPER.convertValue(kwargsNode, MAP);
        ChatTemplate template = text.template().orElseThrow(() -> ApiError.badRequest("The model '" + text.name()
                + "' has no chat template (its tokenizer_config.json has no chat_template); use /v1/completions with a plain prompt", "messages"));
        int[] ids;
        try {
            ids = ChatTemplate.tokenizeRendered(text.tokenizer(), template.render(conversation, null, true, kwargs));
        } catch (IllegalArgumentException e) { // the template raised, or a value is not plain data
            throw ApiError.badRequest("The chat template cannot render these messages: " + e.getMessage(), "messages");
        }
        if (ids.length == 0) throw ApiError.badRequest("The messages render to no tokens", "messages");
        return ids;
    }

    /** A message's content: a string, null, or a list of text parts joined with newlines. */
    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) return null;
        if (c.isTextual()) return c.textValue();
        if (!c.isArray()) throw Json.wrongType(where + ".content", "a string or an array of text parts", c);
        List<String> parts = new ArrayList<>();
        for (int j = 0; j < c.size(); j++) {
            JsonNode part = c.get(j);
            if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                throw ApiError.badRequest("'" + where + ".content[" + j + "]' must be {\"type\": \"text\", \"text\": \"...\"}; "
                        + "only text content is supported", "messages");
            }
            parts.add(part.get("text").textValue());
        }
        return String.join("\n", parts);
    }

    /** A completions prompt: a string, a list of strings, a list of ids, or a list of lists of ids. */
    private static List<int[]> completionPrompts(ObjectNode o, TextModel text) {
        JsonNode p = Json.field(o, "prompt");
        if (p == null) throw ApiError.badRequest("'prompt' is required: a string, a list of strings, or token ids", "prompt");
        List<int[]> out = new ArrayList<>();
        if (p.isTextual()) {
            out.add(text.encode(p.textValue()));
        } else if (p.isArray() && !p.isEmpty() && p.get(0).isTextual()) {
            for (int i = 0; i < p.size(); i++) {
                if (!p.get(i).isTextual()) throw Json.wrongType("prompt[" + i + "]", "a string like the first item", p.get(i));
                out.add(text.encode(p.get(i).textValue()));
            }
        } else if (p.isArray() && !p.isEmpty() && p.get(0).isArray()) {
            for (int i = 0; i < p.size(); i++) out.add(ids(p.get(i), "prompt[" + i + "]", text));
        } else if (p.isArray() && !p.isEmpty()) {
            out.add(ids(p, "prompt", text));
        } else {
            throw Json.wrongType("prompt", "a string, a non-empty list of strings, or token ids", p);
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).length == 0) throw ApiError.badRequest("prompt " + i + " encodes to no tokens; give some text", "prompt");
        }
        return out;
    }

    private static int[] ids(JsonNode list, String where, TextModel text) {
        if (!list.isArray() || list.isEmpty()) throw Json.wrongType(where, "a non-empty list of token ids", list);
        int vocab = text.model().vocabSize();
        int[] ids = new int[list.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = Json.toInt(list.get(i), "prompt", "'" + where + "[" + i + "]'");
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw ApiError.badRequest("'" + where + "[" + i + "]' is " + ids[i] + ", not a token id in [0, " + vocab + ")", "prompt");
            }
        }
        return ids;
    }

    private static Long seed(ObjectNode o) {
        JsonNode v = Json.field(o, "seed");
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw Json.wrongType("seed", "a 64-bit integer", v);
        return v.longValue();
    }

    /** The model's eos ids (unless {@code ignore_eos}) and the request's {@code stop_token_ids}. */
    private static int[] stopTokenIds(ObjectNode o, TextModel text) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (!Boolean.TRUE.equals(Json.bool(o, "ignore_eos"))) for (int id : text.stopTokenIds()) ids.add(id);
        for (int id : Json.integers(o, "stop_token_ids")) {
            if (id < 0 || id >= text.model().vocabSize()) {
                throw ApiError.badRequest("'stop_token_ids' holds " + id + ", not a token id in [0, " + text.model().vocabSize() + ")", "stop_token_ids");
            }
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean includeUsage(ObjectNode o, boolean stream) {
        JsonNode options = Json.field(o, "stream_options");
        if (options == null) return false;
        if (!stream) throw ApiError.badRequest("'stream_options' can only be given when 'stream' is true", "stream_options");
        if (!options.isObject()) throw Json.wrongType("stream_options", "an object", options);
        return Boolean.TRUE.equals(Json.bool((ObjectNode) options, "include_usage"));
    }

    private static boolean chatLogprobs(ObjectNode o) {
        boolean logprobs = Boolean.TRUE.equals(Json.bool(o, "logprobs"));
        Integer top = Json.integer(o, "top_logprobs");
        if (top != null && (top < 0 || top > 20)) throw ApiError.badRequest("'top_logprobs' must be in [0, 20], got " + top, "top_logprobs");
        if (top != null && top > 0) {
            throw ApiError.badRequest("'top_logprobs' above 0 is not supported by this server: it reports the sampled token's "
                    + "log-prob only (logprobs: true)", "top_logprobs");
        }
        return logprobs;
    }

    private static boolean completionLogprobs(ObjectNode o) {
        Integer k = Json.integer(o, "logprobs");
        if (k == null) return false;
        if (k < 0 || k > 20) throw ApiError.badRequest("'logprobs' must be in [0, 20], got " + k, "logprobs");
        if (k > 0) {
            throw ApiError.badRequest("'logprobs' above 0 is not supported by this server: it reports the sampled token's "
                    + "log-prob only (logprobs: 0)", "logprobs");
        }
        return true;
    }

    /** The engine's parameters; an out-of-range value is a 400 naming the API field. */
    private static SamplingParams resolve(SamplingOptions options, TextModel text, int rest, int[] stopIds) {
        try {
            return options.resolve(text.generation(), rest, stopIds);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage().replaceFirst("^SamplingParams: ", "").replace("max_new_tokens", "max_tokens");
            String field = message.split(" ", 2)[0];
            throw ApiError.badRequest(message, FIELDS.contains(field) ? field : null);
        }
    }

    private static final Set<String> FIELDS = Set.of("n", "max_tokens", "temperature", "top_k", "top_p", "min_p", "repetition_penalty");
}
