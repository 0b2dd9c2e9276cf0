package dev.align4j.data;

import dev.align4j.io.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.align4j.data.SftProcessorTest.assertError;
import static dev.align4j.data.SftProcessorTest.row;
import static dev.align4j.data.SftProcessorTest.tokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Preference rows on the real fixture tokenizers and chat templates (gpt2, qwen3, llama3_1): each
 * prompt and completion is checked by decoding it and comparing with the text written here by hand,
 * so a boundary one token off fails.
 */
class PreferenceProcessorTest {
    @AfterAll
    static void close() {
        SftProcessorTest.close();
    }

    static PreferenceProcessor processor(String name, PreferenceOptions options) {
        Tokenizer t = tokenizer(name);
        return new PreferenceProcessor(t, t.config().chatTemplate().isPresent() ? Optional.of(dev.align4j.io.chat.ChatTemplate.of(t))
                : Optional.empty(), options);
    }

    static String decode(String tokenizer, int[] ids) {
        return tokenizer(tokenizer).decode(ids, false);
    }

    @Test
    void standardPairGetsEosAndSharesThePrompt() {
        PreferenceExample e = processor("gpt2", PreferenceOptions.DEFAULT)
                .pair(row("{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}"));
        assertArrayEquals(tokenizer("gpt2").encode("The sky is", true), e.promptIds());
        assertEquals(" blue.<|endoftext|>", decode("gpt2", e.chosenIds()));
        assertEquals(" green.<|endoftext|>", decode("gpt2", e.rejectedIds()));
    }

    @Test
    void llamaStandardPromptStartsWithBosAsTokenizerDoes() {
        PreferenceExample e = processor("llama3_1", PreferenceOptions.DEFAULT)
                .pair(row("{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}"));
        assertEquals("<|begin_of_text|>The sky is", decode("llama3_1", e.promptIds()));
        assertEquals(" blue.<|eot_id|>", decode("llama3_1", e.chosenIds()), "llama3_1's eos_token is <|eot_id|>");
    }

    /** TRL's extract_prompt: the shared start is the prompt, and the space before the first difference goes to the completions. */
    @Test
    void implicitPromptIsTheSharedStartWithTheSpaceMovedToTheCompletions() {
        PreferenceExample e = processor("gpt2", PreferenceOptions.DEFAULT)
                .pair(row("{\"chosen\": \"Q: sky colour? A: blue\", \"rejected\": \"Q: sky colour? A: green\"}"));
        assertEquals("Q: sky colour? A:", decode("gpt2", e.promptIds()));
        assertEquals(" blue<|endoftext|>", decode("gpt2", e.chosenIds()));
        assertEquals(" green<|endoftext|>", decode("gpt2", e.rejectedIds()));
    }

    /**
     * TRL's extract_prompt on strings: the first difference, less a space before it; where chosen is a prefix of
     * rejected, the loop stops at the last shared character, which then starts both completions.
     */
    @Test
    void implicitPromptEndFollowsTrlsLoop() {
        assertEquals(2, PreferenceProcessor.promptEnd("Q: a", "Q: b"), "\"Q:\", the space goes to the completions");
        assertEquals(4, PreferenceProcessor.promptEnd("Q: xa", "Q: xb"), "no space before the difference: cut there");
        assertEquals(2, PreferenceProcessor.promptEnd("abc", "abcd"));
        assertEquals(0, PreferenceProcessor.promptEnd("yes", "no"));
    }

