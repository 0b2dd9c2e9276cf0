package dev.align4j.train.judges;

import java.util.List;

/**
 * Where a judge's answers come from: conversations in, the assistant's next message out.
 *
 * <p>Answers are deterministic (greedy decoding, or {@code temperature: 0} on a server), as MT-Bench's
 * judges are run (Zheng et al. 2023, arXiv:2306.05685), so a judgement can be repeated. Two
 * implementations: {@link LocalChatBackend} (any model folder align4j can run, batched on the
 * generation engine) and {@link OpenAiChatBackend} (any OpenAI-compatible server: vLLM, llama.cpp,
 * OpenAI itself). What it is not: a judge (no prompt, no parsing; see {@link LlmPairwiseJudge}).
 */
public interface ChatBackend extends AutoCloseable {

    /**
     * The assistant's answer to each conversation, in order.
     *
     * @throws JudgeUnavailableException when a remote backend cannot answer after its retries
     */
    List<String> complete(List<List<Message>> conversations);

    /** Releases what the backend holds; nothing by default. Calling it twice is harmless. */
    @Override
    default void close() {}
}
