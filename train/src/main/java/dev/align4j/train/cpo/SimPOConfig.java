package dev.align4j.train.cpo;

/**
 * SimPO as TRL runs it (docs/source/cpo_trainer.md, "Simple Preference Optimization"): a
 * {@link CPOConfig} with {@code loss_type simpo} and {@code cpo_alpha 0}, the rest CPOConfig's
 * defaults ({@code beta 0.1}, {@code simpo_gamma 0.5}). SimPO's loss is Meng et al. 2024,
 * arXiv:2405.14734, Eq. 6; its authors tune β in [2, 2.5] with γ/β ≈ 0.5 for 7–8B models
 * (their README), which {@code --beta} and {@code --simpo_gamma} set.
 */
public class SimPOConfig extends CPOConfig {
    public SimPOConfig() {
        lossType = "simpo";
        cpoAlpha = 0.0;
    }
}
