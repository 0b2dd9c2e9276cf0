package dev.align4j.tensor.optim;

/**
 * A learning-rate schedule with the semantics of Hugging Face {@code transformers.get_scheduler}
 * ({@code src/transformers/optimization.py}): a {@code LambdaLR} whose learning rate at scheduler
 * step {@code s} is {@code baseLearningRate · λ(s)}. The first optimizer step uses {@code s = 0},
 * so with warmup it runs at learning rate 0, as HF's Trainer does.
 *
 * <p>With {@code W = numWarmupSteps}, {@code T = numTrainingSteps}, and during warmup
 * ({@code s < W}) {@code λ(s) = s / max(1, W)} for every type but {@code constant}:
 * <ul>
 * <li>{@code constant}: {@code λ = 1} (HF ignores the warmup for this type; so does this class).
 * <li>{@code constant_with_warmup}: {@code λ = 1} after warmup.
 * <li>{@code linear}: {@code λ = max(0, (T − s) / max(1, T − W))}
 *     ({@code _get_linear_schedule_with_warmup_lr_lambda}).
 * <li>{@code cosine}: {@code λ = max(0, ½(1 + cos(π·c·2·p)))} with {@code p = (s − W) / max(1, T − W)}
 *     and {@code c = num_cycles = 0.5} ({@code _get_cosine_schedule_with_warmup_lr_lambda}).
 * <li>{@code cosine_with_min_lr}: the cosine factor {@code f} rescaled to
 *     {@code max(0, f·(1 − r) + r)} with {@code r = min_lr_rate}, or {@code min_lr / base_lr} when
 *     {@code min_lr} is given ({@code get_cosine_with_min_lr_schedule_with_warmup}).
 * </ul>
 * Arithmetic in double as Python's floats; {@code Math.cos} may differ from C's {@code cos} in the
 * last bit.
 *
 * <p>What it is not: stateful. The trainer keeps the step (HF checkpoints it as the scheduler's
 * {@code last_epoch}) and asks for {@link #learningRate(int)}. Validation is stricter than HF's:
 * the warmup may not exceed the training steps and a step past the end is an error.
 *
 * @param type             the schedule
 * @param baseLearningRate the learning rate λ scales ({@code learning_rate}), {@code >= 0}
 * @param numWarmupSteps   W, in {@code [0, numTrainingSteps]}
 * @param numTrainingSteps T, the total optimizer steps ({@code max_steps}), {@code >= 1}
 * @param minLrRate        r for {@code cosine_with_min_lr}, in {@code [0, 1]}; 0 for every other type
 */
