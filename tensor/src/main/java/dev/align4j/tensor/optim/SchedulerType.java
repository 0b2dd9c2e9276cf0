package dev.align4j.tensor.optim;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The learning-rate schedules align4j supports, under their Hugging Face {@code lr_scheduler_type}
 * names ({@code transformers.trainer_utils.SchedulerType}). A closed set: {@link LrSchedule}
 * switches over it exhaustively.
 *
 * <p>What it is not: HF's full list. {@code cosine_with_restarts}, {@code polynomial},
 * {@code inverse_sqrt}, {@code reduce_lr_on_plateau}, {@code cosine_warmup_with_min_lr} and
 * {@code warmup_stable_decay} are not implemented; {@link #fromHfName} says so.
 */
public enum SchedulerType {
    /** Warmup, then linear decay to 0 at {@code num_training_steps}. HF's default. */
    LINEAR("linear"),
    /** Warmup, then a half cosine from 1 to 0 ({@code num_cycles = 0.5}). */
    COSINE("cosine"),
    /** Warmup, then a half cosine from 1 to {@code min_lr_rate}. */
    COSINE_WITH_MIN_LR("cosine_with_min_lr"),
    /** Always 1; HF ignores the warmup for this type. */
    CONSTANT("constant"),
    /** Warmup, then 1. */
    CONSTANT_WITH_WARMUP("constant_with_warmup");

    private final String hfName;

    SchedulerType(String hfName) {
        this.hfName = hfName;
    }

    /** The {@code lr_scheduler_type} string, e.g. {@code "cosine_with_min_lr"}. */
    public String hfName() {
        return hfName;
    }

    /** The type named {@code name} in a TRL / HF config ({@code lr_scheduler_type}). */
    public static SchedulerType fromHfName(String name) {
        for (SchedulerType t : values()) {
            if (t.hfName.equals(name)) return t;
        }
        String supported = Arrays.stream(values()).map(t -> '"' + t.hfName + '"').collect(Collectors.joining(", "));
        throw new IllegalArgumentException("lr_scheduler_type: unsupported value \"" + name + "\"; supported are "
                + supported + " (cosine_with_restarts, polynomial, inverse_sqrt, reduce_lr_on_plateau,"
                + " cosine_warmup_with_min_lr and warmup_stable_decay are not implemented)");
    }
}
