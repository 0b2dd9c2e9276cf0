package dev.align4j.generate;

/**
 * One generated completion: its tokens (the prompt excluded; a stop token included as the last
 * one) and, per token, its log-prob under the distribution it was sampled from (after the
 * processors; 0 under greedy decoding) and under the raw model ({@code log_softmax} of the logits),
 * which RL losses compare with the policy's own.
 *
 * @param tokenIds     (N) generated token ids
 * @param logprobs     (N) log-prob of each token under the sampling distribution
 * @param rawLogprobs  (N) log-prob of each token under the unprocessed model
 * @param finishReason why it ended
 */
public record Completion(int[] tokenIds, float[] logprobs, float[] rawLogprobs, FinishReason finishReason) {

    /** vLLM's finish reasons. */
    public enum FinishReason {
        /** A stop token was generated. */
        STOP,
        /** max_new_tokens were generated, or the sequence filled the model's context. */
        LENGTH;

        /** "stop" or "length", as vLLM and OpenAI write it. */
        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Completion {
        tokenIds = tokenIds.clone();
        logprobs = logprobs.clone();
        rawLogprobs = rawLogprobs.clone();
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public float[] logprobs() {
        return logprobs.clone();
    }

    @Override
    public float[] rawLogprobs() {
        return rawLogprobs.clone();
    }
}
