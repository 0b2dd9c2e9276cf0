package dev.align4j.generate.text;

import dev.align4j.io.Fixtures;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A model folder for text tests: a tiny random Qwen3 with the real Qwen3 tokenizer and chat template (fixtures). */
final class ChatModelFolder {
    private ChatModelFolder() {}

    static Path make(Path dir) throws IOException {
        Path tokenizerFolder = Fixtures.tokenizer("qwen3");
        int vocab;
        try (Tokenizer t = Tokenizer.load(tokenizerFolder)) {
            vocab = t.vocabSize();
        }
        HfModels.save(LlamaModel.random(LlamaConfig.tiny("qwen3", vocab, 16, 1, 2, 1), 3, 0.5), dir, SaveOptions.defaults());
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(tokenizerFolder.resolve(f), dir.resolve(f));
        }
        return dir;
    }
}
