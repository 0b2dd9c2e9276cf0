package dev.align4j.train;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model a trainer trains, as its config asks: all its weights, or with {@code use_peft} LoRA
 * adapters on a frozen base (4-bit with {@code load_in_4bit}, as TRL's ModelConfig and PEFT do) —
 * the parameters the optimizer steps and how checkpoints and the final save write them. Every
 * recipe (SFT, DPO, KTO, ORPO, CPO) starts from one.
 *
 * @param model     the causal LM, gradient checkpointing set from the config
 * @param lora      the adapters, null for full fine-tuning
 * @param trainable the parameters the optimizer steps, by name
 * @param state     what a checkpoint saves: the full weights, or the adapter folder
 */
public record Policy(CausalLM model, LoraModel lora, Map<String, Tensor> trainable, ModelState state) {

    /** Loads {@code modelNameOrPath} (4-bit when the config quantizes) and builds the policy over it. */
    public static Policy load(TrainingArguments c, String modelNameOrPath) throws IOException {
        Path modelDir = Path.of(modelNameOrPath);
        return of(c, HfModels.load(modelDir, LoadOptions.defaults().withLoadIn4Bit(PeftArguments.quantization(c))), modelNameOrPath);
    }

    /** The policy over an already loaded model: adapters attached with {@code use_peft}, else every weight trained. */
    public static Policy of(TrainingArguments c, LoadedModel loaded, String modelNameOrPath) {
        CausalLM model = loaded.model();
        model.gradientCheckpointing(c.gradientCheckpointing);
        if (!c.usePeft) return new Policy(model, null, model.parameters(), new FullModelState(loaded));
        LoraModel lora = LoraModel.attach(model, PeftArguments.lora(c, model), c.seed);
        return new Policy(model, lora, lora.trainableParameters(), new AdapterModelState(lora, modelNameOrPath, Path.of(modelNameOrPath)));
    }
}
