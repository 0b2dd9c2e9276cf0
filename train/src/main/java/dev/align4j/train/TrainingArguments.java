package dev.align4j.train;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.align4j.tensor.optim.LrSchedule;
import dev.align4j.tensor.optim.SchedulerType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options of the trainer loop, under the names and with the defaults of transformers'
 * {@code TrainingArguments} (training_args.py), so a TRL user's YAML reads here unchanged. Trainer
 * configs extend it with their method's options, as TRL's {@code SFTConfig} and {@code DPOConfig}
 * extend {@code TrainingArguments}. Fields are public and snake_case in YAML (Jackson maps
 * {@code learningRate} to {@code learning_rate}); {@link #validate} checks ranges with the field's name.
 *
 * <p>What it is not: every field of transformers' class. Distributed training, mixed precision,
 * hub pushing and reporting integrations have no meaning here and are not accepted (an unknown key is
 * an error, see {@link Configs}).
 */
public class TrainingArguments {
    /** Where checkpoints, metrics.jsonl and the final model go. */
    public String outputDir;
    /** AdamW's initial learning rate (transformers: 5e-5; trainer configs change it as TRL does). */
    public double learningRate = 5e-5;
    /** Decoupled weight decay of AdamW, on every parameter except biases and norm weights. */
    public double weightDecay = 0.0;
    public double adamBeta1 = 0.9;
    public double adamBeta2 = 0.999;
    public double adamEpsilon = 1e-8;
    /** Gradient clipping by global norm; 0 turns it off. */
    public double maxGradNorm = 1.0;
    public double numTrainEpochs = 3.0;
    /** When positive, the number of optimizer steps, overriding num_train_epochs. */
    public int maxSteps = -1;
    public String lrSchedulerType = "linear";
    /** Extra schedule options: {@code min_lr} or {@code min_lr_rate} for cosine_with_min_lr. */
    public Map<String, Double> lrSchedulerKwargs = new LinkedHashMap<>();
    public double warmupRatio = 0.0;
    /** When positive, overrides warmup_ratio. */
    public int warmupSteps = 0;
    public int perDeviceTrainBatchSize = 8;
    public int perDeviceEvalBatchSize = 8;
    public int gradientAccumulationSteps = 1;
    /** Log every this many optimizer steps (transformers: 500; TRL's configs: 10). */
    public int loggingSteps = 500;
    public boolean loggingFirstStep = false;
    /** "no", "steps" or "epoch". */
    public String evalStrategy = "no";
    /** Evaluate every this many steps under eval_strategy "steps"; unset means logging_steps. */
    public Integer evalSteps;
    /** "no", "steps" or "epoch". */
    public String saveStrategy = "steps";
    public int saveSteps = 500;
    /** Keep at most this many checkpoints, deleting the oldest; unset keeps all. */
    public Integer saveTotalLimit;
    public long seed = 42;
    /** A checkpoint folder, or "true" for the latest checkpoint in output_dir. */
    public String resumeFromCheckpoint;
    /** Keep only each layer's input and recompute the layer during backward. */
    public boolean gradientCheckpointing = false;
    /** TRL's ModelConfig: train LoRA adapters instead of every weight ({@link PeftArguments}). */
    public boolean usePeft = false;
    public int loraR = 16;
    public double loraAlpha = 32;
    public double loraDropout = 0.05;
    /** Module names, or "all-linear"; unset takes PEFT's default for the model type. */
    public java.util.List<String> loraTargetModules;
    public java.util.List<String> loraModulesToSave;
    public boolean useRslora = false;
    /** TRL's ModelConfig: quantise the base's linear layers to 4 bits as it loads (QLoRA); adapters only, so use_peft too. */
    @JsonProperty("load_in_4bit")
    public boolean loadIn4bit = false;
    /** "nf4" (the QLoRA paper's NormalFloat) or "fp4", as bitsandbytes names them. */
    @JsonProperty("bnb_4bit_quant_type")
    public String bnb4bitQuantType = "nf4";
    /** Double quantisation of the block scales (BitsAndBytesConfig's bnb_4bit_use_double_quant, accepted as an alias). */
    @JsonAlias("bnb_4bit_use_double_quant")
    public boolean useBnbNestedQuant = false;
    /** Show a progress bar on a terminal (plain lines otherwise); false prints only the logged metrics. */
    public boolean disableTqdm = false;

    /**
     * Checks every value's range.
     *
     * @throws IllegalArgumentException naming the field and the value
     */
    public void validate() {
        if (outputDir == null || outputDir.isBlank()) throw bad("output_dir", outputDir, "is required");
        positive("learning_rate", learningRate);
        if (weightDecay < 0) throw bad("weight_decay", weightDecay, "must be >= 0");
        if (!(adamBeta1 >= 0 && adamBeta1 < 1)) throw bad("adam_beta1", adamBeta1, "must be in [0, 1)");
        if (!(adamBeta2 >= 0 && adamBeta2 < 1)) throw bad("adam_beta2", adamBeta2, "must be in [0, 1)");
        positive("adam_epsilon", adamEpsilon);
        if (maxGradNorm < 0) throw bad("max_grad_norm", maxGradNorm, "must be >= 0 (0 turns clipping off)");
        if (maxSteps <= 0 && !(numTrainEpochs > 0)) throw bad("num_train_epochs", numTrainEpochs, "must be > 0 when max_steps is not set");
        SchedulerType.fromHfName(lrSchedulerType);
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw bad("warmup_ratio", warmupRatio, "must be in [0, 1]");
        if (warmupSteps < 0) throw bad("warmup_steps", warmupSteps, "must be >= 0");
        positive("per_device_train_batch_size", perDeviceTrainBatchSize);
        positive("per_device_eval_batch_size", perDeviceEvalBatchSize);
        positive("gradient_accumulation_steps", gradientAccumulationSteps);
        positive("logging_steps", loggingSteps);
        strategy("eval_strategy", evalStrategy);
        strategy("save_strategy", saveStrategy);
        if (evalSteps != null) positive("eval_steps", evalSteps);
        positive("save_steps", saveSteps);
        if (saveTotalLimit != null) positive("save_total_limit", saveTotalLimit);
        positive("lora_r", loraR);
        positive("lora_alpha", loraAlpha);
        if (!(loraDropout >= 0 && loraDropout < 1)) throw bad("lora_dropout", loraDropout, "must be in [0, 1)");
        if (!"nf4".equals(bnb4bitQuantType) && !"fp4".equals(bnb4bitQuantType)) {
            throw bad("bnb_4bit_quant_type", bnb4bitQuantType, "must be \"nf4\" or \"fp4\"");
        }
        if (loadIn4bit && !usePeft) {
            throw bad("load_in_4bit", true, "trains LoRA adapters on a frozen 4-bit base only: set use_peft true as well "
                    + "(a quantised model cannot be fine-tuned in full)");
        }
    }

    /** The learning-rate schedule over {@code totalSteps} optimizer steps, as transformers' get_scheduler builds it. */
    public LrSchedule schedule(int totalSteps) {
        SchedulerType type = SchedulerType.fromHfName(lrSchedulerType);
        int warmup = LrSchedule.warmupSteps(warmupSteps, warmupRatio, totalSteps);
        if (type != SchedulerType.COSINE_WITH_MIN_LR) return LrSchedule.of(type, learningRate, warmup, totalSteps);
        if (lrSchedulerKwargs.containsKey("min_lr")) {
            return LrSchedule.cosineWithMinLr(learningRate, warmup, totalSteps, lrSchedulerKwargs.get("min_lr"));
        }
        if (lrSchedulerKwargs.containsKey("min_lr_rate")) {
            return LrSchedule.cosineWithMinLrRate(learningRate, warmup, totalSteps, lrSchedulerKwargs.get("min_lr_rate"));
        }
        throw bad("lr_scheduler_kwargs", lrSchedulerKwargs, "needs min_lr or min_lr_rate for cosine_with_min_lr");
    }

    /** eval_steps, defaulting to logging_steps as transformers does. */
    public int evalEvery() {
        return evalSteps != null ? evalSteps : loggingSteps;
    }

    private static void strategy(String field, String value) {
        if (!"no".equals(value) && !"steps".equals(value) && !"epoch".equals(value)) {
            throw bad(field, value, "must be \"no\", \"steps\" or \"epoch\"");
        }
    }

    private static void positive(String field, double value) {
        if (!(value > 0)) throw bad(field, value, "must be > 0");
    }

    protected static IllegalArgumentException bad(String field, Object value, String problem) {
        return new IllegalArgumentException("config: " + field + " " + problem + ", got " + value);
    }
}
