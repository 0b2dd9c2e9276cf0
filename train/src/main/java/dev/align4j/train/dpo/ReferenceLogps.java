package dev.align4j.train.dpo;

import dev.align4j.data.Batch;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.loss.PairLogps;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.HashMap;

/**
 * The reference model's summed log-probs of every pair of a dataset, computed once before training
 * (TRL's {@code precompute_ref_log_probs}: {@code DPOTrainer} adds {@code ref_chosen_logps} and
 * {@code ref_rejected_logps} columns to the dataset), so the reference model is not needed while
 * training: one forward pass per pair for the whole run instead of one per pair per epoch, and no
 * second model in memory.
 *
 * <p>The values are cached on disk under a key of the reference's identity (its folder's
 * config.json and its weight files' names, sizes and modification times, and how it was loaded)
 * and the processed pairs (SHA-256 of every sequence's tokens and labels), as the Hugging Face
 * datasets cache keys a mapped dataset by its fingerprint: a second run with the same reference and
 * data reads the file and never loads the reference. A weight file rewritten in place with the same
 * size and time would not be noticed, as make would not notice it.
 *
 * <p>During training a batch's pairs are found by content (the sequences' tokens and labels), not
 * by position, so shuffling and batch sizes are free; a pair the table lacks is an error. A
 * sequence's content is the whole sequence, its shared prompt included (a prefix's rows, then its
 * own segment's), so keys and the file name are the same whether the prompt is packed once or in
 * each sequence: a cache written before prefix sharing still matches, its values agreeing with
 * the shared computation's to float rounding.
 */
public final class ReferenceLogps {
    private static final int MAGIC = 0x41344a52; // "A4JR"
    private final Map<PairKey, float[]> byPair = new HashMap<>(); // {chosen, rejected} summed log-probs

    /** The reference log-probs of a batch, as the policy's in {@link DpoObjective}. */
    public interface Pass {
        PairLogps logps(Batch batch);
    }

    /** Makes the reference ready (loading a model, say) only when the cache misses. */
    public interface Opener {
        Pass open() throws IOException;
    }

    /** How the table was obtained, for the log. */
    public record Loaded(ReferenceLogps table, Path file, boolean fromCache) {}

    private ReferenceLogps(List<Batch> batches, float[] chosen, float[] rejected) {
        int i = 0;
        for (Batch b : batches) {
            int[][] sequences = sequences(b);
            for (int p = 0; p < sequences.length / 2; p++, i++) {
                byPair.put(new PairKey(sequences[2 * p], sequences[2 * p + 1]), new float[] {chosen[i], rejected[i]});
            }
        }
    }

    /**
     * The table for {@code batches} (pairs in order), read from {@code cacheDir} when a run with the
     * same {@code referenceIdentity} and pairs stored it, else computed with the reference
     * {@code opener} gives (without gradients) and stored.
     *
     * @param referenceIdentity what identifies the reference's weights ({@link #folderIdentity} and how it was loaded)
     */
    public static Loaded cached(Path cacheDir, String referenceIdentity, List<Batch> batches, Opener opener) throws IOException {
        Path file = cacheDir.resolve("ref_logps-" + fingerprint(referenceIdentity, batches) + ".bin");
        int pairs = batches.stream().mapToInt(b -> b.sequences() / 2).sum();
        float[] chosen = new float[pairs], rejected = new float[pairs];
        if (Files.isRegularFile(file)) {
            try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
                int magic = in.readInt(), n = in.readInt();
                if (magic != MAGIC || n != pairs) {
                    throw new IOException(file + " is not a reference log-prob cache of " + pairs + " pairs; delete it to recompute");
                }
                for (int i = 0; i < n; i++) {
                    chosen[i] = in.readFloat();
                    rejected[i] = in.readFloat();
                }
            }
            return new Loaded(new ReferenceLogps(batches, chosen, rejected), file, true);
        }
        Pass reference = opener.open();
        int i = 0;
        try (var g = Autograd.noGrad()) {
            for (Batch b : batches) {
                PairLogps r = reference.logps(b);
                float[] c = r.chosen().toArray(), j = r.rejected().toArray();
                System.arraycopy(c, 0, chosen, i, c.length);
                System.arraycopy(j, 0, rejected, i, j.length);
                i += c.length;
            }
        }
        Files.createDirectories(cacheDir);
        Path tmp = Files.createTempFile(cacheDir, "ref_logps-", ".tmp"); // written whole, then renamed: a killed run leaves no half file
        try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeInt(MAGIC);
            out.writeInt(pairs);
            for (int k = 0; k < pairs; k++) {
                out.writeFloat(chosen[k]);
                out.writeFloat(rejected[k]);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Loaded(new ReferenceLogps(batches, chosen, rejected), file, false);
    }

