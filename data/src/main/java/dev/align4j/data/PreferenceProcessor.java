package dev.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Encoding;
import dev.align4j.io.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns preference rows into token ids: pairs ({@code prompt}, {@code chosen}, {@code rejected},
 * or the implicit-prompt {@code chosen}, {@code rejected}) for DPO, ORPO and CPO, and labelled
 * completions ({@code prompt}, {@code completion}, {@code label}, or pairs split in two) for KTO;
 * strings or message lists through the chat template; truncation; the mismatched prompt-completion
 * sequences of KTO's KL estimate.
 *
 * <p>What it is not: a batcher, and it never pads. Errors name the row's file and line.
 *
 * <p>Based on TRL: {@code trl/data_utils.py::extract_prompt} for the implicit prompt (the longest
 * shared start of chosen and rejected, characters for strings and messages for conversations; a
 * space just before the first difference goes to the completions; where one is a prefix of the
 * other, TRL's loop stops at the last shared element, which then starts both completions) and
 * {@code unpair_preference_dataset} for KTO (chosen → label true, rejected → false);
 * {@code DPOTrainer._prepare_dataset} / {@code KTOTrainer._prepare_dataset} (TRL 1.x) for the
 * rest: standard completions get the tokenizer's {@code eos_token} unless they end with it and are
 * tokenized after the prompt with the post-processor's special tokens (BOS for Llama), as
 * {@code tokenizer(prompt + completion)}; conversations are rendered by the chat template, the
 * prompt with the generation prompt, and tokenized without special tokens; the completion is what
 * the whole render adds after the prompt's. {@code KTOTrainer._get_kl_dataset} for the KL pairs:
 * each prompt with the completion of the example before it in the batch (the first with the
 * last's). Truncation is {@link PreferenceOptions}'s.
 *
 * <p>Deviations: TRL tokenizes the prompt alone and cuts the prompt-completion tokens after as many
 * tokens (warning when they disagree); here each whole sequence is tokenized once, a token belongs
 * to the completion when it holds any character of it, and the prompt is the tokens the chosen and
 * the rejected sequence share before either reaches a completion character. So a token that
 * straddles the boundary (a prompt ending in a space, or an implicit prompt that ends inside a
 * word) stays whole, in the completions, instead of being cut or lost. Stricter than TRL: an empty
 * completion, a completion truncation leaves nothing to learn from, and KTO data of one label class
 * are errors. A conversational prompt must end with a user or tool message.
 *
 * <p>Use one processor per thread (the chat template's engine is not known to be thread-safe).
 */
public final class PreferenceProcessor {
    private final Tokenizer tokenizer;
    private final Optional<ChatTemplate> template;
    private final PreferenceOptions options;
    private final String eosToken;

    /**
     * @param template the chat template for conversational rows (empty for standard data only)
     * @throws IllegalArgumentException when the tokenizer has no EOS token
     */
    public PreferenceProcessor(Tokenizer tokenizer, Optional<ChatTemplate> template, PreferenceOptions options) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.options = options;
        this.eosToken = tokenizer.config().token("eos_token").orElseThrow(() -> new IllegalArgumentException(
                tokenizer.config().source() + " sets no eos_token, which ends every standard completion; add one to tokenizer_config.json"));
    }

    /**
     * The pair of a preference row.
     *
     * @throws IllegalArgumentException naming the file and line when the row is not a preference
     *                                  row, a completion is empty, or truncation leaves a completion nothing to learn
     */
    public PreferenceExample pair(Row row) {
        RowFormat format = RowFormat.of(row, RowFormat.DEFAULT_TEXT_FIELD);
        if (format.type() != DatasetType.PREFERENCE && format.type() != DatasetType.IMPLICIT_PROMPT_PREFERENCE) {
            throw row.error("is " + describe(format.type()) + " row; DPO, ORPO and CPO take preference rows: prompt, chosen and"
                    + " rejected, or chosen and rejected (the implicit prompt)");
        }
        Texts t = texts(row, format.conversational());
        Split chosen = split(row, format.conversational(), t.prompt(), t.chosen(), "chosen");
        Split rejected = split(row, format.conversational(), t.prompt(), t.rejected(), "rejected");
        int shared = 0; // the prompt: the tokens both sequences start with before either holds a completion character
        int limit = Math.min(chosen.promptTokens(), rejected.promptTokens());
        while (shared < limit && chosen.ids()[shared] == rejected.ids()[shared]) shared++;
        int[] prompt = truncatePrompt(Arrays.copyOf(chosen.ids(), shared));
        int[] c = truncateCompletion(chosen.from(shared)), r = truncateCompletion(rejected.from(shared));
        requireTargets(row, "chosen", prompt, c);
        requireTargets(row, "rejected", prompt, r);
        return new PreferenceExample(prompt, c, r);
    }

    /**
     * KTO's examples of a row: one for an unpaired row ({@code prompt}, {@code completion},
     * {@code label}); two for a preference row, its chosen completion desirable and its rejected
     * one undesirable.
     *
     * @throws IllegalArgumentException naming the file and line as {@link #pair} does
     */
    public List<UnpairedExample> unpaired(Row row) {
        RowFormat format = RowFormat.of(row, RowFormat.DEFAULT_TEXT_FIELD);
        return switch (format.type()) {
            case UNPAIRED_PREFERENCE -> {
                Object prompt = format.conversational() ? Conversations.messages(row, "prompt") : row.get("prompt").asText();
                Split s = split(row, format.conversational(), prompt, completion(row, "completion", format.conversational()), "completion");
                int[] p = truncatePrompt(Arrays.copyOf(s.ids(), s.promptTokens())), c = truncateCompletion(s.from(s.promptTokens()));
                requireTargets(row, "completion", p, c);
                yield List.of(new UnpairedExample(p, c, row.get("label").asBoolean()));
            }
            case PREFERENCE, IMPLICIT_PROMPT_PREFERENCE -> {
                PreferenceExample e = pair(row);
                yield List.of(new UnpairedExample(e.promptIds(), e.chosenIds(), true), new UnpairedExample(e.promptIds(), e.rejectedIds(), false));
            }
            case LANGUAGE_MODELING, PROMPT_ONLY, PROMPT_COMPLETION -> throw row.error("is " + describe(format.type())
                    + " row; KTO takes unpaired preference rows (prompt, completion, label) or preference rows");
        };
    }

    /**
     * The tokens of a prompt-completion row ({@code prompt}, {@code completion}: strings or
     * messages) as a reward model reads them: tokenized as a pair's sequence is ({@link #pair}: EOS
     * appended to a standard completion, conversations through the chat template), untruncated.
     *
     * @throws IllegalArgumentException naming the file and line when the row is not prompt-completion or the completion is empty
     */
    public int[] completionSequence(Row row) {
        RowFormat format = RowFormat.of(row, RowFormat.DEFAULT_TEXT_FIELD);
        if (format.type() != DatasetType.PROMPT_COMPLETION) {
            throw row.error("is " + describe(format.type()) + " row; expected a prompt-completion row (prompt and completion)");
        }
        Object prompt = format.conversational() ? Conversations.messages(row, "prompt") : row.get("prompt").asText();
        return split(row, format.conversational(), prompt, completion(row, "completion", format.conversational()), "completion").ids();
    }

    /**
     * The sequence a model reads: the prompt, then the completion, cut to {@code max_length} by the
     * truncation mode, with the completion's tokens as the targets.
     */
    public SftExample sequence(int[] prompt, int[] completion) {
        int n = prompt.length + completion.length;
        int[] ids = Arrays.copyOf(prompt, n);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        boolean[] mask = new boolean[n];
        Arrays.fill(mask, prompt.length, n, true);
        if (options.maxLength().isEmpty() || n <= options.maxLength().getAsInt()) return new SftExample(ids, mask);
        int max = options.maxLength().getAsInt(), from = options.truncationMode() == TruncationMode.KEEP_START ? 0 : n - max;
        return new SftExample(Arrays.copyOfRange(ids, from, from + max), Arrays.copyOfRange(mask, from, from + max));
    }

    /**
     * KTO's mismatched sequences for the KL reference point: example i's prompt with the
     * completion of example i − 1 (example 0's with the last's), truncated as {@link #sequence}.
     *
     * @throws IllegalArgumentException for a batch of fewer than two examples, which has no mismatched pair
     */
    public List<SftExample> klSequences(List<UnpairedExample> batch) {
        int n = batch.size();
        if (n < 2) {
            throw new IllegalArgumentException("KTO's KL estimate pairs each prompt with another example's completion, so a batch needs"
                    + " at least 2 examples, got " + n + "; raise per_device_train_batch_size");
        }
        List<SftExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(sequence(batch.get(i).promptIds(), batch.get((i + n - 1) % n).completionIds()));
        return out;
    }

    /**
     * Checks that KTO data hold both desirable and undesirable examples.
     *
     * @param source the data's name for the message (the dataset_name)
     * @throws IllegalArgumentException naming the source and the one label it has
     */
    public static void requireBothLabels(Collection<UnpairedExample> examples, String source) {
        long desirable = examples.stream().filter(UnpairedExample::desirable).count();
        if (desirable == 0 || desirable == examples.size()) {
            boolean label = desirable > 0;
            throw new IllegalArgumentException(source + ": all " + examples.size() + " KTO examples have label " + label + " ("
                    + (label ? "desirable" : "undesirable") + "); KTO learns from both desirable and undesirable completions, so add"
                    + " rows with label " + !label + (label ? ", or train on these with SFT" : ""));
        }
    }

    /** The prompt and the completions of a preference row, the prompt extracted when it is implicit. */
    private record Texts(Object prompt, Object chosen, Object rejected) {}

    private Texts texts(Row row, boolean conversational) {
        Object chosen = completion(row, "chosen", conversational), rejected = completion(row, "rejected", conversational);
        if (row.has("prompt")) {
            return new Texts(conversational ? Conversations.messages(row, "prompt") : row.get("prompt").asText(), chosen, rejected);
        }
        if (chosen.equals(rejected)) throw row.error("has the same chosen and rejected completion; a pair must differ");
        if (conversational) {
            List<?> c = (List<?>) chosen, r = (List<?>) rejected;
            int at = sharedStart(c.size(), r.size(), i -> c.get(i).equals(r.get(i)));
            if (at == 0) {
                throw row.error("its chosen and rejected conversations differ from the first message, so the implicit prompt is empty;"
                        + " add a prompt column");
            }
            return new Texts(new ArrayList<>(c.subList(0, at)), new ArrayList<>(c.subList(at, c.size())), new ArrayList<>(r.subList(at, r.size())));
        }
        String c = (String) chosen, r = (String) rejected;
        int at = promptEnd(c, r);
        return new Texts(c.substring(0, at), c.substring(at), r.substring(at));
    }

    /**
     * Where TRL's extract_prompt ends the implicit prompt of two strings: at their first differing
     * character, less a space just before it (which goes to the completions); where one is a prefix
     * of the other, at the last character both have.
     */
    static int promptEnd(String chosen, String rejected) {
        int at = sharedStart(chosen.length(), rejected.length(), i -> chosen.charAt(i) == rejected.charAt(i));
        boolean differs = at < Math.min(chosen.length(), rejected.length()) && chosen.charAt(at) != rejected.charAt(at);
        return differs && at > 0 && chosen.charAt(at - 1) == ' ' ? at - 1 : at;
    }

    /**
     * TRL's extract_prompt loop: the first index where the sequences differ, or, when one is a prefix
     * of the other, the last index both have (its loop variable's final value).
     */
    private static int sharedStart(int a, int b, java.util.function.IntPredicate same) {
        int n = Math.min(a, b);
        for (int i = 0; i < n; i++) if (!same.test(i)) return i;
        return n - 1;
    }

    /** A completion column's string or messages, refused when it holds nothing. */
    private static Object completion(Row row, String column, boolean conversational) {
        if (!conversational) {
            String text = row.get(column).asText();
            if (text.isBlank()) throw row.error(column, "is empty; every completion needs text to compare");
            return text;
        }
        boolean content = false;
        for (JsonNode m : row.get(column)) {
            content |= m.hasNonNull("tool_calls") || (m.hasNonNull("content") && !m.get("content").asText().isBlank());
        }
        if (!content) throw row.error(column, "has no message with content; every completion needs text to compare");
        return Conversations.messages(row, column);
    }

    /**
     * The tokens of one prompt-completion text and how many of them come before the first token
     * that holds a completion character.
     */
    private record Split(int[] ids, int promptTokens) {
        int[] from(int start) {
            return Arrays.copyOfRange(ids, start, ids.length);
        }
    }

    @SuppressWarnings("unchecked")
    private Split split(Row row, boolean conversational, Object prompt, Object completion, String column) {
        Encoding encoding;
        int boundary;
        if (!conversational) {
            String p = (String) prompt, y = (String) completion;
            if (!y.endsWith(eosToken)) y += eosToken;
            encoding = tokenizer.encodeWithOffsets(p + y, true);
            boundary = p.length();
        } else {
            ChatTemplate chat = template.orElseThrow(() -> row.error("is a conversation but no chat template was given; load the"
                    + " tokenizer of a chat model (its tokenizer_config.json has chat_template)"));
            List<Map<String, Object>> p = (List<Map<String, Object>>) prompt, all = new ArrayList<>(p);
            Object lastRole = p.getLast().get("role");
            if (!"user".equals(lastRole) && !"tool".equals(lastRole)) {
                throw row.error(row.has("prompt") ? "prompt" : "chosen", "must end (as the prompt) with a user or tool message, not "
                        + lastRole + " (continuing a final assistant message is not supported)");
            }
            all.addAll((List<Map<String, Object>>) completion);
            var tools = Conversations.tools(row);
            Map<String, Object> kwargs = Conversations.templateKwargs(row);
            String text = chat.render(all, tools, false, kwargs);
            boundary = Conversations.commonPrefix(text, chat.render(p, tools, true, kwargs));
            encoding = tokenizer.encodeWithOffsets(text, false);
        }
        int k = 0;
        while (k < encoding.size() && encoding.ends()[k] <= boundary) k++;
        if (k == encoding.size()) throw row.error(column, "adds no token after the prompt");
        return new Split(encoding.ids(), k);
    }

    private int[] truncatePrompt(int[] prompt) {
        int max = options.maxPromptLength().orElse(Integer.MAX_VALUE);
        return prompt.length <= max ? prompt : Arrays.copyOfRange(prompt, prompt.length - max, prompt.length);
    }

    private int[] truncateCompletion(int[] completion) {
        int max = options.maxCompletionLength().orElse(Integer.MAX_VALUE);
        return completion.length <= max ? completion : Arrays.copyOf(completion, max);
    }

    private void requireTargets(Row row, String column, int[] prompt, int[] completion) {
        if (sequence(prompt, completion).targets() > 0) return;
        if (options.maxLength().isEmpty() || prompt.length + completion.length <= options.maxLength().getAsInt()) {
            throw row.error(column, "is a single token with no prompt before it, so there is nothing to predict it from");
        }
        throw row.error(column, "has no token left to learn after truncation to max_length " + options.maxLength().getAsInt()
                + " (" + options.truncationMode().name().toLowerCase() + "; the prompt has " + prompt.length + " tokens); raise"
                + " max_length, set max_prompt_length below it, or use truncation_mode keep_end");
    }

    private static String describe(DatasetType type) {
        String name = type.name().toLowerCase().replace('_', ' ');
        return (name.startsWith("u") || name.startsWith("i") ? "an " : "a ") + name;
    }
}
