package dev.align4j.train.judges;

import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextListener;
import dev.align4j.generate.text.TextModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A judge running on align4j's own generation engine: any model folder align4j can load, no server.
 *
 * <p>Each conversation is rendered by the model's chat template with the generation prompt (as
 * {@code apply_chat_template(messages, add_generation_prompt=True)}); a model without one (a base
 * model) gets the messages' contents as plain text, each after the previous with a blank line
 * between (system, then user) and nothing after, encoded with the tokenizer's BOS. All
 * conversations of a call are submitted to one {@link Generator}, which batches them; decoding is
 * greedy (MT-Bench runs its judges at temperature 0) up to {@code maxNewTokens}, stopping on the
 * model's stop tokens. A prompt too long for the context keeps its last tokens
 * ({@link TextModel#keepLast}, left truncation: the answers and the format instruction at the end
 * survive, the start of the system prompt goes first), leaving room for
 * {@code min(maxNewTokens, context / 2)} new tokens, so a long judge prompt never fails.
 *
 * <p>The generator, made once, packs the model's frozen matrices for batched decoding; the judge
 * model must not be trained while this backend lives. Not thread-safe: calls are serialised.
 * Ownership: the {@link TextModel} belongs to the caller unless this backend was made by
 * {@link Judges#backend}, which closes it with the backend.
 */
public final class LocalChatBackend implements ChatBackend {
    /** Conversations decoded together per step by default. */
    public static final int DEFAULT_MAX_SEQUENCES = 16;

    private final TextModel model;
    private final int maxNewTokens;
    private final boolean ownsModel;
    private final Generator generator;
    private boolean closed;

    /** A backend over {@code model}, answering with at most {@code maxNewTokens}, 16 conversations per decode step. */
    public LocalChatBackend(TextModel model, int maxNewTokens) {
        this(model, maxNewTokens, DEFAULT_MAX_SEQUENCES, false);
    }

    /**
     * @param model        the judge model (not closed by this backend unless {@code ownsModel})
     * @param maxNewTokens the longest answer, in tokens
     * @param maxSequences conversations decoded together per step
     * @param ownsModel    whether {@link #close} closes the model
     */
    public LocalChatBackend(TextModel model, int maxNewTokens, int maxSequences, boolean ownsModel) {
        this.model = Objects.requireNonNull(model, "model");
        if (maxNewTokens < 1) throw new IllegalArgumentException("LocalChatBackend: max new tokens must be >= 1, got " + maxNewTokens);
        this.maxNewTokens = maxNewTokens;
        this.ownsModel = ownsModel;
        this.generator = new Generator(model.model(), maxSequences);
    }

    @Override
    public synchronized List<String> complete(List<List<Message>> conversations) {
        if (closed) throw new IllegalStateException(this + " is closed");
        if (conversations.isEmpty()) return List.of();
        SamplingParams params = SamplingParams.greedy(maxNewTokens, model.stopTokenIds());
        List<int[]> prompts = new ArrayList<>(conversations.size());
        for (List<Message> conversation : conversations) prompts.add(promptIds(conversation)); // all encoded before any is queued
        String[] texts = new String[prompts.size()];
        RuntimeException[] failure = new RuntimeException[1];
        for (int i = 0; i < texts.length; i++) {
            int[] ids = prompts.get(i);
            int index = i;
            generator.submit(new Request(ids, params), new TextListener(model.tokenizer(), ids, 1, List.of(), new TextListener.Sink() {
                @Override
                public void onComplete(int completion, TextCompletion done) {
                    texts[index] = done.text();
                }

                @Override
                public void onError(RuntimeException error) {
                    failure[0] = error;
                }
            }));
        }
        while (generator.hasWork()) generator.step();
        if (failure[0] != null) throw failure[0];
        return List.of(texts);
    }

    /** The conversation's prompt ids: chat template or plain text, then its last tokens when too long. */
    int[] promptIds(List<Message> conversation) {
        int[] ids;
        if (model.template().isPresent()) {
            List<Map<String, String>> messages = new ArrayList<>(conversation.size());
            for (Message m : conversation) messages.add(m.toMap());
            ids = model.encodeChat(messages);
        } else {
            List<String> parts = new ArrayList<>(conversation.size());
            for (Message m : conversation) parts.add(m.content());
            ids = model.encode(String.join("\n\n", parts));
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException(model.name() + ": a judge conversation encodes to no tokens (and the tokenizer adds no BOS)");
        }
        int context = model.model().contextLength();
        return TextModel.keepLast(ids, context - Math.min(maxNewTokens, context / 2));
    }

    /** Closes the model when this backend owns it. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (ownsModel) model.close();
    }

    @Override
    public String toString() {
        return "LocalChatBackend[" + model.name() + "]";
    }
}
