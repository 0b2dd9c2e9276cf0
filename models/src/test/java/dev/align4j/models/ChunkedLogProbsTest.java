package dev.align4j.models;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chunked log-probs against the whole-logits path: values, argmax and the gradient reaching the
 * hidden states bit for bit (a frozen head), a trainable head's gradient to float32 rounding, and
 * chunk sizes that do and do not divide the rows.
 */
class ChunkedLogProbsTest {
    private static final PackedBatch BATCH = PackedBatch.of(List.of(new int[] {1, 5, 9, 2, 7, 30, 11}, new int[] {4, 8, 3, 40}));

    private static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(53, 32, 24, 2, 4, 96, 1e-5, "gelu_new"), 3, 0.3)
                : LlamaModel.random(LlamaConfig.tiny("qwen2", 53, 32, 2, 4, 2), 4, 0.3);
    }

    private static int[] labels() {
        int[] labels = BATCH.nextTokenLabels();
        labels[2] = PackedBatch.IGNORE;
        return labels;
    }

    /** Log-probs, argmax, and the gradient of Σ log-probs · r at the hidden states (a leaf here). */
    private static Object[] run(CausalLM m, boolean chunked, int rows) {
        Tensor hidden;
        try (var g = Autograd.noGrad()) {
            hidden = m.hiddenStates(BATCH).detach();
        }
        hidden.requiresGrad(true);
        int[] labels = labels(), argmax;
        Tensor lp;
        if (chunked) {
            ChunkedLogProbs.Result r = ChunkedLogProbs.tokenLogProbs(m, hidden, labels, rows);
            lp = r.logProbs();
            argmax = r.argmax();
        } else {
            Tensor logits = m.lmHead(hidden);
            argmax = Reductions.argmax(logits.detach(), 1);
            lp = LogProbs.tokenLogProbs(logits, labels, PackedBatch.IGNORE);
        }
        float[] values = lp.toArray();
        lp.backward(Tensor.randn(5, lp.shape()));
        return new Object[] {values, argmax, hidden.grad().toArray()};
    }

    @ParameterizedTest(name = "{0}, chunks of {1}")
    @CsvSource({"gpt2,1", "gpt2,4", "qwen2,3", "qwen2,11", "qwen2,100"})
    void chunksGiveExactlyTheWholeLogitsResults(String type, int rows) {
        CausalLM m = model(type);
        Object[] whole = run(m, false, 0), chunked = run(m, true, rows);
        assertArrayEquals((float[]) whole[0], (float[]) chunked[0], "log-probs");
        assertEquals(0f, ((float[]) chunked[0])[2], "an ignored label gives 0");
        assertArrayEquals((int[]) whole[1], (int[]) chunked[1], "argmax");
        assertArrayEquals((float[]) whole[2], (float[]) chunked[2], "gradient at the hidden states");
    }

    @Test
    void aTrainableHeadGetsTheSameGradientUpToRounding() {
        CausalLM m = model("qwen2");
        Tensor head = m.parameters().get("lm_head.weight").requiresGrad(true);
        run(m, false, 0);
        float[] whole = head.grad().toArray();
        head.zeroGrad();
        run(m, true, 3);
        float[] chunked = head.grad().toArray();
        double max = 0, err = 0;
        for (int i = 0; i < whole.length; i++) {
            max = Math.max(max, Math.abs(whole[i]));
            err = Math.max(err, Math.abs(whole[i] - chunked[i]));
        }
        assertTrue(max > 0 && err <= 1e-5 * max, "max error " + err + " at scale " + max);
    }

    @Test
    void mismatchedSizesAreRejected() {
        CausalLM m = model("gpt2");
        var e = assertThrows(IllegalArgumentException.class, () -> ChunkedLogProbs.tokenLogProbs(m, Tensor.zeros(3, 24), new int[2], 2));
        assertTrue(e.getMessage().contains("tensor[3, 24]") && e.getMessage().contains("2 labels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChunkedLogProbs.tokenLogProbs(m, Tensor.zeros(3, 24), new int[3], 0));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
    }
}
