package dev.align4j.io.hf;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.RopeScaling;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads a {@code config.json} into a {@link Gpt2Config} or a {@link LlamaConfig}, field by field as
 * transformers reads it, defaults included.
 *
 * <p>What it is: each {@code model_type}'s real fields with its own defaults (a missing field takes
 * transformers' default, so a sparse config means what it means to transformers), and a loud
 * rejection of every option that would change the computation in a way align4j does not implement
 * (a GPT-2 without attention scaling, an activation other than SiLU, YaRN). A wrong-typed field is
 * an {@link IllegalArgumentException} naming the file and the field ({@link HfConfig}); an invalid
 * value is one naming the file. What it is not: a writer ({@link ArchitectureWriter}) nor a
 * validator of fields that do not change the forward pass (dropouts, {@code use_cache}, token ids).
 *
 * <p>Based on transformers' {@code configuration_gpt2.py}, {@code configuration_llama.py},
 * {@code _qwen2}, {@code _qwen3}, {@code _mistral} (5.x, whose defaults equal 4.x's) and
 * {@code modeling_rope_utils.py}: RoPE parameters come from {@code rope_scaling} when it is a non-empty
 * object, else from {@code rope_parameters} (transformers 5 writes only that); {@code rope_theta} from
 * that object, else the top-level {@code rope_theta}, else 10000; the type from {@code rope_type}, else
 * the legacy {@code type}, else {@code "default"}; llama3's {@code original_max_position_embeddings}
 * defaults to {@code max_position_embeddings} as in transformers 5.
 */
final class ArchitectureReader {
    private ArchitectureReader() {}

    /** transformers' class defaults of the Llama-family fields that differ between its members. */
    private record Defaults(int vocab, int intermediate, int maxPositions, int kvHeads, int headDim, int slidingWindow) {}

    private static final int SAME_AS_HEADS = -1; // num_key_value_heads: None → num_attention_heads
    private static final int FROM_HIDDEN = -1; // head_dim: None → hidden_size / num_attention_heads

    private static final Map<String, Defaults> DEFAULTS = Map.of(
            "llama", new Defaults(32000, 11008, 2048, SAME_AS_HEADS, FROM_HIDDEN, 0),
            "qwen2", new Defaults(151936, 22016, 32768, 32, FROM_HIDDEN, 4096),
            "qwen3", new Defaults(151936, 22016, 32768, 32, 128, 4096),
            "mistral", new Defaults(32000, 14336, 4096 * 32, 8, FROM_HIDDEN, 4096));

    static HfArchitecture read(HfConfig c) {
        String type = c.modelType();
        return switch (type) {
            case "gpt2" -> new HfArchitecture.Gpt2(gpt2(c));
            case "llama", "qwen2", "qwen3", "mistral" -> new HfArchitecture.Llama(llama(c, type));
            default -> throw new IllegalArgumentException(c.source() + ": model_type \"" + type
                    + "\" is not supported; align4j loads " + HfArchitecture.MODEL_TYPES);
        };
    }

    private static Gpt2Config gpt2(HfConfig c) {
        unsupported(c, !c.getBoolean("scale_attn_weights", true), "scale_attn_weights false (unscaled attention scores)");
        unsupported(c, c.getBoolean("scale_attn_by_inverse_layer_idx", false), "scale_attn_by_inverse_layer_idx true");
        unsupported(c, c.getBoolean("add_cross_attention", false), "add_cross_attention true (cross-attention layers)");
        unsupported(c, !c.getBoolean("tie_word_embeddings", true), "tie_word_embeddings false (a separate lm_head for GPT-2)");
        int nEmbd = c.getInt("n_embd", 768);
        return valid(c, () -> new Gpt2Config(c.getInt("vocab_size", 50257), c.getInt("n_positions", 1024), nEmbd,
                c.getInt("n_layer", 12), c.getInt("n_head", 12), c.getInt("n_inner", 4 * nEmbd), // n_inner null → 4·n_embd
                c.getDouble("layer_norm_epsilon", 1e-5), c.getString("activation_function", "gelu_new")));
    }

    private static LlamaConfig llama(HfConfig c, String type) {
        Defaults d = DEFAULTS.get(type);
        String act = c.getString("hidden_act", "silu");
        unsupported(c, !act.equals("silu"), "hidden_act \"" + act + "\" (the gated MLP is implemented with silu)");
        int hidden = c.getInt("hidden_size", 4096);
        int heads = c.getInt("num_attention_heads", 32);
        int kvHeads = !c.contains("num_key_value_heads") && d.kvHeads() != SAME_AS_HEADS ? d.kvHeads()
                : c.getInt("num_key_value_heads", heads); // an explicit null means "as many as the query heads"
        int headDim;
        if (c.has("head_dim")) {
            headDim = c.getInt("head_dim");
        } else if (!c.contains("head_dim") && d.headDim() != FROM_HIDDEN) {
            headDim = d.headDim();
        } else {
            if (heads > 0 && hidden % heads != 0) {
                throw new IllegalArgumentException(c.source() + ": hidden_size " + hidden + " is not a multiple of "
                        + "num_attention_heads " + heads + " and there is no head_dim; set head_dim");
            }
            headDim = heads > 0 ? hidden / heads : 0; // num_attention_heads ≤ 0 is reported by LlamaConfig
        }
        int maxPositions = c.getInt("max_position_embeddings", d.maxPositions());
        boolean attentionBias = c.getBoolean("attention_bias", false);
        boolean qkvBias = switch (type) {
            case "llama", "qwen3" -> attentionBias;
            case "qwen2" -> true; // Qwen2Attention: q, k, v always biased, o never
            default -> false; // Mistral: no biases
        };
        boolean oBias = !type.equals("qwen2") && qkvBias;
        boolean mlpBias = type.equals("llama") && c.getBoolean("mlp_bias", false);
        double theta = ropeTheta(c);
        RopeScaling scaling = ropeScaling(c, maxPositions);
        return valid(c, () -> new LlamaConfig(type, c.getInt("vocab_size", d.vocab()), hidden,
                c.getInt("intermediate_size", d.intermediate()), c.getInt("num_hidden_layers", 32), heads, kvHeads, headDim,
                c.getDouble("rms_norm_eps", 1e-6), theta, scaling, maxPositions, c.getBoolean("tie_word_embeddings", false),
                qkvBias, oBias, mlpBias, type.equals("qwen3"), slidingWindow(c, type, d)));
    }

    /**
     * Mistral windows every layer when {@code sliding_window} is set (missing: 4096; null: none). Qwen2 and
     * Qwen3 window only with {@code use_sliding_window}, and then only the layers from {@code max_window_layers}
     * on: any such layer makes the whole model window here, which is the same within the window (the model
     * rejects longer sequences).
     */
    private static int slidingWindow(HfConfig c, String type, Defaults d) {
        int window = c.contains("sliding_window") ? c.getInt("sliding_window", 0) : d.slidingWindow();
        return switch (type) {
            case "mistral" -> window;
            case "qwen2", "qwen3" -> c.getBoolean("use_sliding_window", false)
                    && c.getInt("max_window_layers", 28) < c.getInt("num_hidden_layers", 32) ? window : 0;
            default -> 0;
        };
    }

    /** The object holding the RoPE parameters and its field name, or null for plain RoPE. */
    private record Rope(HfConfig params, String field) {}

    private static Rope rope(HfConfig c) {
        HfConfig scaling = c.getObject("rope_scaling");
        if (scaling != null && !scaling.isEmpty()) return new Rope(scaling, "rope_scaling");
        HfConfig parameters = c.getObject("rope_parameters");
        return parameters == null ? null : new Rope(parameters, "rope_parameters");
    }

    private static double ropeTheta(HfConfig c) {
        Rope r = rope(c);
        return r != null && r.params().has("rope_theta") ? r.params().getDouble("rope_theta") : c.getDouble("rope_theta", dev.align4j.tensor.Rope.DEFAULT_THETA);
    }

    private static RopeScaling ropeScaling(HfConfig c, int maxPositions) {
        Rope r = rope(c);
        HfConfig factorHolder = r != null && r.params().has("partial_rotary_factor") ? r.params() : c;
        unsupported(c, factorHolder.getDouble("partial_rotary_factor", 1.0) != 1.0, "partial_rotary_factor other than 1");
        if (r == null) return RopeScaling.NONE;
        HfConfig p = r.params();
        if (!p.has("rope_type") && !p.has("type") && (p.has("full_attention") || p.has("sliding_attention"))) {
            throw new IllegalArgumentException(c.source() + ": " + r.field() + " holds one RoPE per layer type; align4j "
                    + "supports one RoPE for all layers");
        }
        String type = p.getString("rope_type", p.getString("type", "default"));
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> valid(c, () -> RopeScaling.linear(p.getDouble("factor")));
            case "llama3" -> valid(c, () -> RopeScaling.llama3(p.getDouble("factor"), p.getDouble("low_freq_factor"),
                    p.getDouble("high_freq_factor"), p.getInt("original_max_position_embeddings",
                            c.getInt("original_max_position_embeddings", maxPositions))));
            default -> throw new IllegalArgumentException(c.source() + ": " + r.field() + " type \"" + type
                    + "\" is not supported; align4j implements RoPE types default, linear and llama3 (not dynamic NTK, "
                    + "YaRN, LongRoPE...), so this model would compute other positions than it was trained with");
        };
    }

    private static void unsupported(HfConfig c, boolean condition, String what) {
        if (condition) {
            throw new IllegalArgumentException(c.source() + ": " + what + " is not supported by align4j's "
                    + c.modelType() + " model");
        }
    }

    /** Builds a config record; a value it rejects is reported with the file's name. */
    private static <T> T valid(HfConfig c, Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(c.source() + ":")) throw e; // already names the file
            throw new IllegalArgumentException(c.source() + ": " + e.getMessage(), e);
        }
    }
}
