package dev.align4j.eval;

import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Log-likelihoods of continuations after a context, lm-evaluation-harness's {@code loglikelihood}
 * request: {@code Σ log p(x_i | context, x_<i)} over the continuation's tokens. A context's
 * continuations (a question's choices) are packed as one prefix group — the context computed once,
 * each continuation attending to it as in its own unshared sequence — and groups are packed into
 * forward passes of about {@code batchTokens} tokens. No padding is computed.
 *
 * <p>The context keeps its last token out of the shared prefix: each continuation segment starts
 * with it, so its first position predicts the continuation's first token on the continuation's own
 * row (a shared prefix's last token has no label).
 */
final class LogLikelihoods {
    private LogLikelihoods() {}

    /**
     * A context and its continuations, as token ids.
     *
     * @param context       at least one token (the prefix token when the text is empty)
     * @param continuations each at least one token
     */
    record Request(int[] context, List<int[]> continuations) {
        Request {
            if (context.length == 0) throw new IllegalArgumentException("a log-likelihood request needs a context token");
            for (int[] c : continuations) if (c.length == 0) throw new IllegalArgumentException("an empty continuation has no log-likelihood");
        }

        int tokens() {
            int n = context.length;
            for (int[] c : continuations) n += c.length;
            return n;
        }
    }

    /**
     * Each request's continuations' summed log-probs, in order.
     *
     * @param done called with the number of requests finished after each forward pass
     */
    static List<double[]> score(CausalLM model, List<Request> requests, int batchTokens, IntConsumer done) {
        List<double[]> out = new ArrayList<>(requests.size());
        int from = 0;
        while (from < requests.size()) {
            int to = from, tokens = 0;
            while (to < requests.size() && (to == from || tokens + requests.get(to).tokens() <= batchTokens)) tokens += requests.get(to++).tokens();
            out.addAll(pass(model, requests.subList(from, to)));
            done.accept(to - from);
            from = to;
        }
        return out;
    }

    private static List<double[]> pass(CausalLM model, List<Request> requests) {
        List<PackedBatch.PrefixGroup> groups = new ArrayList<>(requests.size());
        for (Request r : requests) {
            int last = r.context[r.context.length - 1];
            List<int[]> continuations = new ArrayList<>(r.continuations.size());
            for (int[] c : r.continuations) {
                int[] segment = new int[c.length + 1];
                segment[0] = last;
                System.arraycopy(c, 0, segment, 1, c.length);
                continuations.add(segment);
            }
            groups.add(new PackedBatch.PrefixGroup(Arrays.copyOf(r.context, r.context.length - 1), continuations));
        }
        PackedBatch batch = PackedBatch.sharingPrefixes(groups);
        float[] logprobs;
        try (var g = Autograd.noGrad()) {
            logprobs = model.tokenLogProbs(batch, batch.nextTokenLabels()).toArray();
        }
        List<double[]> out = new ArrayList<>(requests.size());
        int t = 0;
        for (Request r : requests) {
            t += r.context.length - 1;
            double[] sums = new double[r.continuations.size()];
            for (int k = 0; k < sums.length; k++) {
                int m = r.continuations.get(k).length;
                for (int i = 0; i < m; i++) sums[k] += logprobs[t + i];
                t += m + 1;
            }
            out.add(sums);
        }
        return out;
    }
}
