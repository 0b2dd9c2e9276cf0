package dev.align4j.io.hf;

import dev.align4j.io.Fixtures;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real pretrained model: Karpathy's stories260K (TinyStories, llama2.c, converted to the HF Llama layout;
 * {@code shared/fixtures/models/stories260K}, see its README) loaded by {@link HfModels#load}, with its own
 * tokenizer. It must model TinyStories-like English far better than chance (perplexity 512), and greedy
 * decoding from BOS must reproduce the story llama2.c's {@code run.c} prints at temperature 0
 * (llama2.c {@code doc/stories260K.md}). Skipped, with a message, when the fixtures are absent.
 */
class Stories260KModelTest {
    private static CausalLM model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        Path folder = Fixtures.path("models/stories260K");
        model = HfModels.load(folder).model();
        tokenizer = Tokenizer.load(folder);
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) tokenizer.close();
    }

    @Test
    void loadsAsATiedLlama() {
        assertTrue(model instanceof LlamaModel m && m.config().tieWordEmbeddings() && m.config().numKeyValueHeads() == 4);
        assertEquals(260_032, model.parameters().values().stream().mapToInt(Tensor::numel).sum());
    }

    /** exp of the mean next-token negative log-likelihood over sentences written for this test (BOS first). */
    static double perplexity(List<String> texts) {
        List<int[]> sequences = new ArrayList<>();
        for (String text : texts) sequences.add(tokenizer.encode(text, true));
        PackedBatch batch = PackedBatch.of(sequences);
        int[] labels = batch.nextTokenLabels();
        float[] logProbs = model.tokenLogProbs(batch, labels).toArray();
        double sum = 0;
        int count = 0;
        for (int t = 0; t < labels.length; t++) {
            if (labels[t] == PackedBatch.IGNORE) continue;
            sum += logProbs[t];
            count++;
        }
        return Math.exp(-sum / count);
    }

    @Test
    void perplexityOnTinyStoriesLikeTextIsFarBelowChance() {
        List<String> stories = List.of(
                "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
                "One day, a boy named Tom found a big red ball. He was very happy and wanted to play with his friends.",
                "The sun was shining and the birds were singing. Lily and her mom went to the park to have fun.");
        double ppl = perplexity(stories);
        System.out.printf("stories260K perplexity on %d TinyStories-like sentences: %.3f%n", stories.size(), ppl);
        assertTrue(ppl > 1 && ppl < 20, "perplexity " + ppl + " (chance is 512)");
        double shuffled = perplexity(List.of("park the outside girl Lily time loved named upon little a play was in there."));
        assertTrue(shuffled > 2 * ppl, "scrambled words " + shuffled + " must be much less likely than stories " + ppl);
    }

    /** Greedy decoding, a full forward pass per step (no KV cache): the argmax of the last row of the logits. */
    static int[] greedy(int[] prompt, int newTokens) {
        int[] tokens = Arrays.copyOf(prompt, prompt.length + newTokens);
        for (int n = prompt.length; n < tokens.length; n++) {
            Tensor logits = model.logits(PackedBatch.of(Arrays.copyOf(tokens, n))); // (n, V)
            tokens[n] = Reductions.argmax(ShapeOps.slice(logits, 0, n - 1, n), 1)[0];
        }
        return tokens;
    }

    @Test
    void greedyDecodingFromBosTellsLlama2cStory() {
        int[] tokens = greedy(new int[] {tokenizer.bosTokenId().orElseThrow()}, 60);
        String text = tokenizer.decode(tokens, true);
        System.out.println("stories260K greedy from BOS: " + text);
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw"
                + " a big, red ball. She wanted to play with it, but it was too high", text);
    }

    @Test
    void greedyContinuationOfAPromptIsEnglish() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        int[] tokens = greedy(prompt, 30);
        String continuation = tokenizer.decode(Arrays.copyOfRange(tokens, prompt.length, tokens.length), true);
        System.out.println("stories260K greedy after \"Once upon a time\": " + continuation);
        for (String word : List.of(" there", " was", " a", " little", " She")) {
            assertTrue(continuation.contains(word), "\"" + word + "\" in: " + continuation);
        }
    }
}
