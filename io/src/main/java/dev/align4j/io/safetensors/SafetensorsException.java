package dev.align4j.io.safetensors;

/**
 * A safetensors file, index or request that is malformed or inconsistent: the message names the
 * file and, where one is involved, the tensor and the header field.
 *
 * <p>What it is: the one exception every rejection of hostile or broken input throws; it is an
 * {@link IllegalArgumentException}, so callers that treat bad input generically need no new catch.
 * What it is not: an I/O failure (a missing or unreadable file is an {@link java.io.IOException}).
 */
public final class SafetensorsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
