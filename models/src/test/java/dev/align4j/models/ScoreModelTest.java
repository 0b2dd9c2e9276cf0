package dev.align4j.models;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.tensor.Autograd;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a score model reads each sequence's score, with and without shared prefixes, and its head's shape check. */
class ScoreModelTest {
    private static final int PAD = 0;

    private static ScoreModel model(Integer pad) {
        Gpt2Model lm = Gpt2Model.random(new Gpt2Config(40, 32, 16, 2, 2, 64, 1e-5, "gelu_new"), 3, 0.2);
        return new ScoreModel(lm, ScoreModel.newHead(16, 4, 0.5), pad);
    }

    @Test
    void eachSequenceIsScoredAtItsLastTokenThatIsNotPad() {
        ScoreModel m = model(PAD);
        PackedBatch b = PackedBatch.of(List.of(new int[] {5, 6, 7}, new int[] {8, 9, PAD, PAD}, new int[] {PAD, PAD}));
        assertArrayEquals(new int[] {2, 4, 7}, m.scoredTokens(b), "last token; the token before trailing pads; the first of all-pad");
        assertArrayEquals(new int[] {2, 6, 8}, model(null).scoredTokens(b), "without a pad token: every sequence's last token");
    }

    @Test
    void aContinuationOfPadTokensIsScoredInsideItsSharedPrefix() {
        ScoreModel m = model(PAD);
        PackedBatch shared = PackedBatch.sharingPrefixes(List.of(new PackedBatch.PrefixGroup(new int[] {5, 6, 7},
                List.of(new int[] {11, 12}, new int[] {PAD}))));
        // tokens: prefix 5 6 7 | 11 12 | PAD
        assertArrayEquals(new int[] {4, 2}, m.scoredTokens(shared));
        PackedBatch plain = PackedBatch.of(List.of(new int[] {5, 6, 7, 11, 12}, new int[] {5, 6, 7, PAD}));
        try (var g = Autograd.noGrad()) {
            float[] a = m.sequenceScores(shared).toArray(), b = m.sequenceScores(plain).toArray();
            assertEquals(b[0], a[0], 1e-5);
            assertEquals(b[1], a[1], 1e-5);
        }
    }

    @Test
    void aHeadOfTheWrongShapeIsRefusedWithBothShapes() {
        Gpt2Model lm = Gpt2Model.random(new Gpt2Config(40, 32, 16, 2, 2, 64, 1e-5, "gelu_new"), 3, 0.2);
        var e = assertThrows(IllegalArgumentException.class, () -> new ScoreModel(lm, ScoreModel.newHead(8, 1, 0.02), null));
        assertTrue(e.getMessage().contains("[1, 8]") && e.getMessage().contains("[1, 16]"), e.getMessage());
    }
}
