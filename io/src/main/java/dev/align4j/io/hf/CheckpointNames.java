package dev.align4j.io.hf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The one table of layout fixes between the tensor names a checkpoint stores and the Hugging Face names
 * a model's parameters have (STYLE.md rule 8), each with its one-line reason.
 *
 * <p>What it is: every name of a checkpoint goes through {@link #FIXES} in order, each fix applying to
 * the name the previous ones left: a fix either adds the causal-LM class's prefix to a base-model name
 * or drops a stored tensor that is not a parameter of the model. What it is not: a layout change of the
 * data. None is needed: GPT-2 keeps Conv1D's {@code [in, out]} weights as stored (the model computes
 * {@code x·W + b}), Llama-family weights are {@code [out, in]} as stored, and a tied head is the
 * embedding, stored once.
 *
 * <p>Based on transformers' {@code from_pretrained}: the {@code base_model_prefix} added to the names of
 * a base-model checkpoint, {@code _keys_to_ignore_on_load_unexpected}, and the tying of
 * {@code lm_head.weight} to the input embedding ({@code _tied_weights_keys}).
 */
final class CheckpointNames {
    private CheckpointNames() {}

    private enum Action { ADD_BASE_PREFIX, IGNORE }

    private record Fix(Predicate<HfArchitecture> when, Pattern name, Action action, String reason) {}

    private static final Predicate<HfArchitecture> GPT2 = a -> a instanceof HfArchitecture.Gpt2;
    private static final Predicate<HfArchitecture> LLAMA = a -> a instanceof HfArchitecture.Llama;

    private static final List<Fix> FIXES = List.of(
            new Fix(GPT2, Pattern.compile("(wte|wpe|ln_f|h\\.\\d+)\\..+"), Action.ADD_BASE_PREFIX,
                    "GPT2Model checkpoints (openai-community/gpt2 among them) lack GPT2LMHeadModel's transformer. prefix"),
            new Fix(LLAMA, Pattern.compile("(embed_tokens|norm|layers\\.\\d+|rotary_emb)\\..+"), Action.ADD_BASE_PREFIX,
                    "base-model checkpoints (LlamaModel.save_pretrained) lack the causal LM's model. prefix"),
            new Fix(GPT2, Pattern.compile("transformer\\.h\\.\\d+\\.attn\\.(masked_)?bias"), Action.IGNORE,
                    "GPT-2's causal-mask buffers, saved by older transformers: constants, not parameters"),
            new Fix(LLAMA, Pattern.compile("model\\.(layers\\.\\d+\\.self_attn\\.)?rotary_emb\\.inv_freq"), Action.IGNORE,
                    "RoPE frequencies saved by older transformers: recomputed from the config"),
            new Fix(HfArchitecture::tieWordEmbeddings, Pattern.compile("lm_head\\.weight"), Action.IGNORE,
                    "a tied head is the input embedding: transformers ties it and ignores a stored copy"));

    /**
     * The names of a checkpoint, mapped.
     *
     * @param names   model name → stored name, in storage order
     * @param ignored stored name → the reason it is not loaded
     */
    record Mapping(Map<String, String> names, Map<String, String> ignored) {}

    /**
     * Maps the names a checkpoint stores to the model's names.
     *
     * @param where names the checkpoint in errors (its folder)
     * @throws IllegalArgumentException when two stored tensors map to the same model name
     */
    static Mapping map(HfArchitecture arch, List<String> stored, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> ignored = new LinkedHashMap<>();
        for (String name : stored) {
            String mapped = name;
            for (Fix fix : FIXES) {
                if (!fix.when().test(arch) || !fix.name().matcher(mapped).matches()) continue;
                if (fix.action() == Action.IGNORE) {
                    ignored.put(name, fix.reason());
                    mapped = null;
                    break;
                }
                mapped = arch.basePrefix() + mapped; // ADD_BASE_PREFIX
            }
            if (mapped == null) continue;
            String other = out.putIfAbsent(mapped, name);
            if (other != null) {
                throw new IllegalArgumentException(where + ": tensors \"" + other + "\" and \"" + name + "\" are both "
                        + mapped + " (a checkpoint with and without the " + arch.basePrefix() + " prefix?); keep one");
            }
        }
        return new Mapping(out, ignored);
    }
}
