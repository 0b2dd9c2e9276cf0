package dev.align4j.train.grpo;

import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.loss.RlooLoss;
import dev.align4j.train.rewards.RewardFunctions;

import java.io.IOException;

/**
 * REINFORCE leave-one-out, as TRL's {@code RLOOTrainer} (TRL 1.x): GRPO's generation rounds — k =
 * {@code num_generations} completions per prompt from the engine, the same reward functions — with
 * RLOO's advantages (each completion's reward, less β times its sequence's log-ratio to the
 * reference, against the mean of its k − 1 siblings') and its clipped loss on whole-sequence
 * log-probs ({@link RlooLoss}; Ahmadian et al. 2024, arXiv:2402.14740). The policy's log-probs at
 * generation are always taken: the loss's ratio and the KL penalty both read them.
 *
 * <p>What differs from {@link GrpoTrainer} is only the advantages and the loss; the rest (rounds,
 * reward functions, the shared loop, checkpoints, completions.jsonl, the reference) is the same.
 */
public final class RlooTrainer {
    private RlooTrainer() {}

    /** A ready loop (call {@link TrainerLoop#run}). */
    public static TrainerLoop<?> create(RLOOConfig c, Progress progress) throws IOException {
        GrpoTrainer.Loaded l = GrpoTrainer.load(c, "rloo", progress);
        GrpoRollouts.Advantages advantages = new GrpoRollouts.Advantages() {
            @Override
            public dev.align4j.train.loss.GrpoAdvantages.Result compute(RewardFunctions.Result r, java.util.List<GrpoRollouts.Sample> samples,
                                                                        float[][] old, float[][] ref) {
                return RlooLoss.advantages(unscorableAsNaN(r), c.numGenerations, c.beta, old, ref, c.clipRange(), c.normalizeAdvantages);
            }

            @Override
            public boolean needsOld() {
                return true;
            }
        };
        return GrpoTrainer.run(c, advantages, new RlooStep(c), l.policy(), l.reference(), l.prompts(), l.rewards(), l.decode(), l.stop(),
                progress).loop();
    }

    /** The weighted rewards, NaN where no reward function applies (TRL's unscorable completions). */
    static double[] unscorableAsNaN(RewardFunctions.Result r) {
        double[] out = r.totals().clone();
        for (int i = 0; i < out.length; i++) {
            boolean any = false;
            for (var scores : r.scores()) any |= scores.get(i) != null;
            if (!any) out[i] = Double.NaN;
        }
        return out;
    }
}
