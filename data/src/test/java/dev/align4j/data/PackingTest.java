package dev.align4j.data;

import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.PackedSegments;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Best-fit-decreasing packing, packed batches with labels, and batch streams. */
class PackingTest {
    private static int nextId = 1;

    /** A sequence of distinct ids; every token but the first is a target unless a mask is given. */
    static SftExample seq(int length) {
        int[] ids = new int[length];
        boolean[] mask = new boolean[length];
        for (int i = 0; i < length; i++) {
            ids[i] = nextId++;
            mask[i] = i > 0;
        }
        return new SftExample(ids, mask);
    }

    static List<Integer> lengths(Packing.Bin bin) {
        return bin.examples().stream().map(SftExample::length).toList();
    }

    @Test
    void trlDocstringExample() {
        // trl pack_dataset(strategy="bfd") docstring: [[1..5], [6, 7], [8, 9, 10], [11]] at seq_length 4
        // gives [[1, 2, 3, 4], [8, 9, 10, 11], [6, 7]].
        SftExample a = new SftExample(new int[]{1, 2, 3, 4, 5}, new boolean[5]), b = new SftExample(new int[]{6, 7}, new boolean[2]);
        SftExample c = new SftExample(new int[]{8, 9, 10}, new boolean[3]), d = new SftExample(new int[]{11}, new boolean[1]);
        List<Packing.Bin> bins = Packing.bestFitDecreasing(List.of(a, b, c, d), 4);
        List<int[]> tokens = bins.stream().map(bin -> Batch.of(bin.examples()).packed().tokens()).toList();
        assertEquals(3, bins.size());
        assertArrayEquals(new int[]{1, 2, 3, 4}, tokens.get(0), "the long sequence is truncated, not split");
        assertArrayEquals(new int[]{8, 9, 10, 11}, tokens.get(1));
        assertArrayEquals(new int[]{6, 7}, tokens.get(2));
    }

    @Test
    void bestFitChoosesTheTightestBinAndGivesTheExpectedBinCount() {
        // Capacity 10, lengths 4 4 3 3 3 1: after 4+4 (room 2) and 3+3+3 (room 1), the 1 goes to the
        // tighter second bin (first fit would put it in the first): 2 bins, both exact.
        List<SftExample> items = List.of(seq(3), seq(4), seq(1), seq(3), seq(4), seq(3));
        List<Packing.Bin> bins = Packing.bestFitDecreasing(items, 10);
        assertEquals(2, bins.size());
        assertEquals(List.of(4, 4), lengths(bins.get(0)));
        assertEquals(List.of(3, 3, 3, 1), lengths(bins.get(1)));
        assertEquals(List.of(8, 10), bins.stream().map(Packing.Bin::tokens).toList());
        // 6 5 4 3 2 2 1 in bins of 10: [6 4] [5 3 2] [2 1], the lower bound ceil(23 / 10) = 3.
        List<Packing.Bin> three = Packing.bestFitDecreasing(List.of(seq(2), seq(6), seq(1), seq(4), seq(5), seq(3), seq(2)), 10);
        assertEquals(List.of(List.of(6, 4), List.of(5, 3, 2), List.of(2, 1)), three.stream().map(PackingTest::lengths).toList());
    }

    @Test
    void matchesAPlainBestFitReferenceOnRandomSequences() {
        Random random = new Random(5);
        for (int round = 0; round < 200; round++) {
            int max = 1 + random.nextInt(64);
            List<SftExample> items = new ArrayList<>();
            for (int i = random.nextInt(60); i > 0; i--) items.add(seq(random.nextInt(max + 8))); // some empty, some too long
            List<Packing.Bin> fast = Packing.bestFitDecreasing(items, max);
            List<List<Integer>> slow = referenceBestFit(items, max);
            assertEquals(slow, fast.stream().map(bin -> bin.examples().stream().map(e -> e.inputIds()[0]).toList()).toList());
            checkInvariants(items, fast, max);
        }
    }

    /** Linear scans: the bin with the least room that fits, ties to the bin that has had that room longest. */
    static List<List<Integer>> referenceBestFit(List<SftExample> items, int max) {
        List<SftExample> sorted = new ArrayList<>(items.stream().filter(e -> e.length() > 0).toList());
        sorted.sort((x, y) -> Integer.compare(Math.min(y.length(), max), Math.min(x.length(), max)));
        List<List<Integer>> bins = new ArrayList<>();
        List<Integer> room = new ArrayList<>();
        List<Long> since = new ArrayList<>();
        long clock = 0;
        for (SftExample e : sorted) {
            int length = Math.min(e.length(), max), best = -1;
            for (int b = 0; b < bins.size(); b++) {
                if (room.get(b) >= length && room.get(b) > 0 && (best < 0 || room.get(b) < room.get(best)
                        || (room.get(b).equals(room.get(best)) && since.get(b) < since.get(best)))) {
                    best = b;
                }
            }
            if (best < 0) {
                best = bins.size();
                bins.add(new ArrayList<>());
                room.add(max);
                since.add(0L);
            }
            bins.get(best).add(e.inputIds()[0]);
            room.set(best, room.get(best) - length);
            since.set(best, clock++);
        }
        return bins;
    }

