package dev.align4j.train.loss;

import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;

import java.util.Arrays;

/**
 * One model's log-probabilities of a batch of preference pairs: for each pair, the summed
 * log-probability of the chosen and of the rejected completion given the prompt, and how many
 * completion tokens each sum runs over.
 *
 * <p>What it is not: per-token. The preference losses of this package are functions of these sums
 * (and of the averages the counts give), so a trainer reduces its token log-probs to them once;
 * where TRL needs a token mean over the batch (the NLL term of RPO, ORPO and CPO, and the
 * {@code sft} loss type) it is {@code −Σ chosen / Σ chosenTokens}, which these sums give exactly.
 *
 * <p>Based on the {@code chosen_logps} / {@code rejected_logps} of TRL's trainers
 * (trl/trainer/dpo_trainer.py: {@code per_token_logps.sum(dim=1)} over the completion mask;
 * orpo_trainer.py and cpo_trainer.py: {@code get_batch_logps} with {@code average_log_prob}).
 *
 * @param chosen         (B) summed log-probs of the chosen completions; may require gradients
 * @param rejected       (B) summed log-probs of the rejected completions; may require gradients
 * @param chosenTokens   (B) completion tokens in each chosen sum
 * @param rejectedTokens (B) completion tokens in each rejected sum
 */
public record PairLogps(Tensor chosen, Tensor rejected, int[] chosenTokens, int[] rejectedTokens) {
    public PairLogps {
        if (chosen.rank() != 1 || chosen.dim(0) < 1) {
            throw new IllegalArgumentException("PairLogps: chosen must be a (B) vector with B ≥ 1, got " + chosen.describe());
        }
        int b = chosen.dim(0);
        if (!Arrays.equals(rejected.shape(), chosen.shape()) || chosenTokens.length != b || rejectedTokens.length != b) {
            throw new IllegalArgumentException("PairLogps: chosen " + chosen.describe() + ", rejected " + rejected.describe() + ", "
                    + chosenTokens.length + " chosen and " + rejectedTokens.length + " rejected token counts; all must have one entry per pair");
        }
        for (int i = 0; i < b; i++) {
            if (chosenTokens[i] < 0 || rejectedTokens[i] < 0) {
                throw new IllegalArgumentException("PairLogps: pair " + i + " has a negative token count");
            }
        }
        chosenTokens = chosenTokens.clone();
        rejectedTokens = rejectedTokens.clone();
    }

    /** Number of pairs B. */
    public int pairs() {
        return chosen.dim(0);
    }

    @Override
    public int[] chosenTokens() {
        return chosenTokens.clone();
    }

    @Override
    public int[] rejectedTokens() {
        return rejectedTokens.clone();
    }

    /** (B) the chosen log-probs averaged over their tokens (a sum over no token stays 0, as TRL's {@code clamp(min=1)}). */
    public Tensor chosenMean() {
        return perToken(chosen, chosenTokens);
    }

    /** (B) the rejected log-probs averaged over their tokens. */
    public Tensor rejectedMean() {
        return perToken(rejected, rejectedTokens);
    }

    /**
     * () the negative log-likelihood of the chosen completions per token over the batch,
     * {@code −Σ_i chosen_i / Σ_i chosenTokens_i}: PyTorch's {@code cross_entropy} over the chosen
     * completion tokens, as TRL's {@code nll_loss} computes it.
     */
    public Tensor chosenNll() {
        long tokens = 0;
        for (int n : chosenTokens) tokens += n;
        return Elementwise.mulScalar(Reductions.sum(chosen), (float) (-1.0 / Math.max(1, tokens)));
    }

    /** (B) a scalar term repeated for every pair, so that its sum over pairs is B times it (a batch mean added to each pair's loss). */
    static Tensor perPair(Tensor scalar, int pairs) {
        return ShapeOps.expand(scalar, pairs);
    }

    static Tensor perToken(Tensor sums, int[] tokens) {
        float[] inverse = new float[tokens.length];
        for (int i = 0; i < tokens.length; i++) inverse[i] = 1f / Math.max(1, tokens[i]);
        return Elementwise.mul(sums, Tensor.of(inverse, tokens.length));
    }
}
