package dev.align4j.io.chat;

import dev.align4j.io.tokenizer.Tokenizer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (the Jinja template of {@code tokenizer_config.json} or
 * {@code chat_template.jinja}), rendering a conversation to the exact text transformers'
 * {@code apply_chat_template(messages, tools=..., add_generation_prompt=..., tokenize=False,
 * **template_kwargs)} returns.
 *
 * <p>Not a tokenizer, not a dataset formatter, and not a way to run code: the template runs in the
 * sandbox of {@link JinjaSandbox}, within {@link Limits}. Template data is copied into plain maps,
 * lists, strings, numbers, booleans and nulls, so no Java object reaches the template.
 *
 * <p>Based on transformers' {@code apply_chat_template} and {@code render_jinja_template}
 * (utils/chat_template_utils.py): the template sees {@code messages}, {@code tools} (None when
 * absent), {@code documents} (None), {@code add_generation_prompt}, every named special token of
 * the config as a plain string (unset ones are undefined), then the template kwargs (for example
 * Qwen3's {@code enable_thinking}). With {@code tokenize=True}, transformers encodes the rendered
 * text with {@code add_special_tokens=False}, since the template writes BOS itself:
 * {@link #tokenizeRendered}.
 *
 * <p>Known differences from Jinja2, from Jinjava: None and undefined are the same Java null, so
 * {@code x is defined} is false when x is None, {@code none|default(y)} gives y, and printing
 * None gives "" (None inside a printed list or dict is written {@code None}); {@code and} gives a
 * boolean where Python gives an operand ({@code or} gives the operand), which matters only when
 * printed; {@code %} on negative numbers follows Java; an attribute of an undefined value is
 * undefined rather than an error; {@code loop.cycle} and Python methods other than those of
 * {@link PyMethods} are refused with a message.
 */
public final class ChatTemplate {
    /**
     * Bounds on one render, so that an untrusted template cannot run away.
     *
     * @param maxOutputChars    longest output, and longest string built on the way
     * @param maxSteps          rendered nodes plus loop iterations
     * @param maxCollectionSize largest list, dict or {@code range()}
     */
    public record Limits(long maxOutputChars, long maxSteps, int maxCollectionSize) {
        /** 10 M characters, 1 M steps, 100 k items: far above any real conversation, still quick to hit. */
        public static final Limits DEFAULT = new Limits(10_000_000, 1_000_000, 100_000);

        public Limits {
            if (maxOutputChars <= 0 || maxSteps <= 0 || maxCollectionSize <= 0) {
                throw new IllegalArgumentException("ChatTemplate.Limits must be positive, got " + this);
            }
        }
    }

    private final String source;
    private final String rewritten;
    private final Path origin;
    private final Map<String, String> specialTokens;
    private final JinjaSandbox sandbox;

    private ChatTemplate(String source, Path origin, Map<String, String> specialTokens, Limits limits) {
        this.source = source;
        this.origin = origin;
        this.specialTokens = Map.copyOf(specialTokens);
        this.sandbox = new JinjaSandbox(limits);
        JinjaSource.Prepared prepared;
        try {
            prepared = JinjaSource.prepare(source);
        } catch (IllegalArgumentException e) {
            throw new ChatTemplateException(origin, -1, "chat template syntax error", e.getMessage(), e);
        }
        sandbox.checkNames(prepared.uses(), origin);
        this.rewritten = prepared.source();
    }

    /**
     * The default chat template of a tokenizer folder, with its special tokens.
     *
     * @throws IllegalArgumentException when the folder has no chat template
     */
    public static ChatTemplate of(Tokenizer tokenizer) {
        var config = tokenizer.config();
        String template = config.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
                config.source() + " has no chat_template (and the folder no chat_template.jinja): this is a base"
                        + " model's tokenizer; use a chat model's folder or format the text yourself"));
        return of(template, config.chatTemplateSource(), tokenizer.specialTokens(), Limits.DEFAULT);
    }

    /**
     * A template from its source.
     *
     * @param origin        where it comes from, for error messages
     * @param specialTokens the named special tokens the template sees as variables ({@code bos_token}...)
     */
    public static ChatTemplate of(String source, Path origin, Map<String, String> specialTokens, Limits limits) {
        return new ChatTemplate(source, origin, specialTokens, limits);
    }

    /** Renders a conversation without tools or extra variables. */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return render(messages, null, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation as {@code apply_chat_template(..., tokenize=False)} does.
     *
     * @param messages            the conversation: maps with "role", "content" and whatever else the
     *                            template reads ("tool_calls", "reasoning_content"...)
     * @param tools               tool definitions (JSON schemas as maps), or null for none
     * @param addGenerationPrompt whether to end with the header of an assistant turn
     * @param templateKwargs      extra variables, for example {@code enable_thinking}
     * @throws ChatTemplateException    when rendering fails (message names the file and line)
     * @throws IllegalArgumentException when the data holds something other than maps, lists,
     *                                  strings, numbers, booleans and nulls
     */
    public String render(List<? extends Map<String, ?>> messages, List<? extends Map<String, ?>> tools,
                         boolean addGenerationPrompt, Map<String, ?> templateKwargs) {
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", plain(messages, "messages"));
        variables.put("tools", tools == null ? null : plain(tools, "tools"));
        variables.put("documents", null);
        variables.put("add_generation_prompt", addGenerationPrompt);
        variables.putAll(specialTokens);
        templateKwargs.forEach((name, value) -> variables.put(name, plain(value, name)));
        return sandbox.render(rewritten, variables, origin);
    }

    /**
     * The ids of a rendered conversation, as {@code apply_chat_template(..., tokenize=True)} computes
     * them: the text encoded without the post-processor's special tokens (the template wrote them).
     */
    public static int[] tokenizeRendered(Tokenizer tokenizer, String rendered) {
        return tokenizer.encode(rendered, false);
    }

    /** The template as written. */
    public String source() {
        return source;
    }

    /** The file the template came from. */
    public Path origin() {
        return origin;
    }

    /** A copy made of maps, lists, strings, longs, doubles, booleans and nulls only. */
    private static Object plain(Object value, String path) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Integer i -> i.longValue();
            case Long l -> l;
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case BigInteger i -> i.bitLength() < 64 ? (Object) i.longValue() : i;
            case Double d -> d;
            case Float f -> f.doubleValue();
            case BigDecimal d -> d.doubleValue();
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException(path + ": chat template dict keys must be strings, got "
                                + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
                    }
                    copy.put(key, plain(e.getValue(), path + "." + key));
                }
                yield copy;
            }
            case List<?> l -> {
                List<Object> copy = new ArrayList<>(l.size());
                for (int i = 0; i < l.size(); i++) {
                    copy.add(plain(l.get(i), path + "[" + i + "]"));
                }
                yield copy;
            }
            default -> throw new IllegalArgumentException(path + ": a " + value.getClass().getName()
                    + " cannot be passed to a chat template; use maps, lists, strings, numbers, booleans or null");
        };
    }
}
