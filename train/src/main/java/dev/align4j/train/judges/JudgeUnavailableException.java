package dev.align4j.train.judges;

/**
 * Thrown when a judge could not answer at all, for a reason outside the answers it was shown: its
 * server unreachable, timing out or answering with an error or a malformed body, after its retries.
 * An answer the judge did give but that holds no verdict is not this: it is {@link Verdict#UNPARSED}.
 */
public class JudgeUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JudgeUnavailableException(String message) {
        super(message);
    }

    public JudgeUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