public record LrSchedule(SchedulerType type, double baseLearningRate, int numWarmupSteps, int numTrainingSteps,
                         double minLrRate) {
    /** HF's default {@code num_cycles} for the cosine schedules: half a cosine wave, 1 down to 0. */
    public static final double NUM_CYCLES = 0.5;

    public LrSchedule {
        if (type == null) throw new IllegalArgumentException("LrSchedule: type is null");
        String where = "LrSchedule(" + type.hfName() + "): ";
        if (!(baseLearningRate >= 0) || Double.isInfinite(baseLearningRate)) {
            throw new IllegalArgumentException(where + "learning_rate must be finite and >= 0, got " + baseLearningRate);
        }
        if (numTrainingSteps < 1) {
            throw new IllegalArgumentException(where + "num_training_steps must be >= 1, got " + numTrainingSteps);
        }
        if (numWarmupSteps < 0 || numWarmupSteps > numTrainingSteps) {
            throw new IllegalArgumentException(where + "num_warmup_steps must be in [0, num_training_steps = "
                    + numTrainingSteps + "], got " + numWarmupSteps);
        }
        if (type == SchedulerType.COSINE_WITH_MIN_LR) {
            if (!(minLrRate >= 0 && minLrRate <= 1)) {
                throw new IllegalArgumentException(where + "min_lr_rate must be in [0, 1], got " + minLrRate
                        + " (min_lr must lie between 0 and learning_rate)");
            }
        } else if (minLrRate != 0) {
            throw new IllegalArgumentException(where + "min_lr_rate applies only to cosine_with_min_lr, got " + minLrRate);
        }
    }

    /** A schedule of any type but {@code cosine_with_min_lr}, which needs its minimum: see {@link #cosineWithMinLrRate}. */
    public static LrSchedule of(SchedulerType type, double baseLearningRate, int numWarmupSteps, int numTrainingSteps) {
        if (type == SchedulerType.COSINE_WITH_MIN_LR) {
            throw new IllegalArgumentException("LrSchedule(cosine_with_min_lr): needs min_lr or min_lr_rate"
                    + " (lr_scheduler_kwargs); use cosineWithMinLr or cosineWithMinLrRate");
        }
        return new LrSchedule(type, baseLearningRate, numWarmupSteps, numTrainingSteps, 0);
    }

    /** {@code cosine_with_min_lr} ending at {@code minLrRate · baseLearningRate}. */
    public static LrSchedule cosineWithMinLrRate(double baseLearningRate, int numWarmupSteps, int numTrainingSteps,
                                                 double minLrRate) {
        return new LrSchedule(SchedulerType.COSINE_WITH_MIN_LR, baseLearningRate, numWarmupSteps, numTrainingSteps,
                minLrRate);
    }

    /** {@code cosine_with_min_lr} ending at the absolute {@code minLr}: HF's {@code min_lr_rate = min_lr / lr}. */
    public static LrSchedule cosineWithMinLr(double baseLearningRate, int numWarmupSteps, int numTrainingSteps,
                                             double minLr) {
        if (!(baseLearningRate > 0)) {
            throw new IllegalArgumentException("LrSchedule(cosine_with_min_lr): min_lr needs learning_rate > 0, got "
                    + baseLearningRate + "; give min_lr_rate instead");
        }
        return cosineWithMinLrRate(baseLearningRate, numWarmupSteps, numTrainingSteps, minLr / baseLearningRate);
    }

    /**
     * Hugging Face's {@code TrainingArguments.get_warmup_steps}: {@code warmup_steps} when positive,
     * else {@code ceil(num_training_steps · warmup_ratio)} in double (so a ratio of 0.07 of 100 steps
     * gives 8, since {@code 100 · 0.07 = 7.000000000000001}, exactly as in Python).
     */
    public static int warmupSteps(int warmupSteps, double warmupRatio, int numTrainingSteps) {
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + warmupRatio);
        }
        if (numTrainingSteps < 1) {
            throw new IllegalArgumentException("num_training_steps must be >= 1, got " + numTrainingSteps);
        }
        return warmupSteps > 0 ? warmupSteps : (int) Math.ceil(numTrainingSteps * warmupRatio);
    }

    /** The learning rate for scheduler step {@code step} ({@code 0} for the first optimizer step). */
    public double learningRate(int step) {
        return baseLearningRate * multiplier(step);
    }

    /** λ(step), the factor on the base learning rate, for {@code step} in {@code [0, numTrainingSteps]}. */
    public double multiplier(int step) {
        if (step < 0 || step > numTrainingSteps) {
            throw new IllegalArgumentException("LrSchedule(" + type.hfName() + "): step " + step
                    + " outside [0, num_training_steps = " + numTrainingSteps + "]");
        }
        if (type != SchedulerType.CONSTANT && step < numWarmupSteps) {
            return (double) step / Math.max(1, numWarmupSteps);
        }
        double progress = (double) (step - numWarmupSteps) / Math.max(1, numTrainingSteps - numWarmupSteps);
        return switch (type) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (numTrainingSteps - step) / Math.max(1, numTrainingSteps - numWarmupSteps));
            case COSINE -> Math.max(0.0, cosineFactor(progress));
            case COSINE_WITH_MIN_LR -> Math.max(0.0, cosineFactor(progress) * (1 - minLrRate) + minLrRate);
        };
    }

    private static double cosineFactor(double progress) {
        return 0.5 * (1.0 + Math.cos(Math.PI * NUM_CYCLES * 2.0 * progress));
    }
}
