package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Completion;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.io.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The JSON bodies of one response: the whole object of a non-streaming answer, or the chunks of a
 * streaming one, all with the same {@code id}, {@code created} and {@code model}.
 *
 * <p>Based on OpenAI's API reference: {@code chat.completion} with {@code choices[].message}, its
 * {@code chat.completion.chunk} stream (a first chunk per choice with {@code delta.role}, then
 * {@code delta.content} pieces, then an empty delta with {@code finish_reason}; with
 * {@code stream_options.include_usage}, {@code "usage": null} on every chunk and a last chunk with
 * empty {@code choices} and the usage); {@code text_completion} with {@code choices[].text} for both.
 * Log-probs are vLLM v1's default ({@code logprobs_mode=raw_logprobs}): each generated token's
 * log-prob under the raw model, before temperature, penalties and top-k/top-p; a token is shown as
 * its own decoded text (special tokens kept), {@code bytes} its UTF-8. Chat log-probs are
 * {@code {"content": [{"token", "logprob", "bytes", "top_logprobs": []}]}}; completions log-probs
 * are {@code {"tokens", "token_logprobs", "top_logprobs", "text_offset"}}, the top list holding the
 * sampled token alone (as vLLM with {@code logprobs: 0}). When streaming, a choice's log-probs come
 * whole in its last chunk (the one with {@code finish_reason}): the engine reports them with the
 * finished completion. What it is not: a writer (see {@link OpenAiServer}).
 */
final class OpenAiResponses {
    private final CompletionRequest request;
    private final Tokenizer tokenizer;
    private final String id, model;
    private final long created = System.currentTimeMillis() / 1000;

    OpenAiResponses(CompletionRequest request, String model, Tokenizer tokenizer) {
        this.request = request;
        this.model = model;
        this.tokenizer = tokenizer;
        this.id = request.endpoint().idPrefix + UUID.randomUUID().toString().replace("-", "");
    }

    private boolean chat() {
        return request.endpoint() == CompletionRequest.Endpoint.CHAT;
    }

    /** The non-streaming answer; {@code completions[choice]}. */
    ObjectNode response(TextCompletion[] completions) {
        ObjectNode root = head(request.endpoint().object);
        ArrayNode choices = root.putArray("choices");
        for (int i = 0; i < completions.length; i++) {
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            if (chat()) {
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                message.put("content", completions[i].text());
            } else {
                choice.put("text", completions[i].text());
            }
            putLogprobs(choice, completions[i]);
            choice.put("finish_reason", completions[i].finishReason());
        }
        root.set("usage", usage(completions));
        return root;
    }

    /** Chat's first chunk of a choice: the assistant role. */
    ObjectNode roleChunk(int choice) {
        ObjectNode chunk = chunk(choice);
        ObjectNode delta = choiceOf(chunk).putObject("delta");
        delta.put("role", "assistant");
        delta.put("content", "");
        return chunk;
    }

    /** A piece of a choice's text. */
    ObjectNode textChunk(int choice, String text) {
        ObjectNode chunk = chunk(choice);
        ObjectNode c = choiceOf(chunk);
        if (chat()) c.putObject("delta").put("content", text);
        else c.put("text", text);
        return chunk;
    }

    /** A choice's last chunk: no new text, its finish reason and, when asked, its log-probs. */
    ObjectNode finalChunk(int choice, TextCompletion completion) {
        ObjectNode chunk = chunk(choice);
        ObjectNode c = choiceOf(chunk);
        if (chat()) c.putObject("delta");
        else c.put("text", "");
        putLogprobs(c, completion);
        c.put("finish_reason", completion.finishReason());
        return chunk;
    }

    /** The last chunk with {@code stream_options.include_usage}: no choices, the usage. */
    ObjectNode usageChunk(TextCompletion[] completions) {
        ObjectNode chunk = head(chat() ? "chat.completion.chunk" : "text_completion");
        chunk.putArray("choices");
        chunk.set("usage", usage(completions));
        return chunk;
    }

    private ObjectNode chunk(int choice) {
        ObjectNode chunk = head(chat() ? "chat.completion.chunk" : "text_completion");
        ObjectNode c = chunk.putArray("choices").addObject();
        c.put("index", choice);
        c.putNull("logprobs");
        c.putNull("finish_reason");
        if (request.includeUsage()) chunk.putNull("usage");
        return chunk;
    }

    private static ObjectNode choiceOf(ObjectNode chunk) {
        return (ObjectNode) chunk.get("choices").get(0);
    }

    private ObjectNode head(String object) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    private ObjectNode usage(TextCompletion[] completions) {
        int prompt = 0, generated = 0;
        for (CompletionRequest.Prompt p : request.prompts()) prompt += p.ids().length;
        for (TextCompletion c : completions) generated += c.completion().tokenIds().length;
        ObjectNode usage = Json.MAPPER.createObjectNode();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", generated);
        usage.put("total_tokens", prompt + generated);
        return usage;
    }

    private void putLogprobs(ObjectNode choice, TextCompletion completion) {
        if (!request.logprobs()) {
            choice.putNull("logprobs");
            return;
        }
        Completion c = completion.completion();
        int[] ids = c.tokenIds();
        float[] logprobs = c.rawLogprobs();
        ObjectNode out = choice.putObject("logprobs");
        if (chat()) {
            ArrayNode content = out.putArray("content");
            for (int t = 0; t < ids.length; t++) {
                String token = tokenizer.decode(new int[] {ids[t]}, false);
                ObjectNode entry = content.addObject();
                entry.put("token", token);
                entry.put("logprob", logprobs[t]);
                ArrayNode bytes = entry.putArray("bytes");
                for (byte b : token.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
                entry.putArray("top_logprobs");
            }
        } else {
            ArrayNode tokens = out.putArray("tokens"), values = out.putArray("token_logprobs");
            ArrayNode top = out.putArray("top_logprobs"), offsets = out.putArray("text_offset");
            int offset = 0;
            for (int t = 0; t < ids.length; t++) {
                String token = tokenizer.decode(new int[] {ids[t]}, false);
                tokens.add(token);
                values.add(logprobs[t]);
                top.addObject().put(token, logprobs[t]);
                offsets.add(offset);
                offset += token.length();
            }
        }
    }
}
