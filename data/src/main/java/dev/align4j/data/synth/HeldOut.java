package dev.align4j.data.synth;

import java.nio.charset.StandardCharsets;

/**
 * The train/eval split, decided by the question text alone: a question is held out for evaluation
 * exactly when a stable 64-bit hash of its UTF-8 bytes is 0 mod 10. So a question can never be in
 * both splits, whatever the seeds, the sizes or the order of generation, and an evaluation set
 * stays held out from every training set made by any run of {@code align4j data synth}.
 *
 * <p>What it is not: a random split. About a tenth of every task's problem space is evaluation
 * space; which tenth is fixed forever (changing the hash would leak old eval questions into new
 * training sets, so don't).
 *
 * <p>Based on TFX ExampleGen's hash-bucket splits (split by a hash of a stable key, never by a
 * random draw, so that re-generated data keeps its split). The hash is 64-bit
 * FNV-1a (Fowler, Noll, Vo) followed by the SplitMix64 finalizer, so that the low digits mix all
 * of the input; both are fixed arithmetic, the same on every JVM.
 */
public final class HeldOut {
    private HeldOut() {}

    /** One question in this many is evaluation space. */
    public static final int BUCKETS = 10;

    /** Whether {@code question} belongs to the evaluation split. */
    public static boolean isEval(String question) {
        return Long.remainderUnsigned(hash(question), BUCKETS) == 0;
    }

    /** 64-bit FNV-1a of the UTF-8 bytes, then the SplitMix64 finalizer. */
    public static long hash(String text) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }
}
