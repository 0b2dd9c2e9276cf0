package dev.align4j.train.rewards;

/**
 * Thrown by a {@link RewardFunction} that could not score a batch at all, for a reason outside the
 * completions: a reward server unreachable, timing out or answering with an error or a malformed
 * body. {@link RewardFunctions} then nulls that function's scores for the whole batch and reports
 * one error, instead of re-scoring each completion alone to find the one to blame (what it does
 * for any other exception).
 */
public class RewardUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RewardUnavailableException(String message) {
        super(message);
    }

    public RewardUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
