package dev.align4j.io.chat;

/**
 * An error raised while a chat template renders: a Python-level error (wrong argument type,
 * unknown method), a call of {@code raise_exception(msg)} by the template, or an exceeded limit.
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

    RenderError(String message) {
        this(Kind.ERROR, message);
    }

    RenderError(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }
}
