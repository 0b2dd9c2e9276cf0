package dev.align4j.cli.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error answered to a client as OpenAI answers it: an HTTP status and the body
 * {@code {"error": {"message", "type", "param", "code"}}}.
 *
 * <p>What it is: the one way the server reports a failure. Parsing and validation throw it with the
 * status and the offending field ({@code param}); {@link OpenAiServer} writes it. The types are
 * OpenAI's ({@code invalid_request_error} for 4xx caused by the request, {@code server_error} for
 * 5xx); codes are OpenAI's where it has one ({@code invalid_api_key}, {@code model_not_found},
 * {@code rate_limit_exceeded}), else null. What it is not: a place for stack traces — messages are
 * written for the client and say what to change.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request is malformed or asks for something out of range; {@code param} names the field, or is null. */
    static ApiError badRequest(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    /** 401: no bearer token, or the wrong one. */
    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error",
                "Incorrect or missing API key: send the server's key as the header 'Authorization: Bearer KEY'", null,
                "invalid_api_key");
    }

    /** 404: a model other than the one served. */
    static ApiError modelNotFound(String requested, String served) {
        return new ApiError(404, "invalid_request_error", "The model '" + requested + "' does not exist; this server serves '"
                + served + "' (see GET /v1/models)", "model", "model_not_found");
    }

    /** 429: the bound on requests in flight is reached. */
    static ApiError busy(int maxRequests) {
        return new ApiError(429, "rate_limit_error", "The server is busy: " + maxRequests
                + " requests are in flight, the most it queues (--max-queued-requests); retry later", null, "rate_limit_exceeded");
    }

    /** 503: the server is shutting down. */
    static ApiError closing() {
        return new ApiError(503, "server_error", "The server is shutting down", null, null);
    }

    /** 500: generation failed inside the engine (a bug or an exhausted resource, never the request's fault). */
    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null);
    }

    /** The OpenAI error body. */
    ObjectNode body() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
