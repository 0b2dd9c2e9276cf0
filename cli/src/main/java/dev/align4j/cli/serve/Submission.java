package dev.align4j.cli.serve;

import dev.align4j.generate.GenerationService;
import dev.align4j.generate.Request;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextListener;
import dev.align4j.io.tokenizer.Tokenizer;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One HTTP request's prompts running in the shared {@link GenerationService}: the engine thread's
 * text events land on this request's own queue, which the HTTP handler thread drains.
 *
 * <p>What it is: the bridge between the engine thread, which must never block, and a handler
 * thread, which may wait on a slow client. The engine puts events on an unbounded queue (bounded in
 * practice by the tokens the request may generate); {@link #cancel} — the client went away — makes
 * every completion stop at its next token ({@link TextListener.Sink#open}). Choices are numbered
 * {@code prompt × n + index}, as OpenAI numbers the choices of a list of prompts. What it is not: a
 * writer of responses ({@link OpenAiServer} drains it) or a scheduler (the engine batches).
 */
final class Submission {

    /** What the engine reports. */
    sealed interface Event permits Text, Done, Failed {}

    /** New text of a choice. */
    record Text(int choice, String delta) implements Event {}

    /** A choice has ended. */
    record Done(int choice, TextCompletion completion) implements Event {}

    /** Generation failed (the engine's error, or the service closing); no more events follow for that prompt. */
    record Failed(RuntimeException error) implements Event {}

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean open = true;

    private Submission() {}

    /**
     * Submits every prompt of {@code request}; all are taken or none runs on.
     *
     * @throws ApiError 429 when the service holds its most requests in flight (a prompt already
     *                  taken is cancelled), 503 when it is closed, 400 when the engine rejects a prompt
     */
    static Submission start(GenerationService service, Tokenizer tokenizer, CompletionRequest request, int maxInFlight) {
        Submission s = new Submission();
        int n = request.n();
        for (int p = 0; p < request.prompts().size(); p++) {
            CompletionRequest.Prompt prompt = request.prompts().get(p);
            TextListener listener = new TextListener(tokenizer, prompt.ids(), n, request.stops(), s.sink(p * n));
            boolean taken;
            try {
                taken = service.trySubmit(new Request(prompt.ids(), prompt.params()), listener);
            } catch (IllegalArgumentException e) {
                s.cancel();
                throw ApiError.badRequest(e.getMessage(), null);
            } catch (IllegalStateException e) {
                s.cancel();
                throw ApiError.closing();
            }
            if (!taken) {
                s.cancel();
                throw ApiError.busy(maxInFlight);
            }
        }
        return s;
    }

    private TextListener.Sink sink(int base) {
        return new TextListener.Sink() {
            @Override
            public void onText(int index, String text) {
                events.add(new Text(base + index, text));
            }

            @Override
            public void onComplete(int index, TextCompletion completion) {
                events.add(new Done(base + index, completion));
            }

            @Override
            public void onError(RuntimeException error) {
                events.add(new Failed(error));
            }

            @Override
            public boolean open() {
                return open;
            }
        };
    }

    /** The next event, waiting for it. */
    Event take() throws InterruptedException {
        return events.take();
    }

    /** Nobody listens any more: every completion ends at its next token. */
    void cancel() {
        open = false;
    }
}
