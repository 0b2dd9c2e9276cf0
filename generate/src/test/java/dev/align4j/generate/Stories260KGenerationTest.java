package dev.align4j.generate;

import dev.align4j.io.Fixtures;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine on a real pretrained model: Karpathy's stories260K (llama2.c, converted to the HF Llama
 * layout; {@code shared/fixtures/models/stories260K}). Greedy decoding from BOS must tell the story
 * llama2.c's {@code run.c} prints at temperature 0 (llama2.c {@code doc/stories260K.md}), alone and
 * while other prompts come and go in the batch. Skipped, with a message, when the fixtures are absent.
 */
class Stories260KGenerationTest {
    static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
            + " One day, she saw a big, red ball. She wanted to play with it, but it was too high";

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
    void greedyFromBosTellsLlama2cStory() {
        int bos = tokenizer.bosTokenId().orElseThrow();
        Completion c = new Generator(model, 1).generate(new int[] {bos}, SamplingParams.greedy(60)).getFirst();
        assertEquals(STORY, tokenizer.decode(c.tokenIds(), true));
    }

    @Test
    void theStoryIsTheSameAmongOtherPromptsJoiningAndLeaving() {
        int bos = tokenizer.bosTokenId().orElseThrow();
        List<Request> requests = List.of(
                new Request(tokenizer.encode("The cat sat", true), SamplingParams.sample(2, 7, 0.8, 5)),
                new Request(new int[] {bos}, SamplingParams.greedy(60)),
                new Request(tokenizer.encode("Tom had a dog", true), SamplingParams.sample(1, 25, 1.0, 6)),
                new Request(tokenizer.encode("One day", true), SamplingParams.greedy(3)));
        List<List<Completion>> out = new Generator(model, 3).generate(requests);
        assertEquals(STORY, tokenizer.decode(out.get(1).getFirst().tokenIds(), true));
        System.out.println("stories260K, \"Tom had a dog\" at T=1: " + tokenizer.decode(out.get(2).getFirst().tokenIds(), true));
    }
}
