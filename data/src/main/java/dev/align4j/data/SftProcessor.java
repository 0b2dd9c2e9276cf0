package dev.align4j.data;

import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Encoding;
import dev.align4j.io.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a language-modeling or prompt-completion row into an {@link SftExample}: chat template for
 * conversations, EOS for standard text, tokenization, the loss mask, truncation.
 *
 * <p>What it is not: a batcher ({@link Packing}, {@link Batches}), and it never pads. It never
 * looks at the pad token either: masks come from where the completion or assistant turn is in
 * the text, so the EOS or end-of-turn token that ends each completion is always a label target,
 * also when a tokenizer without a pad token gets EOS as its pad (TRL's fallback), the setting in
 * which collators that mask "every pad token" teach a model never to stop.
 *
 * <p>Based on {@code SFTTrainer._prepare_dataset} and {@code DataCollatorForLanguageModeling}
 * (trl/trainer/sft_trainer.py):
 * <ul>
 * <li>standard rows get {@code eos_token} appended to {@code text} (language modeling) or to
 *     {@code completion} unless they already end with it, and are tokenized as
 *     {@code tokenizer(text)} does, with the post-processor's special tokens (BOS for Llama);
 * <li>conversational rows are rendered by the chat template (no EOS appended: the template ends
 *     each turn) and tokenized without special tokens, as {@code apply_chat_template(tokenize=True)};
 *     the prompt of a prompt-completion row is the common prefix of the prompt's render with the
 *     generation prompt and the whole render ({@code apply_chat_template}'s {@code takewhile});
 * <li>{@code completion_only_loss} (default: on for prompt-completion rows) masks the prompt;
 *     {@code assistant_only_loss} (conversational rows only) keeps the assistant turns
 *     ({@link Conversations#assistantSpans}); with both, a token must pass both, as the collator
 *     applies both masks;
 * <li>sequences longer than {@code max_length} are truncated ({@code truncation_mode}).
 * </ul>
 * Deviation: TRL counts prompt tokens by tokenizing the prompt alone and warns when that is not a
 * prefix of the tokenized whole; here a token belongs to the completion (or an assistant turn)
 * when its first character does, from the tokenizer's character offsets, which is exact also when
 * a token spans the boundary. A conversational prompt must end with a user or tool message: TRL's
 * {@code continue_final_message} for a prompt ending with an assistant message is not supported.
 *
 * <p>Use one processor per thread: the tokenizer is thread-safe, the chat template's engine is not
 * known to be.
 */
public final class SftProcessor {
    private final Tokenizer tokenizer;
    private final Optional<ChatTemplate> template;
    private final SftOptions options;
    private final String eosToken;

    /**
     * @param template the chat template for conversational rows (empty for standard data only)
     * @throws IllegalArgumentException when no EOS token is known, or it is not one token of the vocabulary
     */
    public SftProcessor(Tokenizer tokenizer, Optional<ChatTemplate> template, SftOptions options) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.options = options;
        this.eosToken = options.eosToken().or(() -> tokenizer.config().token("eos_token")).orElseThrow(() ->
                new IllegalArgumentException(tokenizer.config().source() + " sets no eos_token; set eos_token in the SFT"
                        + " options to the token that ends a completion"));
        if (tokenizer.tokenToId(eosToken).isEmpty()) {
            throw new IllegalArgumentException("eos_token '" + eosToken + "' is not a token of " + tokenizer.folder()
                    + "; set eos_token to one of its special tokens");
        }
    }

    /** The token that ends completions and assistant turns. */
    public String eosToken() {
        return eosToken;
    }

    /**
     * The example of one row.
     *
     * @throws IllegalArgumentException naming the row's file and line when its type is not
     *                                  language modeling or prompt-completion, a conversation meets
     *                                  no chat template, assistant_only_loss meets standard text or a
     *                                  conversation without assistant turns
     */
    public SftExample process(Row row) {
        RowFormat format = RowFormat.of(row, options.datasetTextField());
        boolean promptCompletion = switch (format.type()) {
            case LANGUAGE_MODELING -> false;
            case PROMPT_COMPLETION -> true;
            case PROMPT_ONLY, PREFERENCE, IMPLICIT_PROMPT_PREFERENCE, UNPAIRED_PREFERENCE -> throw row.error(
                    "is a " + format.type().name().toLowerCase().replace('_', ' ') + " row; SFT takes language"
                            + " modeling rows (text or messages) or prompt-completion rows");
        };
        if (options.assistantOnlyLoss() && !format.conversational()) {
            throw row.error("assistant_only_loss is set but the row is standard text, not a conversation (messages);"
                    + " use completion_only_loss for prompt-completion text");
        }
        boolean completionOnly = promptCompletion && options.completionOnlyLoss().orElse(true);
        Encoding encoding;
        List<List<Conversations.Span>> masks = new ArrayList<>(); // a token is a target when every list has a span with it
        if (!format.conversational()) {
            String prompt = promptCompletion ? row.get("prompt").asText() : "";
            String rest = promptCompletion ? row.get("completion").asText() : row.get(options.datasetTextField()).asText();
            if (!rest.endsWith(eosToken)) rest += eosToken;
            String text = prompt + rest;
            encoding = tokenizer.encodeWithOffsets(text, true);
            if (completionOnly) masks.add(List.of(new Conversations.Span(prompt.length(), text.length())));
        } else {
            ChatTemplate chat = template.orElseThrow(() -> row.error("is a conversation but no chat template was given;"
                    + " load the tokenizer of a chat model (its tokenizer_config.json has chat_template)"));
            var tools = Conversations.tools(row);
            Map<String, Object> kwargs = Conversations.templateKwargs(row);
            var messages = Conversations.messages(row, promptCompletion ? "prompt" : "messages");
            int promptMessages = messages.size();
            if (promptCompletion) {
                Object lastRole = messages.getLast().get("role");
                if (!"user".equals(lastRole) && !"tool".equals(lastRole)) {
                    throw row.error("prompt", "must end with a user or tool message, not " + lastRole
                            + " (continuing a final assistant message is not supported)");
                }
                messages.addAll(Conversations.messages(row, "completion"));
            }
            String text = chat.render(messages, tools, false, kwargs);
            encoding = tokenizer.encodeWithOffsets(text, false);
            if (completionOnly) {
                String prompt = chat.render(messages.subList(0, promptMessages), tools, true, kwargs);
                masks.add(List.of(new Conversations.Span(Conversations.commonPrefix(text, prompt), text.length())));
            }
            if (options.assistantOnlyLoss()) {
                var spans = Conversations.assistantSpans(chat, messages, tools, kwargs, text, eosToken, row);
                if (spans.isEmpty()) {
                    throw row.error("has no assistant message, so assistant_only_loss leaves it nothing to learn;"
                            + " drop the row or turn assistant_only_loss off");
                }
                masks.add(spans);
            }
        }
        boolean[] mask = tokenMask(encoding, masks);
        return truncate(encoding.ids(), mask);
    }

    /** A token counts when its first character lies in a span of every mask (all tokens when there is none). */
    private static boolean[] tokenMask(Encoding encoding, List<List<Conversations.Span>> masks) {
        boolean[] mask = new boolean[encoding.size()];
        for (int t = 0; t < mask.length; t++) {
            boolean in = true;
            for (List<Conversations.Span> spans : masks) {
                boolean inAny = false;
                for (Conversations.Span span : spans) {
                    inAny |= encoding.ends()[t] > encoding.starts()[t] && span.contains(encoding.starts()[t]);
                }
                in &= inAny;
            }
            mask[t] = in;
        }
        return mask;
    }

    private SftExample truncate(int[] ids, boolean[] mask) {
        int n = ids.length, max = options.maxLength();
        if (n <= max) return new SftExample(ids, mask);
        int from = options.truncationMode() == TruncationMode.KEEP_START ? 0 : n - max;
        return new SftExample(Arrays.copyOfRange(ids, from, from + max), Arrays.copyOfRange(mask, from, from + max));
    }
}
