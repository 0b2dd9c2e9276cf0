package dev.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The valid rows of one data file, as an index of byte ranges into a file of JSON text: the data
 * file itself (JSON Lines, JSON) or a JSON Lines copy made at load time (CSV, Parquet). Any row can
 * be read on its own, so shuffling permutes row indices and never holds the rows in memory.
 *
 * <p>What it is not: a cache of rows. It holds 20 bytes per row (start, length, line or row
 * number); a row is parsed again each time it is read.
 *
 * <p>Based on the idea of Hugging Face {@code datasets}' Arrow cache with an indices mapping
 * ({@code Dataset.shuffle} permutes an index, not the table), with JSON text in place of Arrow.
 */
final class RowStore {
    private static final Cleaner CLEANER = Cleaner.create();

    final Path origin;
    final Path storage;
    final Row.Unit unit;
    private final long[] starts;
    private final int[] lengths;
    private final long[] numbers;

    private RowStore(Path origin, Path storage, Row.Unit unit, long[] starts, int[] lengths, long[] numbers, boolean temporary) {
        this.origin = origin;
        this.storage = storage;
        this.unit = unit;
        this.starts = starts;
        this.lengths = lengths;
        this.numbers = numbers;
        if (temporary) {
            CLEANER.register(this, () -> {
                try {
                    Files.deleteIfExists(storage);
                } catch (IOException ignored) {
                    // deleteOnExit, set when the copy was made, is the fallback
                }
            });
        }
    }

    int size() {
        return starts.length;
    }

    /** Collects the rows of one file in order. */
    static final class Builder {
        private final Path origin, storage;
        private final Row.Unit unit;
        private final boolean temporary;
        private long[] starts = new long[1024], numbers = new long[1024];
        private int[] lengths = new int[1024];
        private int size;

        Builder(Path origin, Path storage, Row.Unit unit, boolean temporary) {
            this.origin = origin;
            this.storage = storage;
            this.unit = unit;
            this.temporary = temporary;
        }

        void add(long start, long length, long number) {
            if (length > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException(origin + ", " + unit + " " + number + ": a row of " + length
                        + " bytes is larger than the 2 GB a row may have");
            }
            if (size == starts.length) {
                int grown = Math.toIntExact(Math.min(Integer.MAX_VALUE - 16L, size * 2L));
                if (grown == size) throw new IllegalArgumentException(origin + ": more than " + size + " rows in one file; split it");
                starts = Arrays.copyOf(starts, grown);
                numbers = Arrays.copyOf(numbers, grown);
                lengths = Arrays.copyOf(lengths, grown);
            }
            starts[size] = start;
            lengths[size] = (int) length;
            numbers[size] = number;
            size++;
        }

        RowStore build() {
            return new RowStore(origin, storage, unit, Arrays.copyOf(starts, size), Arrays.copyOf(lengths, size),
                    Arrays.copyOf(numbers, size), temporary);
        }
    }

    /**
     * Reads rows of this store through one open file. Rows read in increasing order come from a
     * read-ahead buffer; others are read one by one.
     */
    final class Reader implements AutoCloseable {
        private static final int READ_AHEAD = 1 << 20;
        private final FileChannel channel;
        private ByteBuffer buffer = ByteBuffer.allocate(READ_AHEAD);
        private long bufferStart = -1;
        private int last = -2;

        Reader() {
            try {
                channel = FileChannel.open(storage, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + origin + ": " + e.getMessage(), e);
            }
        }

        Row read(int i) {
            long start = starts[i];
            int length = lengths[i];
            boolean sequential = i == last + 1;
            last = i;
            try {
                if (bufferStart < 0 || start < bufferStart || start + length > bufferStart + buffer.limit()) {
                    if (buffer.capacity() < length) buffer = ByteBuffer.allocate(length);
                    buffer.clear();
                    if (!sequential) buffer.limit(length);
                    bufferStart = start;
                    while (buffer.hasRemaining()) {
                        if (channel.read(buffer, start + buffer.position()) < 0) break;
                    }
                    buffer.flip();
                    if (buffer.limit() < length) {
                        throw new IllegalStateException(origin + " changed while being read: " + unit + " " + numbers[i]
                                + " ends past the end of the file; load the dataset again");
                    }
                }
                JsonNode json = JsonLines.MAPPER.readTree(buffer.array(), (int) (start - bufferStart), length);
                if (!(json instanceof ObjectNode object)) {
                    throw new IllegalStateException(origin + " changed while being read: " + unit + " " + numbers[i]
                            + " is no longer a JSON object; load the dataset again");
                }
                return new Row(RowChecker.removeNulls(object), origin, unit, numbers[i]);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + origin + ", " + unit + " " + numbers[i] + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + origin + ": " + e.getMessage(), e);
            }
        }
    }
}
