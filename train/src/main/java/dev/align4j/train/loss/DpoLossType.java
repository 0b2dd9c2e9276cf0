package dev.align4j.train.loss;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The DPO loss types of TRL 1.x's {@code DPOConfig.loss_type}, each with its paper. The equations
 * are in {@link DpoLoss}; here are only the names, as a closed set an exhaustive {@code switch}
 * covers.
 *
 * <p>Based on {@code DPOConfig.loss_type} and {@code DPOTrainer._compute_loss}
 * (trl/trainer/dpo_config.py, trl/trainer/dpo_trainer.py, TRL 1.x; {@code sigmoid_norm} from TRL
 * PR #5406).
 */
public enum DpoLossType {
    /** DPO, Rafailov et al. 2023, "Direct Preference Optimization" (arXiv:2305.18290), Eq. 7. */
    SIGMOID,
    /** SLiC's hinge on the reward margin, Zhao et al. 2023 (arXiv:2305.10425), Eq. 6 as RSO writes it (arXiv:2309.06657). */
    HINGE,
    /** IPO, Azar et al. 2023, "A General Theoretical Paradigm…" (arXiv:2310.12036), Eq. 17, on per-token log-ratios. */
    IPO,
    /** EXO, pairwise form, Ji et al. 2024, "Towards Efficient Exact Optimization…" (arXiv:2402.00856), Eq. 16. */
    EXO_PAIR,
    /** NCA, pairwise form, Chen et al. 2024, "Noise Contrastive Alignment…" (arXiv:2402.05369). */
    NCA_PAIR,
    /** Robust DPO, Chowdhury et al. 2024, "Provably Robust DPO" (arXiv:2403.00409), Eq. 21. */
    ROBUST,
    /** BCO, pairwise form, Jung et al. 2024, "Binary Classifier Optimization…" (arXiv:2404.04656). */
    BCO_PAIR,
    /** SPPO with hard labels, Wu et al. 2024, "Self-Play Preference Optimization" (arXiv:2405.00675), Eq. 4.7. */
    SPPO_HARD,
    /** AOT for paired data, Melnyk et al. 2024, "Distributional Preference Alignment…" (arXiv:2406.05882). */
    AOT,
    /** AOT for unpaired data, same paper. */
    AOT_UNPAIRED,
    /** APO-zero, D'Oosterlinck et al. 2024, "Anchored Preference Optimization…" (arXiv:2408.06266), Eq. 7. */
    APO_ZERO,
    /** APO-down, same paper, Eq. 8. */
    APO_DOWN,
    /** DiscoPOP, Chris Lu et al. 2024, "Discovering Preference Optimization Algorithms…" (arXiv:2406.08414), Eq. 5. */
    DISCOPOP,
    /** The NLL of the chosen completions alone (the generation term of MPO, Wang et al. 2024, arXiv:2411.10442). */
    SFT,
    /** DPO on per-token log-ratios (SimPO's length normalisation, Meng et al. 2024, arXiv:2405.14734, with the reference kept). */
    SIGMOID_NORM;

    /** TRL's name: {@code "sigmoid"}, {@code "exo_pair"}, … */
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The type TRL calls {@code name}.
     *
     * @throws IllegalArgumentException listing the valid names when there is no such type
     */
    public static DpoLossType of(String name) {
        for (DpoLossType t : values()) {
            if (t.trlName().equals(name)) return t;
        }
        throw new IllegalArgumentException("loss_type \"" + name + "\" is not a DPO loss type; use one of "
                + Arrays.stream(values()).map(DpoLossType::trlName).collect(Collectors.joining(", ")));
    }
}
