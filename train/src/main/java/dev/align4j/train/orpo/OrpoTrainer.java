package dev.align4j.train.orpo;

import dev.align4j.data.Batch;
import dev.align4j.train.Objective;
import dev.align4j.train.Policy;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.dpo.PolicyPairObjective;
import dev.align4j.train.loss.OrpoLoss;

import java.io.IOException;

/**
 * Odds-ratio preference optimisation, as TRL's {@code ORPOTrainer}: supervised fine-tuning on the
 * chosen completions and a penalty on the odds of the rejected ones, in one stage and without a
 * reference model ({@link OrpoLoss}: Hong et al. 2024, arXiv:2403.07691, Eq. 6), with TRL's
 * {@code rewards/*}, {@code logps/*}, {@code logits/*}, {@code nll_loss}, {@code log_odds_ratio}
 * and {@code log_odds_chosen}.
 *
 * <p>The recipe is DPO's without the reference: load the model (LoRA adapters with
 * {@code use_peft}), turn preference rows into pairs, hand {@link PolicyPairObjective} to the shared
 * {@link TrainerLoop}; a batch is {@code per_device_train_batch_size} pairs, each prompt packed once,
 * shuffled each epoch with {@code seed + epoch}.
 */
public final class OrpoTrainer {
    private OrpoTrainer() {}

    /** A ready loop over the config's model and data (call {@link TrainerLoop#run}). */
    public static TrainerLoop<Batch> create(ORPOConfig c, Progress progress) throws IOException {
        c.validate();
        Policy policy = Policy.load(c, c.modelNameOrPath);
        PreferenceData.Pairs pairs = PreferenceData.Pairs.load(c, progress);
        progress.message("orpo: " + pairs.describe());
        PolicyPairObjective objective = new PolicyPairObjective(policy.model(), (batch, logps) -> {
            OrpoLoss.Result r = OrpoLoss.compute(c.beta, logps);
            return new Objective.Loss(r.loss(), r.metricSums());
        });
        return PreferenceData.loop(c, policy, objective, pairs, progress);
    }
}
