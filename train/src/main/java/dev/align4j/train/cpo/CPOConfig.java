package dev.align4j.train.cpo;

import dev.align4j.train.Configs;
import dev.align4j.train.PreferenceConfig;
import dev.align4j.train.loss.CpoLoss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * TRL's {@code CPOConfig} (trl/trainer/cpo_config.py, TRL 0.2x; in trl.experimental since 1.x):
 * the model, data and truncation options of {@link PreferenceConfig} and the loss's. Defaults are
 * TRL's: {@code learning_rate 1e-6}, {@code max_length 1024}, {@code max_prompt_length 512},
 * {@code beta 0.1}, {@code loss_type sigmoid}, {@code label_smoothing 0}, {@code cpo_alpha 1}
 * (CPO's behaviour-cloning weight, Xu et al. 2024, arXiv:2401.08417, Eq. 5), {@code simpo_gamma
 * 0.5}, {@code logging_steps 10}. SimPO is {@link SimPOConfig}.
 *
 * <p>What it is not: TRL's padding and dataset-processing options (batches here are packed).
 */
public class CPOConfig extends PreferenceConfig {
    /** β: the scale of the reward margin. */
    public double beta = 0.1;
    /** sigmoid, hinge, ipo or simpo. */
    public String lossType = "sigmoid";
    /** ε: the label smoothing of sigmoid and simpo. */
    public double labelSmoothing = 0.0;
    /** The weight of the chosen completions' NLL (0 for SimPO proper). */
    public double cpoAlpha = 1.0;
    /** SimPO's target reward margin γ (loss_type simpo only). */
    public double simpoGamma = 0.5;

    public CPOConfig() {
        learningRate = 1e-6;
        loggingSteps = 10;
        maxPromptLength = 512;
    }

    @Override
    public void validate() {
        super.validate();
        try {
            lossOptions();
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("config: ") ? e : new IllegalArgumentException("config: " + e.getMessage(), e);
        }
    }

    /** The loss's settings. */
    public CpoLoss.Options lossOptions() {
        return new CpoLoss.Options(beta, lossType(lossType), labelSmoothing, cpoAlpha, simpoGamma);
    }

    private static CpoLoss.Type lossType(String name) {
        for (CpoLoss.Type t : CpoLoss.Type.values()) if (t.trlName().equals(name)) return t;
        List<Object> names = new ArrayList<>(Arrays.stream(CpoLoss.Type.values()).map(CpoLoss.Type::trlName).toList());
        String near = Configs.suggest(String.valueOf(name), names);
        throw new IllegalArgumentException("config: loss_type \"" + name + "\" is not a CPO loss type"
                + (near.startsWith(" (") ? near : "") + "; the types are " + names);
    }
}
