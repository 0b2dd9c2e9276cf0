package dev.align4j.generate.text;

import dev.align4j.io.hf.HfConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A model folder's {@code generation_config.json}: the ids that end a completion and the sampling
 * defaults the model's authors chose.
 *
 * <p>Based on transformers' {@code GenerationConfig} (generation/configuration_utils.py) and on
 * how vLLM uses it ({@code ModelConfig.get_diff_sampling_param}): {@code eos_token_id} is an
 * integer or a list; the sampling fields present — {@code temperature}, {@code top_k},
 * {@code top_p}, {@code min_p}, {@code repetition_penalty}, {@code max_new_tokens} — become the
 * defaults of requests that do not set them; {@code do_sample: false} makes the default greedy.
 * When the file is absent, {@code eos_token_id} comes from {@code config.json}, as
 * {@code GenerationConfig.from_model_config} derives it. What it is not: beam search, length
 * penalties or any other field of transformers' class; they are ignored.
 *
 * @param eosTokenIds       ids that end a completion (finish "stop")
 * @param doSample          {@code do_sample}, when set
 * @param temperature       {@code temperature}, when set
 * @param topK              {@code top_k}, when set
 * @param topP              {@code top_p}, when set
 * @param minP              {@code min_p}, when set
 * @param repetitionPenalty {@code repetition_penalty}, when set
 * @param maxNewTokens      {@code max_new_tokens}, when set
 */
public record GenerationConfig(List<Integer> eosTokenIds, Optional<Boolean> doSample, OptionalDouble temperature,
                               OptionalInt topK, OptionalDouble topP, OptionalDouble minP, OptionalDouble repetitionPenalty,
                               OptionalInt maxNewTokens) {

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** No eos ids and no defaults. */
    public static GenerationConfig none() {
        return new GenerationConfig(List.of(), Optional.empty(), OptionalDouble.empty(), OptionalInt.empty(),
                OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalInt.empty());
    }

    /**
     * Reads {@code folder/generation_config.json}, or the eos ids of {@code folder/config.json} when
     * it is absent, or {@link #none()} when neither exists.
     *
     * @throws IllegalArgumentException naming the file and field when a field has the wrong type
     */
    public static GenerationConfig read(Path folder) {
        Path file = folder.resolve("generation_config.json");
        try {
            if (!Files.isRegularFile(file)) {
                Path model = folder.resolve("config.json");
                if (!Files.isRegularFile(model)) return none();
                return none().withEos(HfConfig.read(model).getIntList("eos_token_id"));
            }
            HfConfig c = HfConfig.read(file);
            return new GenerationConfig(c.getIntList("eos_token_id"),
                    c.has("do_sample") ? Optional.of(c.getBoolean("do_sample")) : Optional.empty(),
                    optionalDouble(c, "temperature"), optionalInt(c, "top_k"), optionalDouble(c, "top_p"),
                    optionalDouble(c, "min_p"), optionalDouble(c, "repetition_penalty"), optionalInt(c, "max_new_tokens"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The same defaults with these eos ids. */
    public GenerationConfig withEos(List<Integer> ids) {
        return new GenerationConfig(ids, doSample, temperature, topK, topP, minP, repetitionPenalty, maxNewTokens);
    }

    private static OptionalDouble optionalDouble(HfConfig c, String field) {
        return c.has(field) ? OptionalDouble.of(c.getDouble(field)) : OptionalDouble.empty();
    }

    private static OptionalInt optionalInt(HfConfig c, String field) {
        return c.has(field) ? OptionalInt.of(c.getInt(field)) : OptionalInt.empty();
    }
}