    /** An implicit prompt ending inside a word: the word's token holds completion characters, so the prompt stops before it on both sides. */
    @Test
    void implicitPromptInsideAWordKeepsTheWordWhole() {
        PreferenceExample e = processor("gpt2", PreferenceOptions.DEFAULT).pair(row("{\"chosen\": \"It is 42\", \"rejected\": \"It is 43\"}"));
        assertEquals("It is", decode("gpt2", e.promptIds()));
        assertEquals(" 42<|endoftext|>", decode("gpt2", e.chosenIds()));
        assertEquals(" 43<|endoftext|>", decode("gpt2", e.rejectedIds()));
        PreferenceExample prefix = processor("gpt2", PreferenceOptions.DEFAULT).pair(row("{\"chosen\": \"abc\", \"rejected\": \"abcd\"}"));
        assertEquals("abc<|endoftext|>", decode("gpt2", concat(prefix.promptIds(), prefix.chosenIds())));
        assertEquals("abcd<|endoftext|>", decode("gpt2", concat(prefix.promptIds(), prefix.rejectedIds())));
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A prompt ending in a space: the token " blue" holds a completion character, so it stays whole in the completion. */
    @Test
    void aTokenStraddlingThePromptsEndBelongsToTheCompletion() {
        PreferenceExample e = processor("gpt2", PreferenceOptions.DEFAULT)
                .pair(row("{\"prompt\": \"Answer: \", \"chosen\": \"blue\", \"rejected\": \"green\"}"));
        assertEquals("Answer:", decode("gpt2", e.promptIds()));
        assertEquals(" blue<|endoftext|>", decode("gpt2", e.chosenIds()));
        assertEquals(" green<|endoftext|>", decode("gpt2", e.rejectedIds()));
    }

    static final String QWEN_EXPLICIT = """
            {"prompt": [{"role": "user", "content": "Hi"}],
             "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "Go away."}]}""";

    @Test
    void conversationalPairThroughTheChatTemplate() {
        PreferenceExample e = processor("qwen3", PreferenceOptions.DEFAULT).pair(row(QWEN_EXPLICIT));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", decode("qwen3", e.promptIds()));
        // The template writes the last turn with an empty think block; no EOS is appended to conversations.
        assertEquals("<think>\n\n</think>\n\nHello!<|im_end|>\n", decode("qwen3", e.chosenIds()));
        assertEquals("<think>\n\n</think>\n\nGo away.<|im_end|>\n", decode("qwen3", e.rejectedIds()));
    }

    @Test
    void implicitConversationalPromptIsTheSharedMessages() {
        PreferenceExample implicit = processor("qwen3", PreferenceOptions.DEFAULT).pair(row("""
                {"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
                 "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Go away."}]}"""));
        PreferenceExample explicit = processor("qwen3", PreferenceOptions.DEFAULT).pair(row(QWEN_EXPLICIT));
        assertArrayEquals(explicit.promptIds(), implicit.promptIds());
        assertArrayEquals(explicit.chosenIds(), implicit.chosenIds());
        assertArrayEquals(explicit.rejectedIds(), implicit.rejectedIds());
    }

    @Test
    void llamaConversationWithSystemColumn() {
        PreferenceExample e = processor("llama3_1", PreferenceOptions.DEFAULT).pair(row("""
                {"system": "Be brief.", "prompt": [{"role": "user", "content": "Hi"}],
                 "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "No."}]}"""));
        String prompt = decode("llama3_1", e.promptIds());
        assertTrue(prompt.startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"), prompt);
        assertTrue(prompt.endsWith("Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n"), prompt);
        assertEquals("Hello!<|eot_id|>", decode("llama3_1", e.chosenIds()));
        assertEquals("No.<|eot_id|>", decode("llama3_1", e.rejectedIds()));
    }

    /** max_prompt_length keeps the prompt's end, max_completion_length each completion's start (TRL 0.2x's tokenize_row). */
    @Test
    void promptKeepsItsEndAndCompletionsTheirStart() {
        Tokenizer t = tokenizer("gpt2");
        Row r = row("{\"prompt\": \"one two three four\", \"chosen\": \" five six seven\", \"rejected\": \" eight\"}");
        PreferenceExample full = processor("gpt2", PreferenceOptions.DEFAULT).pair(r);
        PreferenceExample cut = processor("gpt2", PreferenceOptions.DEFAULT.withMaxPromptLength(2).withMaxCompletionLength(2)).pair(r);
        assertEquals(" three four", t.decode(cut.promptIds(), false));
        assertEquals(" five six", t.decode(cut.chosenIds(), false));
        assertArrayEquals(full.rejectedIds(), cut.rejectedIds(), "\" eight<|endoftext|>\" is two tokens: kept whole");
    }

    /** max_length on prompt + completion: keep_start keeps the first tokens, keep_end the last; the completion stays the target. */
    @Test
    void maxLengthTruncatesTheSequenceByTruncationMode() {
        int[] prompt = {1, 2, 3, 4}, completion = {5, 6, 7};
        PreferenceOptions five = PreferenceOptions.DEFAULT.withMaxLength(OptionalInt.of(5));
        SftExample start = processor("gpt2", five).sequence(prompt, completion);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, start.inputIds());
        assertArrayEquals(new boolean[] {false, false, false, false, true}, start.lossMask());
        SftExample end = processor("gpt2", five.withTruncationMode(TruncationMode.KEEP_END)).sequence(prompt, completion);
        assertArrayEquals(new int[] {3, 4, 5, 6, 7}, end.inputIds());
        assertEquals(3, end.targets());
        SftExample whole = processor("gpt2", PreferenceOptions.DEFAULT.withMaxLength(OptionalInt.empty())).sequence(prompt, completion);
        assertEquals(7, whole.length());
    }

    @Test
    void truncationThatLeavesNothingToLearnIsAnErrorWithTheRemedy() {
        PreferenceProcessor tiny = processor("gpt2", PreferenceOptions.DEFAULT.withMaxLength(OptionalInt.of(3)));
        assertError("rows.jsonl, line 7: field \"chosen\" has no token left to learn after truncation to max_length 3 (keep_start;"
                + " the prompt has 4 tokens)", () -> tiny.pair(row("{\"prompt\": \"one two three four\", \"chosen\": \" a\", \"rejected\": \" b\"}")));
    }

    @Test
    void badRowsAreErrorsNamingFileAndLine() {
        PreferenceProcessor gpt2 = processor("gpt2", PreferenceOptions.DEFAULT);
        assertError("rows.jsonl, line 7: has \"chosen\" but no \"rejected\"; a preference row needs both",
                () -> gpt2.pair(row("{\"prompt\": \"a\", \"chosen\": \"b\"}")));
        assertError("rows.jsonl, line 7: has \"rejected\" but no \"chosen\"", () -> gpt2.pair(row("{\"rejected\": \"b\"}")));
        assertError("rows.jsonl, line 7: field \"rejected\" is empty", () -> gpt2.pair(row("{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \" \"}")));
        assertError("rows.jsonl, line 7: field \"chosen\" is an empty message list",
                () -> processor("qwen3", PreferenceOptions.DEFAULT).pair(row("{\"prompt\": [{\"role\": \"user\", \"content\": \"a\"}],"
                        + " \"chosen\": [], \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}")));
        assertError("rows.jsonl, line 7: field \"chosen\" has no message with content",
                () -> processor("qwen3", PreferenceOptions.DEFAULT).pair(row("{\"prompt\": [{\"role\": \"user\", \"content\": \"a\"}],"
                        + " \"chosen\": [{\"role\": \"assistant\", \"content\": \"\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}")));
        assertError("rows.jsonl, line 7: has the same chosen and rejected completion", () -> gpt2.pair(row("{\"chosen\": \"x\", \"rejected\": \"x\"}")));
        assertError("rows.jsonl, line 7: its chosen and rejected conversations differ from the first message",
                () -> processor("qwen3", PreferenceOptions.DEFAULT).pair(row("{\"chosen\": [{\"role\": \"user\", \"content\": \"a\"}],"
                        + " \"rejected\": [{\"role\": \"user\", \"content\": \"b\"}]}")));
        assertError("rows.jsonl, line 7: is a prompt completion row; DPO, ORPO and CPO take preference rows",
                () -> gpt2.pair(row("{\"prompt\": \"a\", \"completion\": \"b\"}")));
        assertError("rows.jsonl, line 7: is a conversation but no chat template was given", () -> gpt2.pair(row(QWEN_EXPLICIT)));
    }

    @Test
    void aRowMissingRejectedFailsAtLoadWithFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        Files.writeString(file, """
                {"prompt": "a", "chosen": "b", "rejected": "c"}
                {"prompt": "d", "chosen": "e"}
                """);
        assertError(file + ", line 2: has \"chosen\" but no \"rejected\"", () -> Datasets.load(file.toString()));
    }

