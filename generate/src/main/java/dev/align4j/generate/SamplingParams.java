package dev.align4j.generate;

import java.util.Arrays;

/**
 * How to sample the completions of one prompt, under vLLM's and transformers' names.
 *
 * <p>Processors apply in transformers' order: repetition penalty, temperature, top-k, top-p,
 * min-p ({@link Sampler}). Each is off at its neutral value: {@code top_k = 0}, {@code top_p = 1},
 * {@code min_p = 0}, {@code repetition_penalty = 1}. {@code temperature = 0} is greedy decoding:
 * the argmax after the repetition penalty. What it is not: stop strings (token-only engine, STYLE
 * rule 10: the caller decodes text), beam search, or presence/frequency penalties.
 *
 * @param n                 completions of the prompt, sharing its prefill
 * @param maxNewTokens      max_new_tokens: the most tokens a completion generates (finish "length")
 * @param temperature       ≥ 0; 0 is greedy
 * @param topK              keep the k most likely tokens (ties with the k-th kept); 0 keeps all
 * @param topP              in (0, 1]: keep the smallest most-likely set with probability ≥ top_p
 * @param minP              in [0, 1]: drop tokens less likely than min_p × the most likely one
 * @param repetitionPenalty &gt; 0: logits of tokens already in the prompt or completion divided by it
 *                          when positive, multiplied when negative (CTRL; 1 is off)
 * @param seed              completion {@code i} samples with {@code seed + i}: the same tokens as a
 *                          single completion requested with that seed, alone or in any batch
 * @param stopTokenIds      tokens that end a completion (finish "stop"), e.g. the eos ids; the stop
 *                          token is kept as the completion's last token, with its log-probs
 */
public record SamplingParams(int n, int maxNewTokens, double temperature, int topK, double topP, double minP,
                             double repetitionPenalty, long seed, int[] stopTokenIds) {

    public SamplingParams {
        if (n < 1) throw new IllegalArgumentException("SamplingParams: n must be >= 1, got " + n);
        if (maxNewTokens <= 0) throw new IllegalArgumentException("SamplingParams: max_new_tokens must be > 0, got " + maxNewTokens);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("SamplingParams: temperature must be finite and >= 0 (0 is greedy), got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("SamplingParams: top_k must be >= 0 (0 keeps every token), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("SamplingParams: top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("SamplingParams: min_p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("SamplingParams: repetition_penalty must be finite and > 0 (1 is off), got "
                    + repetitionPenalty);
        }
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
        for (int id : stopTokenIds) {
            if (id < 0) throw new IllegalArgumentException("SamplingParams: stop token id " + id + " is negative");
        }
    }

    /** One greedy completion of at most {@code maxNewTokens}, stopping at {@code stopTokenIds}. */
    public static SamplingParams greedy(int maxNewTokens, int... stopTokenIds) {
        return new SamplingParams(1, maxNewTokens, 0, 0, 1, 0, 1, 0, stopTokenIds);
    }

    /** {@code n} completions sampled at {@code temperature} with no other processor. */
    public static SamplingParams sample(int n, int maxNewTokens, double temperature, long seed, int... stopTokenIds) {
        return new SamplingParams(n, maxNewTokens, temperature, 0, 1, 0, 1, seed, stopTokenIds);
    }

    /** The same parameters for {@code n} completions from {@code seed}. */
    public SamplingParams withSeed(int n, long seed) {
        return new SamplingParams(n, maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, seed, stopTokenIds);
    }

    @Override
    public int[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    boolean isStop(int token) {
        for (int id : stopTokenIds) if (id == token) return true;
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingParams p && n == p.n && maxNewTokens == p.maxNewTokens
                && Double.compare(temperature, p.temperature) == 0 && topK == p.topK && Double.compare(topP, p.topP) == 0
                && Double.compare(minP, p.minP) == 0 && Double.compare(repetitionPenalty, p.repetitionPenalty) == 0
                && seed == p.seed && Arrays.equals(stopTokenIds, p.stopTokenIds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new double[] {n, maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, seed})
                * 31 + Arrays.hashCode(stopTokenIds);
    }

    @Override
    public String toString() {
        return "SamplingParams[n=" + n + ", max_new_tokens=" + maxNewTokens + ", temperature=" + temperature + ", top_k=" + topK
                + ", top_p=" + topP + ", min_p=" + minP + ", repetition_penalty=" + repetitionPenalty + ", seed=" + seed
                + ", stop_token_ids=" + Arrays.toString(stopTokenIds) + "]";
    }
}
