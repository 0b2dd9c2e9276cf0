package dev.align4j.train.kto;

import dev.align4j.train.Configs;
import dev.align4j.train.PreferenceConfig;
import dev.align4j.train.loss.KtoLoss;

import java.util.List;

/**
 * TRL's {@code KTOConfig} (trl/trainer/kto_config.py): the model, data and truncation options of
 * {@link PreferenceConfig}, the loss's, and {@code ref_model_name_or_path} (TRL's
 * {@code ref_model}). Defaults are TRL's: {@code learning_rate 1e-6}, {@code max_length 1024},
 * {@code max_prompt_length 512}, {@code beta 0.1}, {@code desirable_weight} and
 * {@code undesirable_weight} 1 (the KTO paper's λ_D = λ_U = 1 for balanced data; Ethayarajh et al.
 * 2024, arXiv:2402.01306, §4.2, which advises λ_D·n_D / (λ_U·n_U) in [1, 4/3]),
 * {@code loss_type kto}, {@code logging_steps 10}.
 *
 * <p>What it is not: TRL's padding, dataset-processing and precomputation options
 * ({@code precompute_ref_log_probs} is DPO's only here).
 */
public class KTOConfig extends PreferenceConfig {
    /** A separate reference model folder (TRL's ref_model); unset: a frozen copy of the starting policy, or, with use_peft, the base with adapters off. */
    public String refModelNameOrPath;
    /** β: how far the policy may move from the reference. */
    public double beta = 0.1;
    /** λ_D, the weight of desirable completions' losses. */
    public double desirableWeight = 1.0;
    /** λ_U, the weight of undesirable completions' losses. */
    public double undesirableWeight = 1.0;
    /** "kto" or "apo_zero_unpaired". */
    public String lossType = "kto";

    public KTOConfig() {
        learningRate = 1e-6;
        loggingSteps = 10;
        maxPromptLength = 512;
    }

    @Override
    public void validate() {
        super.validate();
        if (refModelNameOrPath != null && usePeft) {
            throw bad("ref_model_name_or_path", refModelNameOrPath, "cannot be combined with use_peft, whose reference is the base with"
                    + " the adapters off (as TRL refuses a ref_model with a peft_config); drop one of them");
        }
        try {
            lossOptions();
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("config: ") ? e : new IllegalArgumentException("config: " + e.getMessage(), e);
        }
        if (lossOptions().lossType() == KtoLoss.Type.KTO && perDeviceTrainBatchSize < 2) {
            throw bad("per_device_train_batch_size", perDeviceTrainBatchSize, "must be >= 2 for loss_type kto, whose KL estimate pairs"
                    + " each prompt with another example's completion in the batch");
        }
    }

    /** The loss's settings. */
    public KtoLoss.Options lossOptions() {
        KtoLoss.Type type = switch (lossType) {
            case "kto" -> KtoLoss.Type.KTO;
            case "apo_zero_unpaired" -> KtoLoss.Type.APO_ZERO_UNPAIRED;
            default -> {
                String near = Configs.suggest(String.valueOf(lossType), List.<Object>of("kto", "apo_zero_unpaired"));
                throw new IllegalArgumentException("config: loss_type \"" + lossType + "\" is not a KTO loss type"
                        + (near.startsWith(" (") ? near : "") + "; the types are [kto, apo_zero_unpaired]");
            }
        };
        return new KtoLoss.Options(beta, desirableWeight, undesirableWeight, type);
    }
}
