package dev.align4j.data;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A loaded dataset: a re-iterable, countable sequence of {@link Row}s, all of one TRL type and
 * format, read from disk on every pass. Shuffles and splits are views: they permute or select row
 * indices (4 bytes a row) and never hold rows in memory.
 *
 * <p>What it is not: tokenized ({@link SftProcessor} does that, row by row), nor mutable: every
 * view is a new dataset over the same files, and iteration is safe from several threads, each
 * with its own iterator. Files must not change while a dataset over them is in use.
 *
 * <p>Based on Hugging Face {@code datasets.Dataset}: {@code shuffle(seed)} permutes an indices
 * mapping, and {@code train_test_split(test_size, seed)} takes {@code ceil(test_size * n)} rows
 * (or {@code test_size} rows when it is a whole number of at least 1) as the test split, the first
 * of a seeded permutation, the rest as the train split. The permutation is a Fisher-Yates shuffle
 * driven by {@link java.util.Random}, whose sequence the Java specification fixes, so a seed gives
 * the same order on every JVM (not the order numpy gives Hugging Face for the same seed).
 */
public final class Dataset implements Iterable<Row> {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Files an iterator keeps open at once when rows come from many files in shuffled order. */
    private static final int OPEN_FILES = 8;

    private final List<RowStore> stores;
    private final long[] ends; // cumulative row counts of the stores
    private final int[] view;  // global row indices, or null for all rows in order
    private final RowFormat format;
    private final long skippedRows;

    Dataset(List<RowStore> stores, RowFormat format, long skippedRows) {
        stores = stores.stream().filter(s -> s.size() > 0).toList(); // row lookup needs strictly increasing ends
        this.stores = stores;
        this.ends = new long[stores.size()];
        long total = 0;
        for (int i = 0; i < stores.size(); i++) ends[i] = total += stores.get(i).size();
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("a dataset holds at most " + (Integer.MAX_VALUE - 16) + " rows, these files have " + total);
        }
        this.view = null;
        this.format = format;
        this.skippedRows = skippedRows;
    }

    private Dataset(Dataset base, int[] view) {
        this.stores = base.stores;
        this.ends = base.ends;
        this.view = view;
        this.format = base.format;
        this.skippedRows = base.skippedRows;
    }

    /** Number of rows. */
    public int size() {
        return view != null ? view.length : (int) (ends.length == 0 ? 0 : ends[ends.length - 1]);
    }

    /** The TRL type and format every row has. */
    public RowFormat format() {
        return format;
    }

    public DatasetType type() {
        return format.type();
    }

    /** Rows skipped at load time because they were invalid ({@code skip_invalid_rows}). */
    public long skippedRows() {
        return skippedRows;
    }

    /** The row at {@code index} of this view (opens and closes its file: for a few rows, not a loop). */
    public Row get(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("row " + index + " of a dataset of " + size() + " rows");
        }
        int global = view == null ? index : view[index];
        int store = storeOf(global);
        try (RowStore.Reader reader = stores.get(store).new Reader()) {
            return reader.read(local(store, global));
        }
    }

    /** This dataset's rows in a seeded random order. */
    public Dataset shuffled(long seed) {
        return new Dataset(this, permuted(seed));
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) of this view, as Hugging Face's {@code select(range(from, to))}. */
    public Dataset select(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IndexOutOfBoundsException("select(" + from + ", " + to + ") of a dataset of " + size() + " rows");
        }
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) rows[i] = global(from + i);
        return new Dataset(this, rows);
    }

    /** A train split and a test split. */
    public record Split(Dataset train, Dataset test) {}

    /**
     * Splits this view as Hugging Face's {@code train_test_split(test_size, seed=seed)}.
     *
     * @param testSize a fraction in (0, 1), or a whole number of test rows of at least 1
     * @throws IllegalArgumentException when the size leaves either split empty or is not one of those
     */
    public Split split(double testSize, long seed) {
        int n = size();
        long test;
        if (testSize > 0 && testSize < 1) {
            test = (long) Math.ceil(testSize * n);
        } else if (testSize >= 1 && testSize == Math.rint(testSize)) {
            test = (long) testSize;
        } else {
            throw new IllegalArgumentException("test_size must be a fraction in (0, 1) or a whole number of rows of at least 1, got " + testSize);
        }
        if (test >= n) {
            throw new IllegalArgumentException("test_size " + testSize + " leaves no training rows out of " + n
                    + "; choose a smaller test_size");
        }
        int[] order = permuted(seed);
        return new Split(new Dataset(this, Arrays.copyOfRange(order, (int) test, n)),
                new Dataset(this, Arrays.copyOfRange(order, 0, (int) test)));
    }

    @Override
    public Iterator<Row> iterator() {
        return new RowIterator();
    }

    /** The rows as a sequential stream; closing the stream closes the files it opened. */
    public Stream<Row> stream() {
        RowIterator it = new RowIterator();
        return StreamSupport.stream(Spliterators.spliterator(it, size(), Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(it.files::close);
    }

    private int[] permuted(long seed) {
        int n = size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = global(i);
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private int global(int index) {
        return view == null ? index : view[index];
    }

    private int storeOf(int global) {
        int i = Arrays.binarySearch(ends, global);
        return i >= 0 ? i + 1 : -i - 1; // ends are exclusive: a row equal to ends[i] is in store i + 1
    }

    private int local(int store, int global) {
        return (int) (global - (store == 0 ? 0 : ends[store - 1]));
    }

    /** Open files of one iteration, closed at its end, by {@link Stream#close()}, or when the iterator is collected. */
    private static final class OpenFiles implements Runnable {
        private final Map<Integer, RowStore.Reader> readers = new LinkedHashMap<>(16, 0.75f, true);

        RowStore.Reader reader(List<RowStore> stores, int store) {
            RowStore.Reader reader = readers.get(store);
            if (reader == null) {
                if (readers.size() == OPEN_FILES) {
                    Iterator<RowStore.Reader> eldest = readers.values().iterator();
                    eldest.next().close();
                    eldest.remove();
                }
                reader = stores.get(store).new Reader();
                readers.put(store, reader);
            }
            return reader;
        }

        void close() {
            readers.values().forEach(RowStore.Reader::close);
            readers.clear();
        }

        @Override
        public void run() {
            close();
        }
    }

    private final class RowIterator implements Iterator<Row> {
        private final OpenFiles files = new OpenFiles();
        private final Cleaner.Cleanable cleanable = CLEANER.register(this, files);
        private int next;

        @Override
        public boolean hasNext() {
            if (next < size()) return true;
            cleanable.clean();
            return false;
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException("the dataset has " + size() + " rows");
            int global = global(next++);
            int store = storeOf(global);
            Row row = files.reader(stores, store).read(local(store, global));
            if (next == size()) cleanable.clean();
            return row;
        }
    }
}
