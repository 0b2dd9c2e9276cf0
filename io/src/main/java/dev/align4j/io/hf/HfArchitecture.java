package dev.align4j.io.hf;

import dev.align4j.models.CausalLM;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * The architectures align4j reads from and writes to Hugging Face folders: GPT-2 and the Llama family
 * (llama, qwen2, qwen3, mistral), each with its typed config, the transformers class that
 * {@code save_pretrained} names in {@code architectures}, and the way to build the model.
 *
 * <p>What it is: the closed set the loader and the saver switch over; {@link #fromConfig} reads a
 * {@code config.json} ({@link ArchitectureReader}), {@link #of} recognises a model in memory. What it is
 * not: the name table between checkpoints and models (that is {@link CheckpointNames}) nor the model
 * code (module {@code models}).
 */
public sealed interface HfArchitecture {

    /** The {@code model_type} values {@link #fromConfig} accepts. */
    List<String> MODEL_TYPES = List.of("gpt2", "llama", "qwen2", "qwen3", "mistral");

    /** Reads the architecture of a {@code config.json}; errors name the file and the field. */
    static HfArchitecture fromConfig(HfConfig config) {
        return ArchitectureReader.read(config);
    }

    /** The architecture of a model built by align4j ({@link Gpt2Model} or {@link LlamaModel}). */
    static HfArchitecture of(CausalLM model) {
        return switch (model) {
            case Gpt2Model m -> new Gpt2(m.config());
            case LlamaModel m -> new Llama(m.config());
            default -> throw new IllegalArgumentException("no Hugging Face architecture for a "
                    + model.getClass().getName() + "; align4j reads and writes Gpt2Model and LlamaModel");
        };
    }

    /** The Hugging Face {@code model_type}. */
    String modelType();

    /** The transformers class of a causal LM, as {@code save_pretrained} writes it in {@code architectures}. */
    String className();

    /**
     * The transformers class of the same transformer with a score head instead of the output
     * projection ({@code GPT2ForSequenceClassification}, ...): a reward or value model.
     */
    default String sequenceClassificationClassName() {
        return className().replace("LMHeadModel", "ForSequenceClassification").replace("ForCausalLM", "ForSequenceClassification");
    }

    /**
     * The same transformer without a separate output projection, for a score model: transformers'
     * sequence-classification classes have no {@code lm_head}, so an untied Llama-family model is
     * built tied (its head, the input embedding, is never used) and needs no {@code lm_head.weight}.
     */
    HfArchitecture withoutOutputHead();

    /** Whether the output projection is the input embedding (then no {@code lm_head.weight} is stored). */
    boolean tieWordEmbeddings();

    /** Every parameter's Hugging Face name (as the causal-LM class names it) and shape, in checkpoint order. */
    Map<String, int[]> parameterShapes();

    /** The prefix of the base model's names inside the causal-LM class ({@code transformer.} or {@code model.}). */
    String basePrefix();

    /** The module paths of the model's linear layers ({@code CausalLM#linearLayers}), known from the config alone. */
    List<String> linearLayerPaths();

    /** Builds the model on weights named as {@link #parameterShapes} lists them. */
    CausalLM newModel(Map<String, Tensor> weights);

    /** GPT-2 ({@code GPT2LMHeadModel}): always tied, Conv1D weights stored {@code [in, out]}. */
    record Gpt2(Gpt2Config config) implements HfArchitecture {
        @Override
        public String modelType() {
            return "gpt2";
        }

        @Override
        public String className() {
            return "GPT2LMHeadModel";
        }

        @Override
        public boolean tieWordEmbeddings() {
            return true;
        }

        @Override
        public HfArchitecture withoutOutputHead() {
            return this;
        }

        @Override
        public Map<String, int[]> parameterShapes() {
            return Gpt2Model.parameterShapes(config);
        }

        @Override
        public String basePrefix() {
            return "transformer.";
        }

        @Override
        public List<String> linearLayerPaths() {
            return Gpt2Model.linearLayerPaths(config);
        }

        @Override
        public CausalLM newModel(Map<String, Tensor> weights) {
            return new Gpt2Model(config, weights);
        }
    }

    /** The Llama family ({@code LlamaForCausalLM}, {@code Qwen2ForCausalLM}, ...), told apart by {@code model_type}. */
    record Llama(LlamaConfig config) implements HfArchitecture {
        @Override
        public String modelType() {
            return config.modelType();
        }

        @Override
        public String className() {
            return switch (config.modelType()) {
                case "llama" -> "LlamaForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                case "qwen3" -> "Qwen3ForCausalLM";
                case "mistral" -> "MistralForCausalLM";
                default -> throw new IllegalArgumentException("no transformers class for model_type \"" + config.modelType()
                        + "\"; supported: " + MODEL_TYPES);
            };
        }

        @Override
        public boolean tieWordEmbeddings() {
            return config.tieWordEmbeddings();
        }

        @Override
        public HfArchitecture withoutOutputHead() {
            return config.tieWordEmbeddings() ? this : new Llama(config.withTieWordEmbeddings(true));
        }

        @Override
        public Map<String, int[]> parameterShapes() {
            return LlamaModel.parameterShapes(config);
        }

        @Override
        public String basePrefix() {
            return "model.";
        }

        @Override
        public List<String> linearLayerPaths() {
            return LlamaModel.linearLayerPaths(config);
        }

        @Override
        public CausalLM newModel(Map<String, Tensor> weights) {
            return new LlamaModel(config, weights);
        }
    }
}
