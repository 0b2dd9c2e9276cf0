package dev.align4j.train.dpo;

import dev.align4j.data.Batch;
import dev.align4j.data.PreferenceProcessor;
import dev.align4j.io.hf.HfModels;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.train.PeftArguments;
import dev.align4j.train.Policy;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct preference optimisation, as TRL's {@code DPOTrainer}: the policy learns to prefer each
 * pair's chosen completion over its rejected one relative to a frozen reference, by the loss types
 * of {@link dev.align4j.train.loss.DpoLoss} ({@code L = −log σ(β·Δ)} for the paper's sigmoid,
 * Rafailov et al. 2023, arXiv:2305.18290, Eq. 7), with TRL's {@code rewards/*}, {@code logps/*}
 * and {@code logits/*} metrics.
 *
 * <p>The recipe, top to bottom: load the policy; turn the preference rows into token pairs
 * ({@link PreferenceProcessor}: explicit or implicit prompt, chat templates, truncation); choose
 * the reference — none with {@code reference_free}, the policy with its LoRA adapters off under
 * {@code use_peft} (TRL's PEFT path), else a frozen model loaded from
 * {@code ref_model_name_or_path} or, when unset, a second copy of the starting policy (TRL's
 * {@code create_reference_model}); hand {@link DpoObjective} to the shared {@link TrainerLoop}.
 * With {@code precompute_ref_log_probs} the reference runs once over the data before training
 * ({@link ReferenceLogps}, cached on disk) and not at all when the cache holds the run's data.
 * A batch is {@code per_device_train_batch_size} pairs, their 2B sequences packed with each
 * pair's prompt once (prefix sharing, {@link PreferenceData#batch}; no padding); each epoch
 * shuffles the pairs with {@code seed + epoch}.
 *
 * <p>What it is not: SftTrainer's packing of several examples into one row (a DPO pair is always
 * its own segments, as TRL's non-padding-free DPO).
 */
public final class DpoTrainer {
    private DpoTrainer() {}

    /** A ready loop over the config's model, reference and data (call {@link TrainerLoop#run}). */
    public static TrainerLoop<Batch> create(DPOConfig c, Progress progress) throws IOException {
        c.validate();
        Policy policy = Policy.load(c, c.modelNameOrPath);
        CausalLM model = policy.model();
        LoraModel lora = policy.lora();
        PreferenceData.Pairs pairs = PreferenceData.Pairs.load(c, progress);

        Path refDir = Path.of(c.refModelNameOrPath != null ? c.refModelNameOrPath : c.modelNameOrPath);
        DpoObjective.Reference live; // null until needed: with precomputed log-probs a cache hit never loads the reference
        if (c.referenceFree) live = new DpoObjective.Reference.None();
        else if (lora != null) live = new DpoObjective.Reference.AdaptersOff(lora);
        else live = c.precomputeRefLogProbs ? null : new DpoObjective.Reference.Frozen(HfModels.load(refDir).model());
        DpoObjective.Reference reference = live;
        if (c.precomputeRefLogProbs) {
            int perBatch = c.precomputeRefBatchSize != null ? c.precomputeRefBatchSize : c.perDeviceTrainBatchSize;
            List<Batch> all = new ArrayList<>(PreferenceData.batches(pairs.train(), perBatch, null, pairs.processor()));
            if (pairs.eval() != null) all.addAll(PreferenceData.batches(pairs.eval(), perBatch, null, pairs.processor()));
            String identity = ReferenceLogps.folderIdentity(refDir) + "\nloaded as: "
                    + (lora != null ? "the base with adapters off, 4-bit " + PeftArguments.quantization(c) : "float32");
            ReferenceLogps.Loaded table = ReferenceLogps.cached(c.refLogpsCacheDir(), identity, all, () -> new DpoObjective(model,
                    live != null ? live : new DpoObjective.Reference.Frozen(HfModels.load(refDir).model()), c.lossOptions())::referenceLogps);
            progress.message("reference log-probs of " + all.stream().mapToInt(b -> b.sequences() / 2).sum() + " pairs "
                    + (table.fromCache() ? "read from " + table.file() + " (the reference is not run)" : "computed and cached in " + table.file()));
            reference = new DpoObjective.Reference.Precomputed(table.table());
        }
        progress.message("dpo: " + pairs.describe() + "; reference: " + describe(reference, c));
        return PreferenceData.loop(c, policy, new DpoObjective(model, reference, c.lossOptions()), pairs, progress);
    }

    private static String describe(DpoObjective.Reference reference, DPOConfig c) {
        return switch (reference) {
            case DpoObjective.Reference.None() -> "none (reference_free)";
            case DpoObjective.Reference.AdaptersOff a -> "the base with the adapters off";
            case DpoObjective.Reference.Frozen f -> c.refModelNameOrPath != null ? c.refModelNameOrPath : "a frozen copy of the model";
            case DpoObjective.Reference.Precomputed p -> "log-probs precomputed (precompute_ref_log_probs)";
        };
    }
}
