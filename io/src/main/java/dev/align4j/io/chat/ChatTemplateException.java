package dev.align4j.io.chat;

import java.nio.file.Path;

/**
 * A chat template failed to render: a Jinja syntax or runtime error, a Python-level error (an
 * unsupported method, a wrong argument), an exceeded sandbox limit, or the template's own
 * {@code raise_exception(message)} (for example Gemma's "Conversation roles must alternate
 * user/assistant/user/assistant/...").
 *
 * <p>Not for configuration problems found before rendering (a folder without a chat template is an
 * {@link IllegalArgumentException} of its own).
 *
 * <p>Based on what transformers' apply_chat_template raises: {@code jinja2.TemplateError} with the
 * template's message. This one also names the file the template came from and the line.
 */
public final class ChatTemplateException extends IllegalArgumentException {
    private final Path origin;
    private final int line;
    private final String templateMessage;

    ChatTemplateException(Path origin, int line, String what, String templateMessage, Throwable cause) {
        super(origin + (line > 0 ? ", line " + line : "") + ": " + what + ": " + templateMessage, cause);
        this.origin = origin;
        this.line = line;
        this.templateMessage = templateMessage;
    }

    /** The file the template came from (tokenizer_config.json or chat_template.jinja). */
    public Path origin() {
        return origin;
    }

    /** The template line of the error, or -1 when unknown. */
    public int line() {
        return line;
    }

    /** The error itself, for example the message the template passed to raise_exception. */
    public String templateMessage() {
        return templateMessage;
    }
}
