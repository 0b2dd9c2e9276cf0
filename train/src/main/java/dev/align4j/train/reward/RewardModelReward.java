package dev.align4j.train.reward;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.ScoreModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.train.rewards.RewardFunction;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A trained reward model as a GRPO reward function (a {@code reward_funcs} entry that is a folder,
 * as TRL takes a model id): each completion is scored after its prompt, in packed batches.
 *
 * <p>The text is tokenized as {@code align4j reward} tokenized the model's training pairs, so the
 * score is read where the model learned to put it: a standard prompt as
 * {@code tokenizer(prompt + completion + eos_token)}; a conversation (the row's {@code prompt} is
 * messages) rendered by the chat template with the completion as the assistant's message.
 * Deviation from TRL's GRPOTrainer, which scores {@code prompt + completion} without the EOS the
 * reward trainer appended, so for a tokenizer whose pad token is not its EOS it reads the score at
 * another token than training did.
 */
public final class RewardModelReward implements RewardFunction {
    private static final int PER_PASS = 16;

    private final String name;
    private final ScoreModel model;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final String eos;

    private RewardModelReward(String name, ScoreModel model, Tokenizer tokenizer) {
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = tokenizer.config().chatTemplate().isPresent() ? ChatTemplate.of(tokenizer) : null;
        this.eos = tokenizer.config().token("eos_token").orElseThrow(() -> new IllegalArgumentException(tokenizer.config().source()
                + " sets no eos_token, which ends every scored completion"));
    }

    /** The reward model in {@code folder} ({@link RewardModels#open}), named as TRL names it: the folder's name. */
    public static RewardModelReward open(Path folder) throws IOException {
        RewardModels.Opened opened = RewardModels.open(folder);
        Path name = folder.toAbsolutePath().normalize().getFileName();
        return new RewardModelReward(name == null ? folder.toString() : name.toString(), opened.model(), Tokenizer.load(opened.tokenizer()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<Double> score(List<Sample> batch) {
        List<int[]> sequences = new ArrayList<>(batch.size());
        for (Sample s : batch) sequences.add(ids(s));
        List<Double> out = new ArrayList<>(batch.size());
        for (int from = 0; from < sequences.size(); from += PER_PASS) {
            float[] scores;
            try (var g = Autograd.noGrad()) {
                scores = model.sequenceScores(PackedBatch.of(sequences.subList(from, Math.min(from + PER_PASS, sequences.size())))).toArray();
            }
            for (float v : scores) out.add((double) v);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private int[] ids(Sample s) {
        ObjectNode row = s.row();
        if (row.path("prompt").isTextual() || template == null) return tokenizer.encode(s.prompt() + s.completion() + eos, true);
        List<Map<String, Object>> messages = new ArrayList<>(JsonLines.MAPPER.convertValue(row.get("prompt"), List.class));
        messages.add(Map.of("role", "assistant", "content", s.completion()));
        List<Map<String, Object>> tools = null;
        if (row.hasNonNull("tools")) { // validated by Prompts.load; a JSON string as TRL accepts it
            try {
                var t = row.get("tools").isTextual() ? JsonLines.MAPPER.readTree(row.get("tools").asText()) : row.get("tools");
                tools = JsonLines.MAPPER.convertValue(t, List.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("tools: not valid JSON: " + e.getOriginalMessage(), e);
            }
        }
        Map<String, Object> kwargs = row.hasNonNull("chat_template_kwargs")
                ? JsonLines.MAPPER.convertValue(row.get("chat_template_kwargs"), Map.class) : Map.of();
        return ChatTemplate.tokenizeRendered(tokenizer, template.render(messages, tools, false, kwargs));
    }
}
