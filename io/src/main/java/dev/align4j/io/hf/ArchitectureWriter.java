package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.safetensors.DType;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.RopeScaling;

import java.util.List;

/**
 * Writes an architecture as a {@code config.json} that transformers (4.x and 5.x) reads back into the same
 * model, keeping every other field of the config it was loaded from.
 *
 * <p>What it is: the architecture's fields under their Hugging Face names ({@code n_embd},
 * {@code num_key_value_heads}, ...), {@code model_type}, {@code architectures} (the causal-LM class whose
 * tensor names the saver writes), and {@code dtype} as transformers 5 writes it ({@code torch_dtype}, the
 * 4.x name, is updated too when the base config has it). With a base config (the one a model was loaded
 * with) that still describes the model, its architecture fields are kept exactly as they were, legacy
 * {@code rope_theta} / {@code rope_scaling} included, so token ids, generation settings and any unknown
 * fields survive a load and save untouched; when it no longer does, its RoPE fields are replaced and the
 * rest overwritten. RoPE is written as transformers 5 writes it: {@code rope_parameters} with
 * {@code rope_type} and {@code rope_theta}. What it is not: a writer of {@code transformers_version}
 * (kept from a base config, never invented).
 *
 * <p>Every result is read back with {@link ArchitectureReader} and must give the same architecture, so a
 * config that transformers cannot express (a {@code llama} with Qwen3's q/k norms, biases on q but not on
 * o) is an error here rather than a model that loads differently elsewhere.
 */
final class ArchitectureWriter {
    private ArchitectureWriter() {}

    /** Fields that describe RoPE or the layer layout in older or other forms, dropped before ours are written. */
    private static final List<String> REPLACED = List.of("rope_theta", "rope_scaling", "rope_parameters",
            "partial_rotary_factor", "original_max_position_embeddings", "layer_types", "max_window_layers");

    /** The {@code config.json} tree of {@code arch}, weights stored as {@code dtype}, over {@code base} (may be null). */
    static ObjectNode write(HfArchitecture arch, HfConfig base, DType dtype) {
        ObjectNode out;
        if (base == null) {
            out = JsonNodeFactory.instance.objectNode();
            fields(arch, out);
        } else {
            if (!base.modelType().equals(arch.modelType())) {
                throw new IllegalArgumentException(base.source() + ": the base config is model_type \"" + base.modelType()
                        + "\" but the model to save is \"" + arch.modelType() + "\"; pass the config the model was loaded with");
            }
            out = base.json();
            if (!ArchitectureReader.read(base).equals(arch)) {
                REPLACED.forEach(out::remove);
                fields(arch, out);
            }
        }
        out.put("model_type", arch.modelType());
        out.putArray("architectures").add(arch.className());
        out.put("dtype", torchName(dtype));
        if (out.has("torch_dtype")) out.put("torch_dtype", torchName(dtype));
        HfArchitecture back = ArchitectureReader.read(HfConfig.parse(out.toString(), "the config.json written for " + arch));
        if (!back.equals(arch)) {
            throw new IllegalArgumentException("a " + arch.modelType() + " config.json cannot express " + arch
                    + ": transformers would read it as " + back);
        }
        return out;
    }

    /** transformers' name of a dtype ({@code torch.float32} without the module). */
    static String torchName(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("models are saved as F32, BF16 or F16, not " + dtype);
        };
    }

    private static void fields(HfArchitecture arch, ObjectNode out) {
        switch (arch) {
            case HfArchitecture.Gpt2 g -> gpt2(g.config(), out);
            case HfArchitecture.Llama l -> llama(l.config(), out);
        }
    }

    private static void gpt2(Gpt2Config c, ObjectNode out) {
        out.put("vocab_size", c.vocabSize());
        out.put("n_positions", c.nPositions());
        out.put("n_embd", c.nEmbd());
        out.put("n_layer", c.nLayer());
        out.put("n_head", c.nHead());
        out.put("n_inner", c.nInner());
        out.put("layer_norm_epsilon", c.layerNormEpsilon());
        out.put("activation_function", c.activationFunction());
        out.put("tie_word_embeddings", true);
    }

    private static void llama(LlamaConfig c, ObjectNode out) {
        out.put("vocab_size", c.vocabSize());
        out.put("hidden_size", c.hiddenSize());
        out.put("intermediate_size", c.intermediateSize());
        out.put("num_hidden_layers", c.numHiddenLayers());
        out.put("num_attention_heads", c.numAttentionHeads());
        out.put("num_key_value_heads", c.numKeyValueHeads());
        out.put("head_dim", c.headDim());
        out.put("hidden_act", "silu");
        out.put("rms_norm_eps", c.rmsNormEps());
        out.put("max_position_embeddings", c.maxPositionEmbeddings());
        out.put("tie_word_embeddings", c.tieWordEmbeddings());
        ObjectNode rope = out.putObject("rope_parameters");
        RopeScaling s = c.ropeScaling();
        rope.put("rope_type", switch (s.type()) {
            case NONE -> "default";
            case LINEAR -> "linear";
            case LLAMA3 -> "llama3";
        });
        rope.put("rope_theta", c.ropeTheta());
        if (s.type() != RopeScaling.Type.NONE) rope.put("factor", s.factor());
        if (s.type() == RopeScaling.Type.LLAMA3) {
            rope.put("low_freq_factor", s.lowFreqFactor());
            rope.put("high_freq_factor", s.highFreqFactor());
            rope.put("original_max_position_embeddings", s.originalMaxPositionEmbeddings());
        }
        switch (c.modelType()) {
            case "llama" -> {
                out.put("attention_bias", c.qkvBias());
                out.put("mlp_bias", c.mlpBias());
            }
            case "qwen3" -> out.put("attention_bias", c.qkvBias());
            default -> { }
        }
        int window = c.slidingWindow();
        if (c.modelType().equals("qwen2") || c.modelType().equals("qwen3")) {
            out.put("use_sliding_window", window > 0);
            if (window > 0) out.put("max_window_layers", 0); // every layer windowed, as the model computes
        }
        if (!c.modelType().equals("llama")) {
            if (window > 0) out.put("sliding_window", window);
            else out.putNull("sliding_window");
        }
    }
}
