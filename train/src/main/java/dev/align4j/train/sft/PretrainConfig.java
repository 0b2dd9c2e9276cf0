package dev.align4j.train.sft;

import java.util.Map;

/**
 * Training a small base model from scratch on raw text: {@link SFTConfig}'s data and loop options
 * (rows of {@code text}, loss on every token, packing on by default) plus the model to build, named
 * as transformers' {@code run_clm.py} names them: {@code config_name} (a config.json, or a folder
 * holding one) or an inline {@code model_config} of config.json fields, and {@code tokenizer_name}
 * (a tokenizer folder). {@code model_name_or_path} is not used.
 */
public class PretrainConfig extends SFTConfig {
    /** A config.json, or a folder holding one, describing the architecture and its sizes. */
    public String configName;
    /** config.json fields inline ({@code model_type}, {@code hidden_size}, …), instead of config_name. */
    public Map<String, Object> modelConfig;
    /** The tokenizer folder (tokenizer.json, tokenizer_config.json). */
    public String tokenizerName;

    public PretrainConfig() {
        learningRate = 5e-4;
        packing = true;
        gradientCheckpointing = false;
        warmupRatio = 0.05;
        lrSchedulerType = "cosine";
    }

    @Override
    public void validate() {
        super.validate();
        if ((configName == null) == (modelConfig == null)) throw bad("config_name", configName, "or model_config: give exactly one");
        if (tokenizerName == null) throw bad("tokenizer_name", null, "is required (a tokenizer folder)");
        if (usePeft) throw bad("use_peft", true, "makes no sense for a model trained from scratch");
    }
}
