package dev.align4j.generate.text;

import dev.align4j.generate.SamplingParams;

import java.util.Random;

/**
 * Sampling options as a user gives them: each may be unset, and an unset one takes the model's
 * generation config default, then vLLM's default ({@code temperature 1}, {@code top_p 1}, no top-k,
 * no min-p, no repetition penalty, {@code n 1}). The CLI's flags and the server's JSON fields fill
 * one of these; {@link #resolve} makes the engine's {@link SamplingParams}, whose constructor rejects
 * values out of range with the field's name.
 */
public final class SamplingOptions {
    public Integer n, maxNewTokens, topK;
    public Double temperature, topP, minP, repetitionPenalty;
    public Long seed;

    /**
     * The engine's parameters: unset options from {@code config}, then the defaults; an unset
     * {@code max_new_tokens} becomes {@code fallbackMaxNewTokens}; an unset seed a random one;
     * {@code do_sample: false} in the config makes an unset temperature 0 (greedy).
     */
    public SamplingParams resolve(GenerationConfig config, int fallbackMaxNewTokens, int[] stopTokenIds) {
        double t = temperature != null ? temperature
                : config.doSample().isPresent() && !config.doSample().get() ? 0 : config.temperature().orElse(1);
        return new SamplingParams(n != null ? n : 1,
                maxNewTokens != null ? maxNewTokens : config.maxNewTokens().orElse(fallbackMaxNewTokens),
                t,
                topK != null ? topK : config.topK().orElse(0),
                topP != null ? topP : config.topP().orElse(1),
                minP != null ? minP : config.minP().orElse(0),
                repetitionPenalty != null ? repetitionPenalty : config.repetitionPenalty().orElse(1),
                seed != null ? seed : new Random().nextLong(),
                stopTokenIds);
    }
}