    @Test
    void ktoTakesUnpairedRowsAndSplitsPairs() {
        PreferenceProcessor gpt2 = processor("gpt2", PreferenceOptions.DEFAULT);
        List<UnpairedExample> one = gpt2.unpaired(row("{\"prompt\": \"The sky is\", \"completion\": \" blue.\", \"label\": false}"));
        assertEquals(1, one.size());
        assertFalse(one.getFirst().desirable());
        assertEquals(" blue.<|endoftext|>", decode("gpt2", one.getFirst().completionIds()));

        Row pair = row("{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}");
        List<UnpairedExample> two = gpt2.unpaired(pair);
        PreferenceExample e = gpt2.pair(pair);
        assertEquals(2, two.size());
        assertTrue(two.get(0).desirable());
        assertFalse(two.get(1).desirable());
        assertArrayEquals(e.chosenIds(), two.get(0).completionIds());
        assertArrayEquals(e.rejectedIds(), two.get(1).completionIds());
        assertArrayEquals(e.promptIds(), two.get(1).promptIds());
    }

    @Test
    void ktoDataWithOneLabelClassIsAClearError() {
        List<UnpairedExample> desirable = List.of(new UnpairedExample(new int[] {1}, new int[] {2}, true),
                new UnpairedExample(new int[] {3}, new int[] {4}, true));
        assertError("kto.jsonl: all 2 KTO examples have label true (desirable); KTO learns from both desirable and undesirable"
                + " completions, so add rows with label false", () -> PreferenceProcessor.requireBothLabels(desirable, "kto.jsonl"));
        List<UnpairedExample> mixed = new ArrayList<>(desirable);
        mixed.add(new UnpairedExample(new int[] {5}, new int[] {6}, false));
        PreferenceProcessor.requireBothLabels(mixed, "kto.jsonl");
    }

    /** KTOTrainer._get_kl_dataset: completions rotate by one, so example i's prompt meets example i − 1's completion. */
    @Test
    void klSequencesPairEachPromptWithThePreviousCompletion() {
        PreferenceProcessor p = processor("gpt2", PreferenceOptions.DEFAULT);
        List<UnpairedExample> batch = List.of(new UnpairedExample(new int[] {1}, new int[] {10, 11}, true),
                new UnpairedExample(new int[] {2}, new int[] {20}, false), new UnpairedExample(new int[] {3, 3}, new int[] {30}, true));
        List<SftExample> kl = p.klSequences(batch);
        assertArrayEquals(new int[] {1, 30}, kl.get(0).inputIds());
        assertArrayEquals(new int[] {2, 10, 11}, kl.get(1).inputIds());
        assertArrayEquals(new int[] {3, 3, 20}, kl.get(2).inputIds());
        assertEquals(List.of(false, true, true), Arrays.asList(box(kl.get(1).lossMask())));
        assertError("a batch needs at least 2 examples, got 1", () -> p.klSequences(batch.subList(0, 1)));
    }

    private static Boolean[] box(boolean[] b) {
        Boolean[] out = new Boolean[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i];
        return out;
    }
}
