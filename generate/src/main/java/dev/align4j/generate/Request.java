package dev.align4j.generate;

/**
 * A prompt, as token ids, and how to complete it.
 *
 * @param promptIds (P) token ids, P ≥ 1 and shorter than the model's context
 * @param params    sampling parameters, including the number of completions n
 */
public record Request(int[] promptIds, SamplingParams params) {

    public Request {
        if (promptIds == null || params == null) throw new IllegalArgumentException("Request: prompt ids and params are required");
        promptIds = promptIds.clone();
    }

    @Override
    public int[] promptIds() {
        return promptIds.clone();
    }
}
