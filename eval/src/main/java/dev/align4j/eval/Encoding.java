package dev.align4j.eval;

import dev.align4j.generate.text.TextModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text to the token ids of a log-likelihood request, lm-evaluation-harness's way (its
 * {@code _encode_pair}): the context's trailing whitespace moves to the continuation, and a
 * continuation's ids are those of {@code encode(context + continuation)} after the context's own
 * encoding — so a word is tokenized as it would be inside the text, with its leading space.
 */
final class Encoding {
    private Encoding() {}

    /**
     * The request for {@code continuations} after {@code context}.
     *
     * @param where names the row, for the error when a continuation alone fills the context
     */
    static LogLikelihoods.Request request(TextModel model, String context, List<String> continuations, String where) {
        int spaces = context.length() - context.stripTrailing().length();
        String head = context.substring(0, context.length() - spaces), moved = context.substring(context.length() - spaces);
        int[] contextIds = model.encode(head);
        if (contextIds.length == 0) contextIds = new int[] {prefixToken(model)};
        List<int[]> ids = new ArrayList<>(continuations.size());
        int longest = 0;
        for (String continuation : continuations) {
            int[] whole = model.encode(head + moved + continuation);
            int[] cont = Arrays.copyOfRange(whole, Math.min(contextIds.length, whole.length), whole.length);
            if (cont.length == 0) throw new IllegalArgumentException(where + ": the continuation \"" + continuation + "\" encodes to no tokens");
            ids.add(cont);
            longest = Math.max(longest, cont.length);
        }
        int room = model.model().contextLength() - longest;
        if (room < 1) throw new IllegalArgumentException(where + ": a continuation of " + longest + " tokens leaves no room for the prompt in the "
                + model.model().contextLength() + "-token context");
        return new LogLikelihoods.Request(TextModel.keepLast(contextIds, room), ids);
    }

    /** The token that precedes text with no context: BOS, else EOS (lm-evaluation-harness's prefix token). */
    static int prefixToken(TextModel model) {
        return model.tokenizer().bosTokenId().orElseGet(() -> model.tokenizer().eosTokenId()
                .orElseThrow(() -> new IllegalArgumentException(model.tokenizer().folder() + ": the tokenizer has neither a BOS nor an EOS token "
                        + "to start a text with no context")));
    }
}
