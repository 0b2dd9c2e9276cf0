package dev.align4j.train.reward;

import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.ScoreModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a trained reward model for scoring (PPO's {@code reward_model_path}, {@code align4j score}):
 * a sequence-classification folder, or a PEFT adapter of task {@code SEQ_CLS} over its
 * {@code base_model_name_or_path}, as {@code align4j reward} writes them.
 *
 * <p>What it is not: a starting point for training a reward model (that is
 * {@link ScoreModels#load}, which also takes a causal LM): a folder with no trained score head is refused.
 */
public final class RewardModels {
    private RewardModels() {}

    /**
     * A reward model and the folder of its tokenizer.
     *
     * @param model     the reward model, its pad token set
     * @param tokenizer the folder holding its tokenizer files
     */
    public record Opened(ScoreModel model, Path tokenizer) {}

    /**
     * Opens the reward model in {@code folder}.
     *
     * @throws IllegalArgumentException naming the folder when it holds a causal LM or an adapter of another task
     */
    public static Opened open(Path folder) throws IOException {
        if (PeftAdapters.isAdapter(folder)) {
            PeftAdapters.Base base = PeftAdapters.base(folder);
            if (!base.taskType().equals("SEQ_CLS")) {
                throw new IllegalArgumentException(folder + ": the adapter's task_type is " + base.taskType() + ", not SEQ_CLS; a reward model"
                        + " adapter holds a score head (align4j reward --use_peft true writes one)");
            }
            Path tokenizerDir = Files.isRegularFile(folder.resolve("tokenizer.json")) ? folder : Path.of(base.modelNameOrPath());
            ScoreModels.Loaded loaded = ScoreModels.load(Path.of(base.modelNameOrPath()), LoadOptions.defaults(), null, 0);
            Integer pad = loaded.model().padTokenId() != null ? loaded.model().padTokenId() : padOrEos(tokenizerDir);
            ScoreModel model = new ScoreModel(loaded.model().backbone(), loaded.model().head(), pad);
            PeftAdapters.loadScoreAdapter(model, folder);
            return new Opened(model, tokenizerDir);
        }
        ScoreModels.Loaded loaded = ScoreModels.load(folder, LoadOptions.defaults(), null, 0);
        if (loaded.newHead()) {
            throw new IllegalArgumentException(folder + ": holds a causal LM (" + loaded.config().json().path("architectures")
                    + "), not a reward model: it has no trained score head. Train one with align4j reward");
        }
        return new Opened(loaded.model(), folder);
    }

    /** TRL's pad token when the config records none: the tokenizer's pad token, else its EOS; null when it has neither. */
    static Integer padOrEos(Tokenizer t) {
        return t.padTokenId().isPresent() ? Integer.valueOf(t.padTokenId().getAsInt())
                : t.eosTokenId().isPresent() ? Integer.valueOf(t.eosTokenId().getAsInt()) : null;
    }

    private static Integer padOrEos(Path tokenizerDir) {
        try (Tokenizer t = Tokenizer.load(tokenizerDir)) {
            return padOrEos(t);
        }
    }
}
