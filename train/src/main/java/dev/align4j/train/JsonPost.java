package dev.align4j.train;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.function.BiFunction;

/**
 * A JSON POST to a server the run depends on (a reward scorer, a judge), retried as such servers
 * need: a connection failure, a timeout, HTTP 429 or a 5xx is tried again {@code retries} times,
 * waiting {@code backoff}, 2·{@code backoff}, 4·{@code backoff}, …; another 4xx is not (the request
 * is wrong, and will stay wrong). The caller's exception type carries the failure, its message
 * naming the URL, the last status or error and the start of the body.
 *
 * @param client   the HTTP client
 * @param timeout  for each response (reported in the message)
 * @param retries  extra attempts after a failed one
 * @param backoff  the wait before the first retry
 * @param where    names the server in messages ("reward server POST http://…")
 * @param fail     makes the caller's exception from a message and a cause (may be null)
 */
public record JsonPost(HttpClient client, Duration timeout, int retries, Duration backoff, String where,
                       BiFunction<String, Throwable, RuntimeException> fail) {

    /**
     * The body of a 2xx answer to {@code request}.
     *
     * @param clientErrorHint what to check after a 4xx, for its message
     */
    public String send(HttpRequest request, String clientErrorHint) {
        String last = null;
        for (int attempt = 0; attempt <= retries; attempt++) {
            if (attempt > 0) sleep(backoff.multipliedBy(1L << Math.min(attempt - 1, 20)));
            HttpResponse<String> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (HttpTimeoutException e) {
                last = "timed out after " + timeout;
                continue;
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail.apply(where + ": interrupted", e);
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) return response.body();
            last = "HTTP " + status + ", body \"" + abbreviate(response.body(), 300) + "\"";
            if (status < 500 && status != 429) throw fail.apply(where + ": " + last + " (not retried: a client error; " + clientErrorHint + ")", null);
        }
        throw fail.apply(where + ": " + last + ", after " + (retries + 1) + " attempt" + (retries == 0 ? "" : "s")
                + "; is the server up and fast enough (timeout " + timeout + ")?", null);
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail.apply(where + ": interrupted while waiting to retry", e);
        }
    }

    /** {@code text} on one line, its middle cut to keep it within {@code max} characters. */
    public static String abbreviate(String text, int max) {
        String one = text.replace("\r", "\\r").replace("\n", "\\n");
        if (one.length() <= max) return one;
        int head = (max - 3) / 2, tail = max - 3 - head;
        return one.substring(0, head) + " … " + one.substring(one.length() - tail);
    }
}
