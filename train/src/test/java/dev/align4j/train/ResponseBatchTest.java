package dev.align4j.train;

import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where a response token's state sits in the packed batch, its label, and the entropies read at those rows. */
class ResponseBatchTest {

    /** Prompts [5, 6] and [7] with responses [8, 9] and [3]: sequences 5 6 8 9 | 7 3; token 8 is predicted at row 1 (6), 9 at 2, 3 at 4. */
    @Test
    void eachResponseTokenIsPredictedAtTheRowBeforeIt() {
        ResponseBatch b = ResponseBatch.of(List.of(new int[] {5, 6}, new int[] {7}), List.of(new int[] {8, 9}, new int[] {3}));
        assertArrayEquals(new int[] {5, 6, 8, 9, 7, 3}, b.batch().tokens());
        assertArrayEquals(new int[] {1, 2, 4}, b.rows());
        int I = PackedBatch.IGNORE;
        assertArrayEquals(new int[] {I, 8, 9, I, 3, I}, b.labels());
    }

    /** Uniform logits over 4 tokens have entropy ln 4; logits (ln 3, 0, −∞-ish, …) over two live tokens with p = 3/4, 1/4 have −Σ p ln p. */
    @Test
    void entropiesAreReadAtTheResponseRows() {
        ResponseBatch b = ResponseBatch.of(List.of(new int[] {1}, new int[] {2}), List.of(new int[] {0}, new int[] {0}));
        // rows 0 and 2 of a (4, 4) logits matrix; rows 1 and 3 are not responses' states
        float big = -1e4f, ln3 = (float) Math.log(3);
        Tensor logits = Tensor.of(new float[] {0, 0, 0, 0, 9, 9, 9, 9, ln3, 0, big, big, 5, 5, 5, 5}, 4, 4);
        float[] e = b.entropies(logits);
        assertEquals(Math.log(4), e[0], 1e-6);
        assertEquals(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), e[1], 1e-6);
        assertEquals((e[0] + e[1]) / 2, b.meanEntropy(logits), 1e-6);
    }
}
