package dev.align4j.models;

import dev.align4j.tensor.CachedAttention;
import dev.align4j.tensor.PackedSegments;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.Parallel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The keys and values of every layer for a set of sequences being generated, so each new token
 * costs one token's forward pass instead of the whole sequence's.
 *
 * <p>What it is: numbered slots, one per sequence. A slot holds, per layer, a key and a value buffer
 * of shape (capacity, Hkv, D) — the rows of the (T, Hkv, D) projections, so appending is one copy —
 * and the sequence's length. Capacity doubles when a sequence outgrows it, so appending a token
 * costs amortised O(1) copies, never a copy of the whole cache per token. {@link #fork} copies a
 * slot: the n completions of one prompt share its prefill by forking it. {@link #extend} is what a
 * model's cached forward calls: it checks the batch continues its sequences, appends each layer's
 * new keys and values and attends over the cache ({@link CachedAttention}).
 *
 * <p>What it is not: thread-safe, a paged or prefix-sharing cache (vLLM's PagedAttention): forked
 * slots copy the prompt's rows, which costs memory proportional to n·prompt but no extra compute.
 * A forward pass that fails half way leaves its slots' lengths advanced; free those slots.
 */
public final class KvCache {
    private static final int MIN_CAPACITY = 16;

    private final int layers, kvHeads, headDim;
    private final List<Slot> slots = new ArrayList<>();
    private final List<Slot> spare = new ArrayList<>(); // freed slots, their buffers kept for allocate

    private static final class Slot {
        final Tensor[] k, v; // per layer: (capacity, Hkv, D)
        int length;

        Slot(int layers) {
            k = new Tensor[layers];
            v = new Tensor[layers];
        }
    }

    /** An empty cache for a model of {@code layers} layers with {@code kvHeads} key/value heads of size {@code headDim}. */
    public KvCache(int layers, int kvHeads, int headDim) {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("KvCache: layers, kv heads and head dim must be positive, got " + layers + ", "
                    + kvHeads + ", " + headDim);
        }
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    /** A new empty slot (reusing a freed number) that grows as tokens come. */
    public int allocate() {
        return allocate(MIN_CAPACITY);
    }

    /**
     * A new empty slot with room for {@code capacity} tokens before it grows: a caller that knows
     * how long the sequence can get (prompt plus max_new_tokens) saves the copies of growing and
     * the garbage of the outgrown buffers (a batch-32 decode of 64 tokens after prompts of 16
     * regrew each slot three times, 8 MB of new buffers a step for GPT-2).
     */
    public int allocate(int capacity) {
        Slot slot = spareFor(Math.max(1, capacity));
        if (slot == null) {
            slot = new Slot(layers);
            for (int l = 0; l < layers; l++) {
                slot.k[l] = layerBuffer(Math.max(1, capacity));
                slot.v[l] = layerBuffer(Math.max(1, capacity));
            }
        }
        int free = slots.indexOf(null);
        if (free >= 0) {
            slots.set(free, slot);
            return free;
        }
        slots.add(slot);
        return slots.size() - 1;
    }

    /** A new slot holding a copy of {@code slot}'s keys and values (capacity fitted to its length). */
    public int fork(int slot) {
        return fork(slot, MIN_CAPACITY);
    }

    /** {@link #fork(int)} with room for {@code capacity} tokens at least ({@link #allocate(int)}). */
    public int fork(int slot, int capacity) {
        Slot from = get(slot);
        int id = allocate(capacity);
        Slot to = slots.get(id);
        reserve(to, from.length);
        int rows = from.length * kvHeads * headDim;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(from.k[l].storage(), 0, to.k[l].storage(), 0, rows);
            System.arraycopy(from.v[l].storage(), 0, to.v[l].storage(), 0, rows);
        }
        to.length = from.length;
        return id;
    }

    /**
     * Releases a slot: its number and its buffers are handed out again by {@link #allocate}, so a
     * generator serving request after request (a server, an RL loop) makes no new cache memory once
     * it has held its largest batch. What is kept is at most what was live at once.
     */
    public void free(int slot) {
        Slot s = get(slot);
        slots.set(slot, null);
        s.length = 0;
        spare.add(s);
    }

    /** Slots freed and kept for reuse, buffers and all. */
    public int spareSlots() {
        return spare.size();
    }

    /**
     * A freed slot for {@code capacity} tokens: the smallest that holds them, else the largest, grown
     * (its old rows are never read: a slot's rows past its length are written before they count).
     */
    private Slot spareFor(int capacity) {
        Slot best = null;
        for (Slot s : spare) {
            if (best == null) {
                best = s;
                continue;
            }
            int c = s.k[0].dim(0), b = best.k[0].dim(0);
            boolean fits = c >= capacity, bestFits = b >= capacity;
            if (fits && (!bestFits || c < b) || !fits && !bestFits && c > b) best = s;
        }
        if (best == null) return null;
        spare.remove(best);
        reserve(best, capacity);
        return best;
    }

    /** Tokens cached for {@code slot}: the position its next token takes. */
    public int length(int slot) {
        return get(slot).length;
    }

    /** Slots in use. */
    public int size() {
        return (int) slots.stream().filter(s -> s != null).count();
    }

    /**
     * Extends the sequences in {@code slots} by the tokens of {@code batch}, one segment per slot in
     * order, and returns the attention a model's forward pass uses for them: layer {@code l}'s new
     * keys and values are appended to the slot and its queries attend over the whole cached sequence.
     * Each segment must hold at least one token, at positions continuing its slot's length, and
     * extend no shared prefix ({@link PackedSegments}).
     */
    public LayerAttention extend(PackedBatch batch, int[] slots) {
        PackedSegments seg = batch.segments();
        if (seg.hasPrefixes()) {
            throw new IllegalArgumentException("KvCache.extend: the batch's " + seg + " share prefixes, a training layout; give each"
                    + " slot its own plain segment (fork a slot to share a prompt)");
        }
        if (seg.segments() != slots.length) {
            throw new IllegalArgumentException("KvCache.extend: the batch has " + seg.segments() + " sequences but "
                    + slots.length + " slots were given " + Arrays.toString(slots));
        }
        int[] positions = batch.positions(), past = new int[slots.length], lengths = new int[slots.length];
        Slot[] target = new Slot[slots.length];
        for (int s = 0; s < slots.length; s++) {
            target[s] = get(slots[s]);
            for (int r = 0; r < s; r++) {
                if (slots[r] == slots[s]) throw new IllegalArgumentException("KvCache.extend: slot " + slots[s] + " appears twice");
            }
            int n = seg.end(s) - seg.start(s);
            past[s] = target[s].length;
            if (n == 0) throw new IllegalArgumentException("KvCache.extend: sequence " + s + " (slot " + slots[s] + ") has no new token");
            for (int i = 0; i < n; i++) {
                if (positions[seg.start(s) + i] != past[s] + i) {
                    throw new IllegalArgumentException("KvCache.extend: token " + i + " of sequence " + s + " (slot " + slots[s]
                            + ") has position " + positions[seg.start(s) + i] + " but the slot holds " + past[s]
                            + " tokens, so it must be " + (past[s] + i) + "; positions continue the cached sequence");
                }
            }
            lengths[s] = past[s] + n;
        }
        for (int s = 0; s < slots.length; s++) {
            reserve(target[s], lengths[s]);
            target[s].length = lengths[s];
        }
        return (layer, q, k, v) -> {
            int row = kvHeads * headDim;
            if (k.rank() != 3 || k.dim(1) != kvHeads || k.dim(2) != headDim || !Arrays.equals(k.shape(), v.shape())
                    || k.dim(0) != seg.tokens()) {
                throw new IllegalArgumentException("KvCache: layer " + layer + " gave k " + k.describe() + " and v " + v.describe()
                        + " but the cache holds (T = " + seg.tokens() + ", " + kvHeads + ", " + headDim + ")");
            }
            Tensor[] keys = new Tensor[slots.length], values = new Tensor[slots.length];
            for (int s = 0; s < slots.length; s++) {
                keys[s] = target[s].k[layer];
                values[s] = target[s].v[layer];
            }
            // the new rows over the pool: at batch 32 the copies, each to rows not in cache, took the
            // calling thread 1.7% of a decode step (JFR) while the pool waited
            Parallel.forRange(slots.length, Math.ceilDiv(slots.length, 2 * Parallel.threads()), (s0, s1) -> {
                for (int s = s0; s < s1; s++) {
                    int n = seg.end(s) - seg.start(s);
                    System.arraycopy(k.storage(), k.offset() + seg.start(s) * row, keys[s].storage(), past[s] * row, n * row);
                    System.arraycopy(v.storage(), v.offset() + seg.start(s) * row, values[s].storage(), past[s] * row, n * row);
                }
            });
            return CachedAttention.attend(q, keys, values, lengths, seg);
        };
    }

    /** Grows every layer of {@code slot} to hold {@code rows} tokens, at least doubling, keeping its rows. */
    private void reserve(Slot slot, int rows) {
        int capacity = slot.k[0].dim(0);
        if (rows <= capacity) return;
        int grown = Math.max(rows, 2 * capacity);
        int keep = slot.length * kvHeads * headDim;
        for (int l = 0; l < layers; l++) {
            Tensor k = layerBuffer(grown), v = layerBuffer(grown);
            System.arraycopy(slot.k[l].storage(), 0, k.storage(), 0, keep);
            System.arraycopy(slot.v[l].storage(), 0, v.storage(), 0, keep);
            slot.k[l] = k;
            slot.v[l] = v;
        }
    }

    /** One layer's keys or values for {@code rows} tokens: a new array, never a step's reused one ({@link dev.align4j.tensor.StepBuffers}), since it outlives the step. */
    private Tensor layerBuffer(int rows) {
        return Tensor.of(new float[Math.multiplyExact(rows, kvHeads * headDim)], rows, kvHeads, headDim);
    }

    private Slot get(int slot) {
        if (slot < 0 || slot >= slots.size() || slots.get(slot) == null) {
            throw new IllegalArgumentException("KvCache: slot " + slot + " is not allocated (or was freed)");
        }
        return slots.get(slot);
    }
}
