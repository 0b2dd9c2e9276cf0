package dev.align4j.train.sft;

import dev.align4j.data.Batch;
import dev.align4j.data.SftExample;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Packing leaks nothing across sequences: in a packed batch, a sequence's loss and its gradient
 * are what they are alone — the embedding rows of tokens that only another sequence holds get an
 * exactly zero gradient, and every parameter's gradient equals the one of the sequence trained alone.
 */
class PackingIsolationTest {

    static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(40, 32, 16, 2, 2, 64, 1e-5, "gelu_new"), 1, 0.3)
                : LlamaModel.random(LlamaConfig.tiny(type, 40, 16, 2, 2, 1), 2, 0.3);
    }

    static boolean[] all(int n) {
        boolean[] m = new boolean[n];
        Arrays.fill(m, true);
        m[0] = false;
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen3"})
    void aSequencesGradientInAPackIsItsGradientAlone(String type) {
        SftExample a = new SftExample(new int[] {1, 2, 3, 4, 5, 6}, all(6));
        SftExample b = new SftExample(new int[] {30, 31, 32, 33}, new boolean[4]); // no targets: contributes no loss
        float[][] grads = new float[2][];
        float[][] losses = new float[2][];
        String embedding = type.equals("gpt2") ? "transformer.wte.weight" : "model.embed_tokens.weight";
        for (int run = 0; run < 2; run++) {
            CausalLM m = model(type);
            for (Tensor p : m.parameters().values()) p.requiresGrad(true);
            Batch batch = Batch.of(run == 0 ? List.of(a) : List.of(b, a)); // alone, then packed after b
            Tensor loss = Elementwise.neg(Reductions.sum(m.tokenLogProbs(batch.packed(), batch.labels())));
            losses[run] = loss.toArray();
            loss.backward();
            grads[run] = m.parameters().get(embedding).grad().toArray();
            if (run == 1) {
                for (var e : m.parameters().entrySet()) assertTrue(e.getValue().gradOrNull() != null, e.getKey());
            }
        }
        assertEquals(losses[0][0], losses[1][0], 1e-5f);
        if (!type.equals("gpt2")) { // GPT-2's embedding is also its output layer: every row gets a softmax gradient
            for (int token = 30; token <= 33; token++) {
                for (int j = 0; j < 16; j++) assertEquals(0f, grads[1][token * 16 + j], "row of token " + token + " only b holds");
            }
        }
        assertArrayEquals(grads[0], grads[1], 1e-5f);
        assertEquals(PackedBatch.IGNORE, Batch.of(List.of(b, a)).labels()[3], "the last token of b predicts nothing across the boundary");
    }
}
