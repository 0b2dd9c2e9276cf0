package dev.align4j.train.orpo;

import dev.align4j.train.PreferenceConfig;

/**
 * TRL's {@code ORPOConfig} (trl/trainer/orpo_config.py, TRL 0.2x; in trl.experimental since 1.x):
 * the model, data and truncation options of {@link PreferenceConfig} and ORPO's λ, which TRL calls
 * {@code beta}. Defaults are TRL's: {@code learning_rate 1e-6}, {@code max_length 1024},
 * {@code max_prompt_length 512}, {@code beta 0.1} (the ORPO paper's λ, Hong et al. 2024,
 * arXiv:2403.07691, §6.1), {@code logging_steps 10}.
 *
 * <p>What it is not: TRL's padding and dataset-processing options (batches here are packed).
 */
public class ORPOConfig extends PreferenceConfig {
    /** λ, the weight of the odds-ratio term against the chosen completions' NLL. */
    public double beta = 0.1;

    public ORPOConfig() {
        learningRate = 1e-6;
        loggingSteps = 10;
        maxPromptLength = 512;
    }

    @Override
    public void validate() {
        super.validate();
        if (!(beta > 0) || !Double.isFinite(beta)) throw bad("beta", beta, "must be > 0");
    }
}
