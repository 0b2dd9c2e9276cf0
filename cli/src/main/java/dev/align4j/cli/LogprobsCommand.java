package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code align4j logprobs}: per-token log-probabilities of sequences under a model — the contract
 * other tools and tests rely on. For ids {@code [x0 … x(n−1)]} the output has n−1 values,
 * {@code token_logprobs[t] = log p(x(t+1) | x0 … xt)}, as {@code log_softmax(logits)[t, ids[t+1]]}
 * in transformers. Text lines are tokenized as {@code tokenizer(text)} does (special tokens added).
 * Sequences are packed into batches of about {@code --batch-tokens} tokens; no padding is computed.
 */
@Command(name = "logprobs", mixinStandardHelpOptions = true,
        description = "Per-token log-probs of sequences under a model: token_logprobs[t] = log p(ids[t+1] | ids[0..t]).")
public final class LogprobsCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--input", required = true, description = "JSONL: {\"input_ids\": [...]} or {\"text\": \"...\"} per line.")
    Path input;

    @Option(names = "--output", required = true, description = "JSONL: {\"input_ids\": [...], \"token_logprobs\": [...]} per line.")
    Path output;

    @Option(names = "--batch-tokens", defaultValue = "4096", description = "Tokens per packed forward pass (default: ${DEFAULT-VALUE}).")
    int batchTokens;

    @Override
    public Integer call() throws Exception {
        CausalLM lm = HfModels.load(model).model();
        Tokenizer tokenizer = Files.exists(model.resolve("tokenizer.json")) ? Tokenizer.load(model) : null;
        int[] count = {0};
        try (tokenizer; JsonLines.Writer out = new JsonLines.Writer(output)) {
            List<int[]> pending = new ArrayList<>();
            int[] pendingTokens = {0};
            JsonLines.forEach(input, line -> {
                int[] ids = ids(line, tokenizer, lm.vocabSize());
                if (pendingTokens[0] + ids.length > batchTokens && !pending.isEmpty()) {
                    Cli.unchecked(() -> flush(lm, pending, out));
                    pendingTokens[0] = 0;
                }
                pending.add(ids);
                pendingTokens[0] += ids.length;
                count[0]++;
            });
            flush(lm, pending, out);
            out.commit();
        }
        System.err.println("logprobs: " + count[0] + " sequences → " + output);
        return 0;
    }

    private static int[] ids(JsonLines.Line line, Tokenizer tokenizer, int vocab) {
        JsonNode idsNode = line.json().get("input_ids");
        int[] ids;
        if (idsNode != null) {
            if (!idsNode.isArray()) throw line.error("input_ids", "must be an array of token ids");
            ids = new int[idsNode.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode v = idsNode.get(i);
                if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() >= vocab) {
                    throw line.error("input_ids", "item " + i + " is " + v + ", not a token id in [0, " + vocab + ")");
                }
                ids[i] = v.asInt();
            }
        } else {
            JsonNode text = line.json().get("text");
            if (text == null || !text.isTextual()) throw line.error("input_ids", "is missing (and there is no \"text\" string)");
            if (tokenizer == null) throw line.error("text", "needs a tokenizer.json in the model folder; give input_ids instead");
            ids = tokenizer.encode(text.asText(), true);
        }
        if (ids.length == 0) throw line.error(idsNode != null ? "input_ids" : "text", "gives no tokens");
        return ids;
    }

    private static void flush(CausalLM lm, List<int[]> sequences, JsonLines.Writer out) throws IOException {
        if (sequences.isEmpty()) return;
        PackedBatch batch = PackedBatch.of(sequences);
        float[] logprobs;
        try (var g = Autograd.noGrad()) {
            logprobs = lm.tokenLogProbs(batch, batch.nextTokenLabels()).toArray();
        }
        int start = 0;
        for (int[] ids : sequences) {
            ObjectNode result = JsonLines.MAPPER.createObjectNode();
            ArrayNode idArray = result.putArray("input_ids");
            for (int id : ids) idArray.add(id);
            ArrayNode lp = result.putArray("token_logprobs");
            for (int t = 0; t + 1 < ids.length; t++) lp.add(logprobs[start + t]);
            out.write(result);
            start += ids.length;
        }
        sequences.clear();
    }
}
