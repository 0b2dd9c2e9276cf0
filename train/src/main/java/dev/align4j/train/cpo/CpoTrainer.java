package dev.align4j.train.cpo;

import dev.align4j.data.Batch;
import dev.align4j.train.Objective;
import dev.align4j.train.Policy;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.dpo.PolicyPairObjective;
import dev.align4j.train.loss.CpoLoss;

import java.io.IOException;

/**
 * Contrastive preference optimisation and SimPO, as TRL's {@code CPOTrainer}: a reference-free
 * preference loss on the policy's log-probs plus {@code cpo_alpha} times the chosen completions'
 * NLL ({@link CpoLoss}: CPO, Xu et al. 2024, arXiv:2401.08417; SimPO, Meng et al. 2024,
 * arXiv:2405.14734, with {@code loss_type simpo} and {@code cpo_alpha 0}), with TRL's
 * {@code rewards/*}, {@code logps/*}, {@code logits/*} and {@code nll_loss}.
 *
 * <p>The recipe is ORPO's, line for line, with this loss: load the model (LoRA adapters with
 * {@code use_peft}), turn preference rows into pairs, hand {@link PolicyPairObjective} to the shared
 * {@link TrainerLoop}; a batch is {@code per_device_train_batch_size} pairs, each prompt packed once,
 * shuffled each epoch with {@code seed + epoch}.
 */
public final class CpoTrainer {
    private CpoTrainer() {}

    /** A ready loop over the config's model and data (call {@link TrainerLoop#run}). */
    public static TrainerLoop<Batch> create(CPOConfig c, Progress progress) throws IOException {
        c.validate();
        Policy policy = Policy.load(c, c.modelNameOrPath);
        PreferenceData.Pairs pairs = PreferenceData.Pairs.load(c, progress);
        progress.message("cpo (loss_type " + c.lossType + "): " + pairs.describe());
        CpoLoss.Options options = c.lossOptions();
        PolicyPairObjective objective = new PolicyPairObjective(policy.model(), (batch, logps) -> {
            CpoLoss.Result r = CpoLoss.compute(options, logps);
            return new Objective.Loss(r.loss(), r.metricSums());
        });
        return PreferenceData.loop(c, policy, objective, pairs, progress);
    }
}
