package dev.align4j.data;

import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.PackedSegments;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Batch#sharingPrompts}: a group's unlabelled shared start packed once, one token short, and
 * each sequence's rows and labels from there on exactly the unshared ones.
 */
class SharingPromptsTest {
    static final int I = PackedBatch.IGNORE;

    /** A prompt, then a completion whose tokens are all targets. */
    static SftExample seq(int[] prompt, int... completion) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + completion.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        boolean[] mask = new boolean[ids.length];
        Arrays.fill(mask, prompt.length, ids.length, true);
        return new SftExample(ids, mask);
    }

    @Test
    void aPairSharesItsPromptButItsLastToken() {
        int[] prompt = {10, 11, 12, 13};
        SftExample chosen = seq(prompt, 5, 6, 1), rejected = seq(prompt, 5, 7); // the completions share their first token
        Batch b = Batch.sharingPrompts(List.of(List.of(chosen, rejected)));
        assertArrayEquals(new int[] {10, 11, 12, 13, 5, 6, 1, 13, 5, 7}, b.packed().tokens());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 3, 4, 5}, b.packed().positions(), "positions continue from the prefix");
        assertEquals(PackedSegments.ofLengths(new int[] {3, 4, 3}, new int[] {-1, 0, 0}), b.packed().segments(),
                "the prompt but its last token, then each sequence from that token on");
        assertArrayEquals(new int[] {I, I, I, 5, 6, 1, I, 5, 7, I}, b.labels());
        assertEquals(2, b.sequences());
        assertEquals(chosen.length() + rejected.length(), b.sequenceTokens(), "counted as the unshared sequences");
        assertEquals(Batch.of(List.of(chosen, rejected)).targets(), b.targets());

        Batch unshared = Batch.of(List.of(chosen, rejected));
        int[] sequences = b.packed().segments().sequences();
        for (int i = 0; i < 2; i++) { // the sequence's own segment holds the unshared sequence's rows from the prompt's last token
            var seg = b.packed().segments();
            int from = unshared.packed().segments().start(i) + prompt.length - 1;
            int n = seg.end(sequences[i]) - seg.start(sequences[i]);
            assertArrayEquals(Arrays.copyOfRange(unshared.labels(), from, from + n),
                    Arrays.copyOfRange(b.labels(), seg.start(sequences[i]), seg.end(sequences[i])));
        }
    }

    @Test
    void shortOrDivergingStartsArePackedPlainly() {
        List<SftExample> onePromptToken = List.of(seq(new int[] {9}, 1, 2), seq(new int[] {9}, 3));
        List<SftExample> differentStarts = List.of(seq(new int[] {4, 5, 6}, 1), seq(new int[] {7, 5, 6}, 2)); // keep_end cut them apart
        List<SftExample> alone = List.of(seq(new int[] {4, 5, 6}, 1));
        for (List<SftExample> group : List.of(onePromptToken, differentStarts, alone)) {
            Batch b = Batch.sharingPrompts(List.of(group)), plain = Batch.of(group);
            assertArrayEquals(plain.packed().tokens(), b.packed().tokens());
            assertArrayEquals(plain.packed().positions(), b.packed().positions());
            assertEquals(plain.packed().segments(), b.packed().segments());
            assertArrayEquals(plain.labels(), b.labels());
        }
    }

    @Test
    void groupsMixSharedAndPlainInOrder() {
        List<SftExample> a = List.of(seq(new int[] {1, 2, 3}, 4), seq(new int[] {1, 2, 3}, 5, 6));
        List<SftExample> b = List.of(seq(new int[] {7}, 8), seq(new int[] {7}, 9));
        Batch batch = Batch.sharingPrompts(List.of(a, b));
        assertEquals(PackedSegments.ofLengths(new int[] {2, 2, 3, 2, 2}, new int[] {-1, 0, 0, -1, -1}), batch.packed().segments());
        assertEquals(4, batch.sequences());
        assertArrayEquals(new int[] {1, 2, 3, 4}, batch.packed().segments().sequences());
        assertEquals(4 + 5 + 2 + 2, batch.sequenceTokens());
    }

    @Test
    void aSharedPrefixTakesNoLabel() {
        PackedBatch packed = PackedBatch.sharingPrefixes(List.of(new PackedBatch.PrefixGroup(new int[] {1, 2}, List.of(new int[] {3}))));
        var e = assertThrows(IllegalArgumentException.class, () -> new Batch(packed, packed.nextTokenLabels()));
        assertTrue(e.getMessage().contains("shared prefix takes no label"), e.getMessage());
    }
}