    /**
     * A model folder's identity: its config.json and the name, size and modification time of each
     * weight file (*.safetensors, the index among them).
     */
    public static String folderIdentity(Path folder) throws IOException {
        StringBuilder s = new StringBuilder(Files.readString(folder.resolve("config.json")));
        try (var files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                    || p.getFileName().toString().endsWith(".safetensors.index.json")).sorted().toList()) {
                s.append('\n').append(f.getFileName()).append(' ').append(Files.size(f)).append(' ').append(Files.getLastModifiedTime(f).toMillis());
            }
        }
        return s.toString();
    }

    /** The reference log-probs of a batch's pairs, constants. */
    public PairLogps lookup(Batch b) {
        int pairs = b.sequences() / 2;
        float[] chosen = new float[pairs], rejected = new float[pairs];
        int[] chosenTokens = new int[pairs], rejectedTokens = new int[pairs];
        int[] labels = b.labels();
        var segments = b.packed().segments();
        int[] sequences = segments.sequences();
        int[][] keys = sequences(b);
        for (int p = 0; p < pairs; p++) {
            float[] v = byPair.get(new PairKey(keys[2 * p], keys[2 * p + 1]));
            if (v == null) {
                throw new IllegalArgumentException("pair " + p + " of the batch has no precomputed reference log-probs: the table was"
                        + " computed for other data or truncation settings");
            }
            chosen[p] = v[0];
            rejected[p] = v[1];
            for (int i = 2 * p; i <= 2 * p + 1; i++) { // a sequence's labels lie in its own segment
                int s = sequences[i], targets = 0;
                for (int t = segments.start(s); t < segments.end(s); t++) if (labels[t] != PackedBatch.IGNORE) targets++;
                (i % 2 == 0 ? chosenTokens : rejectedTokens)[p] = targets;
            }
        }
        return new PairLogps(Tensor.vector(chosen), Tensor.vector(rejected), chosenTokens, rejectedTokens);
    }

    /** Each sequence's tokens then labels, its shared prefix's rows first: the unit pairs are found by. */
    private static int[][] sequences(Batch b) {
        var segments = b.packed().segments();
        int[] tokens = b.packed().tokens(), labels = b.labels(), sequences = segments.sequences();
        int[][] out = new int[sequences.length][];
        for (int i = 0; i < sequences.length; i++) {
            int s = sequences[i], p = segments.prefix(s);
            int pre = p < 0 ? 0 : segments.end(p) - segments.start(p), own = segments.end(s) - segments.start(s), n = pre + own;
            int[] seq = out[i] = new int[2 * n];
            if (p >= 0) {
                System.arraycopy(tokens, segments.start(p), seq, 0, pre);
                System.arraycopy(labels, segments.start(p), seq, n, pre);
            }
            System.arraycopy(tokens, segments.start(s), seq, pre, own);
            System.arraycopy(labels, segments.start(s), seq, n + pre, own);
        }
        return out;
    }

    private record PairKey(int[] chosen, int[] rejected) {
        @Override
        public boolean equals(Object o) {
            return o instanceof PairKey k && Arrays.equals(chosen, k.chosen) && Arrays.equals(rejected, k.rejected);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(chosen) + Arrays.hashCode(rejected);
        }
    }

    private static String fingerprint(String referenceIdentity, List<Batch> batches) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        sha.update(referenceIdentity.getBytes(StandardCharsets.UTF_8));
        for (Batch b : batches) {
            for (int[] seq : sequences(b)) {
                byte[] bytes = new byte[4 * seq.length + 4];
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes).putInt(seq.length);
                for (int v : seq) buf.putInt(v);
                sha.update(bytes);
            }
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 16);
    }
}
