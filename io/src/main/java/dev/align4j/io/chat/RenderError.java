package dev.align4j.io.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;

/**
 * An error raised while a chat template renders: a Python-level error (wrong argument type,
 * unknown method), a call of {@code raise_exception(msg)} by the template, or an exceeded limit.
 * It records the template line being evaluated when it was raised (Jinjava reports errors inside
 * nested blocks at the line of an enclosing tag).
 *
 * <p>Not public: {@link ChatTemplate} turns it into a {@link ChatTemplateException} that names the
 * template's file and line. It travels through Jinjava wrapped in Jinjava's own exceptions, and is
 * found again by walking the cause chain.
 *
 * <p>Based on transformers' {@code raise_exception}, which raises {@code jinja2.TemplateError(msg)}.
 */
final class RenderError extends RuntimeException {
    /** Who raised it: the template itself, a Python-level error, or a sandbox limit. */
    enum Kind { RAISED_BY_TEMPLATE, ERROR, LIMIT }

    final Kind kind;
    final int line;

    RenderError(String message) {
        this(Kind.ERROR, message);
    }

    RenderError(Kind kind, String message) {
        this(kind, message, JinjavaInterpreter.getCurrentMaybe().map(JinjavaInterpreter::getLineNumber).orElse(-1));
    }

    RenderError(Kind kind, String message, int line) {
        super(message, null, false, false);
        this.kind = kind;
        this.line = line;
    }
}
