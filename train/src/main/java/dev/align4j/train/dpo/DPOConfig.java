package dev.align4j.train.dpo;

import dev.align4j.train.Configs;
import dev.align4j.train.PreferenceConfig;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.DpoLossType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.OptionalDouble;

/**
 * TRL's {@code DPOConfig} (trl/trainer/dpo_config.py, TRL 1.x): the model, data and truncation
 * options of {@link PreferenceConfig}, the loss's, and {@code ref_model_name_or_path}, the folder
 * of what TRL passes as {@code ref_model}.
 * Defaults are TRL's where they differ from transformers': {@code learning_rate 1e-6},
 * {@code logging_steps 10}, {@code gradient_checkpointing true}, {@code max_length 1024}; the loss's
 * are the DPO paper's ({@code beta 0.1}, Rafailov et al. 2023, arXiv:2305.18290, §6).
 *
 * <p>{@code precompute_ref_log_probs} keeps TRL's meaning; its results are cached across runs
 * ({@link ReferenceLogps}) in {@code precompute_ref_cache_dir}, an align4j key.
 *
 * <p>What it is not: TRL's padding, dataset-processing and device options ({@code padding_value},
 * {@code dataset_num_proc}, {@code use_logits_to_keep}, {@code padding_free}: batches here are
 * always packed), nor {@code sync_ref_model} (TR-DPO) and {@code use_weighting} (WPO), which are
 * not built. {@code cdpo} is not a TRL 1.x key: it selects TRL ≤ 0.28's conservative DPO, see
 * {@link DpoLoss}.
 */
public class DPOConfig extends PreferenceConfig {
    /** A separate reference model folder (TRL's ref_model); unset: a frozen copy of the starting policy, or, with use_peft, the base with adapters off. */
    public String refModelNameOrPath;

    /** β: how far the policy may move from the reference (the DPO paper's 0.1; IPO's τ). */
    public double beta = 0.1;
    /** One loss type or a list of them combined by loss_weights (MPO): sigmoid, hinge, ipo, exo_pair, nca_pair, robust, bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm. */
    public List<String> lossType = new ArrayList<>(List.of("sigmoid"));
    /** One weight per loss type; unset is 1 each. */
    public List<Double> lossWeights;
    /** ε: robust's flip rate, EXO's ε, aot's smoothing (and sigmoid's with cdpo). */
    public double labelSmoothing = 0.0;
    /** Conservative DPO (TRL ≤ 0.28's label-smoothed sigmoid); not a TRL 1.x key. */
    public boolean cdpo = false;
    /** RPO's weight of the chosen completions' NLL (arXiv:2404.19733, which uses 1.0); unset adds none. */
    public Double rpoAlpha;
    /** Compare against a reference that gives every completion the same probability: no reference model. */
    public boolean referenceFree = false;
    /** DiscoPOP's τ. */
    public double discopopTau = 0.05;
    /** Compute the reference's log-probs of every pair once before training (cached on disk), so training runs without the reference model. */
    public boolean precomputeRefLogProbs = false;
    /** Pairs per batch of that pass; unset is per_device_train_batch_size. */
    public Integer precomputeRefBatchSize;
    /** Where precomputed reference log-probs are cached (not a TRL key); unset is $XDG_CACHE_HOME/align4j/ref_logps, else ~/.cache/align4j/ref_logps. */
    public String precomputeRefCacheDir;

    public DPOConfig() {
        learningRate = 1e-6;
        loggingSteps = 10;
        gradientCheckpointing = true;
    }

    @Override
    public void validate() {
        super.validate();
        if (refModelNameOrPath != null && usePeft) {
            throw bad("ref_model_name_or_path", refModelNameOrPath, "cannot be combined with use_peft, whose reference is the base with"
                    + " the adapters off (as TRL refuses a ref_model with a peft_config); drop one of them");
        }
        if (refModelNameOrPath != null && referenceFree) {
            throw bad("ref_model_name_or_path", refModelNameOrPath, "is unused with reference_free true; drop one of them");
        }
        if (precomputeRefLogProbs && referenceFree) {
            throw bad("precompute_ref_log_probs", true, "has nothing to compute with reference_free true; drop one of them");
        }
        if (precomputeRefBatchSize != null && precomputeRefBatchSize < 1) throw bad("precompute_ref_batch_size", precomputeRefBatchSize, "must be >= 1");
        try {
            lossOptions();
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("config: ") ? e : new IllegalArgumentException("config: " + e.getMessage(), e);
        }
    }

    /** The loss's settings. */
    public DpoLoss.Options lossOptions() {
        if (lossType == null || lossType.isEmpty()) throw bad("loss_type", lossType, "must name at least one loss type");
        List<DpoLossType> types = new ArrayList<>();
        for (String name : lossType) types.add(lossType(name));
        List<Double> weights = lossWeights != null ? lossWeights : Collections.nCopies(types.size(), 1.0);
        return new DpoLoss.Options(beta, types, weights, labelSmoothing, cdpo,
                rpoAlpha == null ? OptionalDouble.empty() : OptionalDouble.of(rpoAlpha), referenceFree, discopopTau);
    }

    /** The folder of the precomputed reference log-probs. */
    public java.nio.file.Path refLogpsCacheDir() {
        if (precomputeRefCacheDir != null) return java.nio.file.Path.of(precomputeRefCacheDir);
        String xdg = System.getenv("XDG_CACHE_HOME");
        java.nio.file.Path base = xdg != null && !xdg.isBlank() ? java.nio.file.Path.of(xdg)
                : java.nio.file.Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("align4j").resolve("ref_logps");
    }

    /** A loss type by TRL's name, or an error naming the nearest valid names. */
    private static DpoLossType lossType(String name) {
        for (DpoLossType t : DpoLossType.values()) if (t.trlName().equals(name)) return t;
        List<Object> names = new ArrayList<>(Arrays.stream(DpoLossType.values()).map(DpoLossType::trlName).toList());
        String near = Configs.suggest(String.valueOf(name), names);
        throw new IllegalArgumentException("config: loss_type \"" + name + "\" is not a DPO loss type"
                + (near.startsWith(" (") ? near : "") + "; the types are " + names);
    }
}
