package dev.align4j.models;

import dev.align4j.tensor.Linalg;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A causal LM's transformer with a linear score head instead of the output projection:
 * transformers' {@code GPT2ForSequenceClassification} / {@code LlamaForSequenceClassification} with
 * {@code num_labels = 1} — the reward model of RLHF, and PPO's value model.
 *
 * <p>What it is: {@code score(h) = h·wᵀ} on the final hidden states, with {@code score.weight} (1, C)
 * and no bias, as transformers' {@code score = nn.Linear(hidden_size, num_labels, bias=False)}. A
 * sequence's score is read at its last token that is not {@code pad_token_id} — transformers'
 * rule ({@code (token_indices * (input_ids != pad_token_id)).argmax(-1)}), kept so that a model
 * saved here scores a sequence in transformers as it does here. When {@code pad_token_id} equals
 * the EOS token (GPT-2, whose pad TRL sets to its EOS) a sequence ending in EOS is scored at the
 * token before it, exactly as in transformers; a sequence of pad tokens only is scored at its first
 * token. Without a pad token every sequence is scored at its last token. {@link #tokenScores} gives
 * the score at every token: PPO's value of each state.
 *
 * <p>What it is not: a language model. The backbone's output projection is never used (an untied
 * checkpoint's {@code lm_head.weight} is not loaded: transformers' sequence-classification classes
 * have none), so only {@link #hiddenStates} of the backbone is called.
 */
public final class ScoreModel {
    /** The head's Hugging Face name. */
    public static final String SCORE = "score.weight";

    private final CausalLM backbone;
    private final Tensor score; // (1, C)
    private final Integer padTokenId;

    /**
     * @param backbone   the transformer (its parameters keep the causal-LM class's names)
     * @param score      the head (1, C)
     * @param padTokenId {@code pad_token_id}, or null for none
     */
    public ScoreModel(CausalLM backbone, Tensor score, Integer padTokenId) {
        if (score.rank() != 2 || score.dim(0) != 1 || score.dim(1) != backbone.hiddenSize()) {
            throw new IllegalArgumentException("score model: tensor " + SCORE + " has shape " + java.util.Arrays.toString(score.shape())
                    + " but a reward or value head of this " + backbone.modelType() + " model is [1, " + backbone.hiddenSize()
                    + "] (num_labels 1)");
        }
        this.backbone = backbone;
        this.score = score.named(SCORE);
        this.padTokenId = padTokenId;
    }

    /**
     * A fresh head, drawn as transformers initialises a new {@code score} layer (normal with
     * std = {@code initializer_range}, 0.02 by default): what TRL's reward trainer starts from when
     * handed a causal LM.
     */
    public static Tensor newHead(int hiddenSize, long seed, double std) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] w = new float[hiddenSize];
        for (int i = 0; i < w.length; i++) w[i] = (float) (gaussian(rng) * std);
        return Tensor.of(w, 1, hiddenSize);
    }

    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble(), v = rng.nextDouble(); // Box–Muller, u in (0, 1]
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    public CausalLM backbone() {
        return backbone;
    }

    /** The head (1, C). */
    public Tensor head() {
        return score;
    }

    /** {@code pad_token_id}, or null. */
    public Integer padTokenId() {
        return padTokenId;
    }

    /** Every parameter by its Hugging Face name: the backbone's, then {@code score.weight}. */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> all = new LinkedHashMap<>(backbone.parameters());
        all.put(SCORE, score);
        return all;
    }

    /** The final hidden states (T, C) of the backbone. */
    public Tensor hiddenStates(PackedBatch batch) {
        return backbone.hiddenStates(batch);
    }

    /** The head on hidden states (T, C): scores (T). */
    public Tensor head(Tensor hidden) {
        return Linalg.linear(hidden, score, null).view(hidden.dim(0));
    }

    /** The score at every token (T): for a value model, the value of the state each token ends. */
    public Tensor tokenScores(PackedBatch batch) {
        return head(hiddenStates(batch));
    }

    /** One score per sequence (S, in the order of {@link PackedSegments#sequences()}), each read at {@link #scoredTokens}. */
    public Tensor sequenceScores(PackedBatch batch) {
        Tensor hidden = hiddenStates(batch);
        return head(ShapeOps.indexSelect(hidden, 0, scoredTokens(batch)));
    }

    /**
     * The row each sequence is scored at: its last token that is not the pad token, looking back
     * through its segment and then the shared prefix it extends; its first token when all are pad.
     */
    public int[] scoredTokens(PackedBatch batch) {
        PackedSegments segments = batch.segments();
        int[] tokens = batch.tokens(), sequences = segments.sequences(), rows = new int[sequences.length];
        for (int i = 0; i < sequences.length; i++) {
            int row = -1, first = -1;
            for (int s = sequences[i]; s >= 0 && row < 0; s = segments.prefix(s)) {
                first = segments.start(s);
                for (int t = segments.end(s) - 1; t >= segments.start(s); t--) {
                    if (padTokenId == null || tokens[t] != padTokenId) {
                        row = t;
                        break;
                    }
                }
            }
            rows[i] = row >= 0 ? row : first;
        }
        return rows;
    }
}
