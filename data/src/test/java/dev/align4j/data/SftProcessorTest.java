package dev.align4j.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.Fixtures;
import dev.align4j.io.JsonLines;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.PackedBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SFT examples on the real fixture tokenizers and chat templates (qwen3, llama3_1, gpt2): the loss
 * mask is checked by decoding each run of target tokens and comparing it with the text written
 * here by hand from the templates, so a mask one token too wide or too narrow fails.
 */
class SftProcessorTest {
    private static final Map<String, Tokenizer> TOKENIZERS = new HashMap<>();

    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> Tokenizer.load(Fixtures.tokenizer(n)));
    }

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(Tokenizer::close);
        TOKENIZERS.clear();
    }

    static Row row(String json) {
        try {
            return new Row((ObjectNode) JsonLines.MAPPER.readTree(json), Path.of("rows.jsonl"), Row.Unit.LINE, 7);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static SftProcessor processor(String name, SftOptions options) {
        Tokenizer t = tokenizer(name);
        Optional<ChatTemplate> template = t.config().chatTemplate().isPresent() ? Optional.of(ChatTemplate.of(t)) : Optional.empty();
        return new SftProcessor(t, template, options);
    }

    /** The decoded text of each maximal run of target tokens. */
    static List<String> targetRuns(Tokenizer tokenizer, SftExample example) {
        List<String> runs = new ArrayList<>();
        int[] ids = example.inputIds();
        boolean[] mask = example.lossMask();
        for (int t = 0; t < ids.length; ) {
            if (!mask[t]) {
                t++;
                continue;
            }
            int end = t;
            while (end < ids.length && mask[end]) end++;
            runs.add(tokenizer.decode(Arrays.copyOfRange(ids, t, end), false));
            t = end;
        }
        return runs;
    }

    static final String CONVERSATION = """
            {"messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"},
              {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "2+2?"},
              {"role": "assistant", "content": "4"}]}""";

    @Test
    void qwen3AssistantMaskIsExactlyTheAssistantTurns() {
        Tokenizer t = tokenizer("qwen3");
        SftExample e = processor("qwen3", SftOptions.DEFAULT.withAssistantOnlyLoss(true)).process(row(CONVERSATION));
        // The template writes the last turn (after the last user message) with an empty think block,
        // earlier turns without; "\n" after <|im_end|> is template glue, outside the turn.
        assertEquals(List.of("Hello!<|im_end|>", "<think>\n\n</think>\n\n4<|im_end|>"), targetRuns(t, e));
        String rendered = ChatTemplate.of(t).render(Conversations.messages(row(CONVERSATION), "messages"), false);
        assertArrayEquals(ChatTemplate.tokenizeRendered(t, rendered), e.inputIds(), "the ids are the rendered conversation's");
    }

    @Test
    void llama31AssistantMaskIsExactlyTheAssistantTurns() {
        Tokenizer t = tokenizer("llama3_1");
        SftExample e = processor("llama3_1", SftOptions.DEFAULT.withAssistantOnlyLoss(true)).process(row(CONVERSATION));
        assertEquals(List.of("Hello!<|eot_id|>", "4<|eot_id|>"), targetRuns(t, e));
        assertEquals(t.bosTokenId().getAsInt(), e.inputIds()[0], "the template writes BOS once");
        assertEquals(1, Arrays.stream(e.inputIds()).filter(id -> id == t.bosTokenId().getAsInt()).count());
    }

    @Test
    void conversationWithoutAssistantOnlyLossTrainsOnEveryToken() {
        SftExample e = processor("qwen3", SftOptions.DEFAULT).process(row(CONVERSATION));
        for (boolean b : e.lossMask()) assertTrue(b);
    }

    @Test
    void conversationalPromptCompletionMasksThePromptAsTrlDoes() {
        Tokenizer t = tokenizer("qwen3");
        Row r = row("""
                {"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": "Hello!"}]}""");
        // TRL's completion is everything after the prompt's render with the generation prompt.
        assertEquals(List.of("<think>\n\n</think>\n\nHello!<|im_end|>\n"), targetRuns(t, processor("qwen3", SftOptions.DEFAULT).process(r)));
        // With assistant_only_loss too, both masks apply: the glue after <|im_end|> drops out.
        assertEquals(List.of("<think>\n\n</think>\n\nHello!<|im_end|>"),
                targetRuns(t, processor("qwen3", SftOptions.DEFAULT.withAssistantOnlyLoss(true)).process(r)));
        // completion_only_loss off: every token.
        SftExample all = processor("qwen3", SftOptions.DEFAULT.withCompletionOnlyLoss(false)).process(r);
        assertEquals(all.length(), all.targets() + 1);
    }

    @Test
    void llama31ConversationalPromptCompletionWithSystemColumn() {
        Tokenizer t = tokenizer("llama3_1");
        Row r = row("""
                {"system": "Be brief.", "prompt": [{"role": "user", "content": "Hi"}],
                 "completion": [{"role": "assistant", "content": "Hello!"}]}""");
        SftExample e = processor("llama3_1", SftOptions.DEFAULT).process(r);
        assertEquals(List.of("Hello!<|eot_id|>"), targetRuns(t, e));
        String text = t.decode(e.inputIds(), false);
        assertTrue(text.startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"), text);
    }

    @Test
    void standardTextGetsEosAndTheEosIsATargetEvenWhenPadIsEos() {
        // gpt2 has no pad token: TRL pads with EOS, and a collator masking pad tokens would drop the EOS label.
        Tokenizer t = tokenizer("gpt2");
        assertTrue(t.padTokenId().isEmpty());
        int eos = t.eosTokenId().getAsInt();
        SftExample e = processor("gpt2", SftOptions.DEFAULT).process(row("{\"text\": \"Hello world\"}"));
        assertArrayEquals(t.encode("Hello world<|endoftext|>", true), e.inputIds());
        assertEquals(eos, e.inputIds()[e.length() - 1]);
        for (boolean b : e.lossMask()) assertTrue(b);
        int[] labels = Batch.of(List.of(e)).labels();
        assertEquals(eos, labels[e.length() - 2], "the token before EOS is trained to predict EOS");
        assertEquals(PackedBatch.IGNORE, labels[e.length() - 1]);
        // Text already ending with EOS gets no second one.
        assertArrayEquals(e.inputIds(), processor("gpt2", SftOptions.DEFAULT).process(row("{\"text\": \"Hello world<|endoftext|>\"}")).inputIds());
    }

    @Test
    void llama31ConversationEndOfTurnIsATargetWithPadFallingBackToEos() {
        Tokenizer t = tokenizer("llama3_1");
        assertTrue(t.padTokenId().isEmpty(), "llama3_1 has no pad token, so TRL pads with its eos <|eot_id|>");
        int eot = t.eosTokenId().getAsInt();
        SftExample e = processor("llama3_1", SftOptions.DEFAULT.withAssistantOnlyLoss(true)).process(row(CONVERSATION));
        int last = e.length() - 1;
        assertEquals(eot, e.inputIds()[last]);
        assertTrue(e.lossMask()[last]);
        assertEquals(eot, Batch.of(List.of(e)).labels()[last - 1]);
    }

    @Test
    void standardPromptCompletionMasksThePromptByCharacterOffsets() {
        Tokenizer t = tokenizer("llama3_1");
        SftExample e = processor("llama3_1", SftOptions.DEFAULT).process(row("{\"prompt\": \"The sky is\", \"completion\": \" blue.\"}"));
        assertEquals(t.bosTokenId().getAsInt(), e.inputIds()[0], "tokenized with the post-processor's BOS, as tokenizer(text)");
        assertEquals(List.of(" blue.<|eot_id|>"), targetRuns(t, e));
        SftExample all = processor("llama3_1", SftOptions.DEFAULT.withCompletionOnlyLoss(false))
                .process(row("{\"prompt\": \"The sky is\", \"completion\": \" blue.\"}"));
        assertEquals(List.of("<|begin_of_text|>The sky is blue.<|eot_id|>"), targetRuns(t, all));
    }

    @Test
    void truncationKeepsTheChosenEnd() {
        Tokenizer t = tokenizer("gpt2");
        Row r = row("{\"text\": \"one two three four five six\"}");
        SftExample full = processor("gpt2", SftOptions.DEFAULT).process(r);
        SftExample start = processor("gpt2", SftOptions.DEFAULT.withMaxLength(3)).process(r);
        SftExample end = processor("gpt2", SftOptions.DEFAULT.withMaxLength(3).withTruncationMode(TruncationMode.KEEP_END)).process(r);
        assertArrayEquals(Arrays.copyOf(full.inputIds(), 3), start.inputIds());
        assertArrayEquals(Arrays.copyOfRange(full.inputIds(), full.length() - 3, full.length()), end.inputIds());
        assertEquals(t.eosTokenId().getAsInt(), end.inputIds()[2]);
    }

    @Test
    void eosTokenOptionOverridesTheTokenizers() {
        Tokenizer t = tokenizer("qwen3");
        SftExample e = processor("qwen3", SftOptions.DEFAULT.withEosToken("<|endoftext|>")).process(row("{\"text\": \"Hi\"}"));
        assertEquals(t.tokenToId("<|endoftext|>").getAsInt(), e.inputIds()[e.length() - 1]);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> processor("qwen3", SftOptions.DEFAULT.withEosToken("<not a token>")));
        assertTrue(bad.getMessage().contains("eos_token '<not a token>' is not a token of"), bad.getMessage());
    }

    @Test
    void rowsSftCannotTakeAreErrorsNamingFileAndLine() {
        SftProcessor qwen = processor("qwen3", SftOptions.DEFAULT);
        assertError("rows.jsonl, line 7: is a preference row; SFT takes", () ->
                qwen.process(row("{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}")));
        assertError("rows.jsonl, line 7: assistant_only_loss is set but the row is standard text", () ->
                processor("qwen3", SftOptions.DEFAULT.withAssistantOnlyLoss(true)).process(row("{\"text\": \"a\"}")));
        assertError("rows.jsonl, line 7: has no assistant message", () ->
                processor("qwen3", SftOptions.DEFAULT.withAssistantOnlyLoss(true)).process(
                        row("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}")));
        assertError("rows.jsonl, line 7: is a conversation but no chat template was given", () ->
                processor("gpt2", SftOptions.DEFAULT).process(row(CONVERSATION)));
        assertError("rows.jsonl, line 7: field \"prompt\" must end with a user or tool message, not assistant", () ->
                qwen.process(row("{\"prompt\": [{\"role\": \"assistant\", \"content\": \"a\"}], \"completion\": [{\"role\": \"assistant\", \"content\": \"b\"}]}")));
        assertError("rows.jsonl, line 7: field \"system\" is given but \"messages\" already starts with a system message", () ->
                qwen.process(row("{\"system\": \"s\", \"messages\": [{\"role\": \"system\", \"content\": \"x\"}, {\"role\": \"user\", \"content\": \"y\"}]}")));
        assertError("no end-of-turn token <|endoftext|> after assistant message 2", () ->
                processor("qwen3", SftOptions.DEFAULT.withAssistantOnlyLoss(true).withEosToken("<|endoftext|>")).process(row(CONVERSATION)));
    }

    @Test
    void batchesProcessRowsLazilyInOrder() {
        List<Row> rows = List.of(row("{\"text\": \"a\"}"), row("{\"text\": \"b\"}"));
        SftProcessor gpt2 = processor("gpt2", SftOptions.DEFAULT);
        var it = Batches.examples(rows, gpt2);
        assertArrayEquals(gpt2.process(rows.get(0)).inputIds(), it.next().inputIds());
        assertArrayEquals(gpt2.process(rows.get(1)).inputIds(), it.next().inputIds());
        assertTrue(!it.hasNext());
    }

    static void assertError(String expected, org.junit.jupiter.api.function.Executable action) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
        assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
    }
}
