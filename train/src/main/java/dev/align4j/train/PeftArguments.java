package dev.align4j.train;

import dev.align4j.models.CausalLM;
import dev.align4j.models.Quantization;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.tensor.QuantType;

import java.util.List;
import java.util.Map;

/**
 * TRL's {@code ModelConfig} LoRA options (trl/trainer/model_config.py), accepted by every trainer's
 * config beside its own: {@code use_peft}, {@code lora_r}, {@code lora_alpha}, {@code lora_dropout},
 * {@code lora_target_modules}, {@code lora_modules_to_save}, {@code use_rslora}. Without target
 * modules, PEFT's default for the model type applies
 * ({@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING}: q_proj and v_proj for the Llama
 * family, c_attn for GPT-2). And QLoRA's: {@code load_in_4bit}, {@code bnb_4bit_quant_type},
 * {@code use_bnb_nested_quant} (alias {@code bnb_4bit_use_double_quant}), which TRL's
 * {@code get_quantization_config} turns into a {@code BitsAndBytesConfig}.
 */
public final class PeftArguments {
    private PeftArguments() {}

    /** PEFT's default target modules per model type. */
    static final Map<String, List<String>> DEFAULT_TARGETS = Map.of(
            "gpt2", List.of("c_attn"), "llama", List.of("q_proj", "v_proj"), "qwen2", List.of("q_proj", "v_proj"),
            "qwen3", List.of("q_proj", "v_proj"), "mistral", List.of("q_proj", "v_proj"));

    /** The 4-bit quantisation of the base these options ask for ({@code load_in_4bit}), or null. */
    public static Quantization quantization(TrainingArguments a) {
        return a.loadIn4bit ? new Quantization(QuantType.fromBnbName(a.bnb4bitQuantType), a.useBnbNestedQuant) : null;
    }

    /** The LoRA config these options describe for {@code model}. */
    public static LoraConfig lora(TrainingArguments a, CausalLM model) {
        List<String> targets = a.loraTargetModules != null ? a.loraTargetModules : DEFAULT_TARGETS.get(model.modelType());
        if (targets == null) throw TrainingArguments.bad("lora_target_modules", null, "must be given for model type " + model.modelType());
        return new LoraConfig(a.loraR, a.loraAlpha, a.loraDropout, targets, a.useRslora, a.loraModulesToSave);
    }
}
