package dev.align4j.train.dpo;

import dev.align4j.data.Batch;
import dev.align4j.data.SftExample;
import dev.align4j.models.CausalLM;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.PairLogps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Precomputed reference log-probs: the values of the live reference, found by content in batches
 * of any order and size; a second run with the same reference and data reads the cache without
 * opening the reference; another reference or other data misses.
 */
class ReferenceLogpsTest {
    static final CausalLM POLICY = LlamaModel.random(LlamaConfig.tiny("llama", DpoObjectiveTest.VOCAB, 16, 2, 2, 1), 7, 0.2);
    static final CausalLM REFERENCE = LlamaModel.random(LlamaConfig.tiny("llama", DpoObjectiveTest.VOCAB, 16, 2, 2, 1), 8, 0.2);

    static DpoObjective live() {
        return new DpoObjective(POLICY, new DpoObjective.Reference.Frozen(REFERENCE), DpoLoss.Options.DEFAULT);
    }

    @Test
    void aSecondRunReadsTheCacheWithoutTheReferenceAndGetsTheSameValues(@TempDir Path dir) throws IOException {
        List<SftExample[]> pairs = DpoObjectiveTest.pairs(1, 10);
        List<Batch> inOrder = DpoObjectiveTest.batches(pairs, 4, null);
        AtomicInteger opened = new AtomicInteger();
        ReferenceLogps.Loaded first = ReferenceLogps.cached(dir, "ref A", inOrder, () -> {
            opened.incrementAndGet();
            return live()::referenceLogps;
        });
        assertFalse(first.fromCache());
        assertEquals(1, opened.get());
        assertTrue(Files.isRegularFile(first.file()));

        ReferenceLogps.Loaded second = ReferenceLogps.cached(dir, "ref A", inOrder, () -> fail("the reference was opened on a cache hit"));
        assertTrue(second.fromCache());
        assertEquals(first.file(), second.file());

        for (Batch b : DpoObjectiveTest.batches(pairs, 3, new Random(5))) { // other order, other batch size
            PairLogps expected = live().referenceLogps(b), a = first.table().lookup(b), c = second.table().lookup(b);
            assertArrayEquals(expected.chosen().toArray(), a.chosen().toArray(), 1e-5f);
            assertArrayEquals(expected.rejected().toArray(), a.rejected().toArray(), 1e-5f);
            assertArrayEquals(a.chosen().toArray(), c.chosen().toArray(), "the cache holds the computed values exactly");
            assertArrayEquals(a.rejected().toArray(), c.rejected().toArray());
            assertArrayEquals(expected.chosenTokens(), c.chosenTokens());
        }
    }

    @Test
    void anotherReferenceOrOtherDataMisses(@TempDir Path dir) throws IOException {
        List<Batch> data = DpoObjectiveTest.batches(DpoObjectiveTest.pairs(1, 4), 2, null);
        Path a = ReferenceLogps.cached(dir, "ref A", data, () -> live()::referenceLogps).file();
        ReferenceLogps.Loaded otherRef = ReferenceLogps.cached(dir, "ref B", data, () -> live()::referenceLogps);
        ReferenceLogps.Loaded otherData = ReferenceLogps.cached(dir, "ref A", DpoObjectiveTest.batches(DpoObjectiveTest.pairs(2, 4), 2, null),
                () -> live()::referenceLogps);
        assertFalse(otherRef.fromCache() || otherData.fromCache());
        assertTrue(!a.equals(otherRef.file()) && !a.equals(otherData.file()));

        Batch unseen = DpoObjectiveTest.batches(DpoObjectiveTest.pairs(3, 2), 2, null).getFirst();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceLogps.cached(dir, "ref A", data, () -> fail("cached")).table().lookup(unseen));
        assertTrue(e.getMessage().contains("no precomputed reference log-probs"), e.getMessage());
    }

    /** A model folder's identity changes when a weight file is rewritten. */
    @Test
    void aRewrittenWeightFileChangesTheFolderIdentity(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.write(dir.resolve("model.safetensors"), new byte[8]);
        String before = ReferenceLogps.folderIdentity(dir);
        Files.write(dir.resolve("model.safetensors"), new byte[16]);
        assertFalse(before.equals(ReferenceLogps.folderIdentity(dir)));
    }
}