    static void checkInvariants(List<SftExample> items, List<Packing.Bin> bins, int max) {
        Map<Integer, SftExample> byFirstId = new java.util.HashMap<>();
        for (SftExample e : items) if (e.length() > 0) byFirstId.put(e.inputIds()[0], e);
        int placed = 0;
        for (Packing.Bin bin : bins) {
            assertTrue(bin.tokens() <= max && bin.tokens() > 0, "bin of " + bin.tokens() + " tokens, max " + max);
            Batch batch = Batch.of(bin.examples());
            PackedSegments segments = batch.packed().segments();
            int[] tokens = batch.packed().tokens(), positions = batch.packed().positions(), labels = batch.labels();
            assertEquals(bin.examples().size(), segments.segments());
            for (int s = 0; s < segments.segments(); s++) {
                SftExample original = byFirstId.remove(tokens[segments.start(s)]);
                int length = segments.end(s) - segments.start(s);
                assertEquals(Math.min(original.length(), max), length, "a sequence is whole in one bin (truncated to max)");
                for (int p = 0; p < length; p++) {
                    int t = segments.start(s) + p;
                    assertEquals(p, positions[t], "positions restart at 0 in each sequence");
                    assertEquals(original.inputIds()[p], tokens[t]);
                    int expected = p + 1 < length && original.lossMask()[p + 1] ? original.inputIds()[p + 1] : PackedBatch.IGNORE;
                    assertEquals(expected, labels[t], "label never crosses into the next sequence");
                }
                placed++;
            }
        }
        assertTrue(byFirstId.isEmpty(), "every non-empty sequence is in exactly one bin");
        assertEquals(items.stream().filter(e -> e.length() > 0).count(), placed);
    }

    @Test
    void batchLabelsFollowTheMaskOfThePredictedToken() {
        SftExample a = new SftExample(new int[]{10, 11, 12, 13}, new boolean[]{false, false, true, true});
        SftExample b = new SftExample(new int[]{20, 21}, new boolean[]{true, true});
        Batch batch = Batch.of(List.of(a, b));
        int x = PackedBatch.IGNORE;
        assertArrayEquals(new int[]{x, 12, 13, x, 21, x}, batch.labels());
        assertArrayEquals(new int[]{0, 1, 2, 3, 0, 1}, batch.packed().positions());
        assertEquals(3, batch.targets());
        assertEquals(a.targets() + b.targets(), batch.targets());
        assertEquals(2, batch.sequences());
        assertThrows(IllegalArgumentException.class, () -> Batch.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SftExample(new int[2], new boolean[3]));
        assertThrows(IllegalArgumentException.class, () -> Packing.bestFitDecreasing(List.of(a), 0));
    }

    @Test
    void sequenceCountBatchesKeepOrderWithoutPadding() {
        List<SftExample> items = List.of(seq(3), seq(5), seq(2), seq(7), seq(1));
        List<Batch> batches = new ArrayList<>();
        Batches.bySequenceCount(items.iterator(), 2).forEachRemaining(batches::add);
        assertEquals(List.of(2, 2, 1), batches.stream().map(Batch::sequences).toList());
        assertEquals(List.of(8, 9, 1), batches.stream().map(Batch::size).toList(), "tokens: no padding");
        assertEquals(items.get(2).inputIds()[0], batches.get(1).packed().tokens()[0]);
        assertThrows(IllegalArgumentException.class, () -> Batches.bySequenceCount(items.iterator(), 0));
    }

    @Test
    void packedBatchesAreDeterministicAndHoldEverySequenceOnce() {
        Random random = new Random(9);
        List<SftExample> items = new ArrayList<>();
        for (int i = 0; i < 250; i++) items.add(seq(1 + random.nextInt(40)));
        List<List<Integer>> first = packedFirstIds(items, 7), again = packedFirstIds(items, 7), other = packedFirstIds(items, 8);
        assertEquals(first, again, "same seed, same batches");
        assertTrue(!first.equals(other), "another seed shuffles the bins differently");
        Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (List<Integer> batch : first) for (int id : batch) seen.merge(id, 1, Integer::sum);
        assertEquals(250, seen.size());
        assertTrue(seen.values().stream().allMatch(n -> n == 1));
        Iterator<Batch> it = Batches.packed(items.iterator(), 64, 100, 7);
        int batches = 0;
        while (it.hasNext()) {
            Batch b = it.next();
            assertTrue(b.size() <= 64);
            batches++;
        }
        assertEquals(first.size(), batches);
        // Windows of 100: no bin mixes sequences of different windows.
        Map<SftExample, Integer> window = new IdentityHashMap<>();
        for (int i = 0; i < items.size(); i++) window.put(items.get(i), i / 100);
        Map<Integer, Integer> windowOfFirstId = new java.util.HashMap<>();
        for (SftExample e : items) windowOfFirstId.put(e.inputIds()[0], window.get(e));
        for (List<Integer> batch : first) assertEquals(1, batch.stream().map(windowOfFirstId::get).distinct().count());
    }

    static List<List<Integer>> packedFirstIds(List<SftExample> items, long seed) {
        List<List<Integer>> out = new ArrayList<>();
        Batches.packed(items.iterator(), 64, 100, seed).forEachRemaining(b -> {
            int[] tokens = b.packed().tokens();
            PackedSegments s = b.packed().segments();
            List<Integer> firsts = new ArrayList<>();
            for (int i = 0; i < s.segments(); i++) firsts.add(tokens[s.start(i)]);
            out.add(firsts);
        });
        return out;
    }
}
