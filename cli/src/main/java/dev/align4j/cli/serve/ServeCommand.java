package dev.align4j.cli.serve;

import dev.align4j.generate.GenerationService;
import dev.align4j.generate.Generator;
import dev.align4j.generate.text.TextModel;
import dev.align4j.io.hf.LoadOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code align4j serve}: a model folder behind an OpenAI-compatible HTTP API, as {@code vllm serve}
 * puts one — {@code /v1/chat/completions}, {@code /v1/completions} (both streaming or not),
 * {@code /v1/models}, {@code /health} — with the requests in flight batched together by one
 * generation engine (continuous batching).
 *
 * <p>Options follow vLLM's names ({@code --host}, {@code --port}, {@code --api-key},
 * {@code --served-model-name}, {@code --max-num-seqs}); {@code --max-queued-requests} bounds the
 * requests in flight, past which the server answers 429 instead of holding unbounded memory. It
 * binds to 127.0.0.1 (this machine only) unless told otherwise, prints one line with its URL when
 * listening, and on SIGINT or SIGTERM fails the requests in flight with 503 and stops.
 *
 * <p>What it is not: a multi-model or LoRA server (adapters arrive with LoRA, issue #6), or a TLS
 * endpoint (put a reverse proxy in front to serve beyond this machine).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model over an OpenAI-compatible HTTP API: /v1/chat/completions, /v1/completions, /v1/models, /health.")
public final class ServeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, model.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--adapter", description = "A PEFT LoRA adapter folder to serve on the model (adapter_config.json, adapter_model.safetensors).")
    Path adapter;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one, printed).")
    int port;

    @Option(names = "--api-key", defaultValue = "${env:ALIGN4J_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on /v1 requests (default: the ALIGN4J_API_KEY environment variable, else none).")
    String apiKey;

    @Option(names = "--served-model-name", description = "The model's name in requests and /v1/models (default: the folder's name).")
    String servedModelName;

    @Option(names = "--max-num-seqs", defaultValue = "32", description = "Sequences decoded together per engine step (default: ${DEFAULT-VALUE}).")
    int maxNumSeqs;

    @Option(names = "--max-queued-requests", defaultValue = "256",
            description = "Requests in flight (running or waiting) beyond which new ones get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueuedRequests;

    @Override
    public Integer call() throws IOException, InterruptedException {
        TextModel text = TextModel.load(model, LoadOptions.defaults(), adapter);
        OpenAiServer server;
        try {
            server = start(text);
        } catch (RuntimeException e) {
            text.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            text.close();
            stopped.countDown();
        }, "align4j-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("align4j serve: " + server.url() + " serving " + name(text) + " (context " + text.model().contextLength()
                + " tokens" + (text.template().isPresent() ? "" : ", no chat template: /v1/completions only")
                + (apiKey != null ? ", API key required" : "") + ")");
        out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Starts the engine and the server for a loaded model.
     *
     * @throws IllegalArgumentException for an option out of range or an address that cannot be bound
     */
    OpenAiServer start(TextModel text) {
        if (maxNumSeqs < 1) throw new IllegalArgumentException("--max-num-seqs must be >= 1, got " + maxNumSeqs);
        if (maxQueuedRequests < 1) throw new IllegalArgumentException("--max-queued-requests must be >= 1, got " + maxQueuedRequests);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (apiKey != null && apiKey.isEmpty()) throw new IllegalArgumentException("--api-key must not be empty");
        GenerationService service = new GenerationService(new Generator(text.model(), maxNumSeqs), maxQueuedRequests);
        OpenAiServer server = new OpenAiServer(text, service, new OpenAiServer.Options(host, port, apiKey, name(text), maxQueuedRequests));
        try {
            return server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private String name(TextModel text) {
        return servedModelName != null ? servedModelName : text.name();
    }
}
