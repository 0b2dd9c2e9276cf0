package dev.align4j.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * Streams of {@link Batch}es from streams of {@link SftExample}s, by sequence count or by token
 * budget, holding at most one window of examples in memory and deterministic given the seed.
 *
 * <p>What it is not: an epoch loop or a sampler: the order of the examples is the order of the
 * rows they come from (shuffle the {@link Dataset} with the epoch's seed), and distributed
 * sharding is not done here.
 *
 * <p>Based on TRL's SFT data path: without packing, a batch is {@code per_device_train_batch_size}
 * sequences, which TRL pads to a rectangle and here become the segments of one packed batch (no
 * padding); with packing, TRL's {@code pack_dataset(strategy="bfd")} packs each map batch of 1,000
 * rows on its own and the trainer's sampler shuffles the packed rows, as {@link #packed} packs each
 * window and shuffles its bins with the seed. A token budget of
 * {@code max_length * per_device_train_batch_size} holds what TRL's batch of that many packed rows
 * holds, packed tighter.
 */
public final class Batches {
    private Batches() {}

    /** TRL's (datasets') default map batch size: the window packing sees at once. */
    public static final int DEFAULT_WINDOW = 1000;

    /** The examples of rows, processed lazily in order. */
    public static Iterator<SftExample> examples(Iterable<Row> rows, SftProcessor processor) {
        Iterator<Row> it = rows.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public SftExample next() {
                return processor.process(it.next());
            }
        };
    }

    /**
     * Non-packed batches: {@code sequencesPerBatch} consecutive examples per batch (the last batch
     * may hold fewer), as segments of one packed batch.
     */
    public static Iterator<Batch> bySequenceCount(Iterator<SftExample> examples, int sequencesPerBatch) {
        if (sequencesPerBatch < 1) {
            throw new IllegalArgumentException("per_device_train_batch_size must be at least 1, got " + sequencesPerBatch);
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return examples.hasNext();
            }

            @Override
            public Batch next() {
                if (!examples.hasNext()) throw new NoSuchElementException("no more examples");
                List<SftExample> batch = new ArrayList<>(sequencesPerBatch);
                while (batch.size() < sequencesPerBatch && examples.hasNext()) batch.add(examples.next());
                return Batch.of(batch);
            }
        };
    }

    /**
     * Packed batches of at most {@code tokensPerBatch} tokens: each window of {@code window}
     * examples is packed best-fit-decreasing ({@link Packing}), its bins shuffled with a
     * {@link Random} seeded once with {@code seed}, each bin one batch.
     */
    public static Iterator<Batch> packed(Iterator<SftExample> examples, int tokensPerBatch, int window, long seed) {
        if (tokensPerBatch < 1) throw new IllegalArgumentException("packed: the token budget must be at least 1, got " + tokensPerBatch);
        if (window < 1) throw new IllegalArgumentException("packed: the window must hold at least 1 example, got " + window);
        Random random = new Random(seed);
        return new Iterator<>() {
            private final List<Packing.Bin> bins = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                while (next == bins.size() && examples.hasNext()) fill();
                return next < bins.size();
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException("no more examples");
                return Batch.of(bins.get(next++).examples());
            }

            private void fill() {
                List<SftExample> chunk = new ArrayList<>(Math.min(window, 1 << 16));
                while (chunk.size() < window && examples.hasNext()) chunk.add(examples.next());
                bins.clear();
                next = 0;
                bins.addAll(Packing.bestFitDecreasing(chunk, tokensPerBatch));
                Collections.shuffle(bins, random);
            }
        };
    }
}
