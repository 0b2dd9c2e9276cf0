package dev.align4j.models;

import dev.align4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks a set of named weights against a model's table of expected names and shapes, and makes
 * random ones for self-contained tests.
 *
 * <p>What it is not: a loader (that reads files, in the io layer) or a name mapper (the loader owns
 * the one table of layout fixes). Errors name the tensor and both shapes.
 */
public final class Weights {
    private Weights() {}

    /**
     * Requires {@code given} to hold exactly the names of {@code expected}, each with its shape.
     *
     * @return the given tensors in the expected (checkpoint) order
     */
    public static Map<String, Tensor> require(String model, Map<String, Tensor> given, Map<String, int[]> expected) {
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>();
        for (String name : expected.keySet()) if (!given.containsKey(name)) missing.add(name);
        for (String name : given.keySet()) if (!expected.containsKey(name)) unexpected.add(name);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(model + ": weights do not match the config: "
                    + (missing.isEmpty() ? "" : "missing " + abbreviate(missing))
                    + (!missing.isEmpty() && !unexpected.isEmpty() ? "; " : "")
                    + (unexpected.isEmpty() ? "" : "unexpected " + abbreviate(unexpected)));
        }
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (var e : expected.entrySet()) {
            Tensor t = given.get(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException(model + ": tensor " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + " but the config needs " + Arrays.toString(e.getValue()));
            }
            ordered.put(e.getKey(), t.named(e.getKey()));
        }
        return ordered;
    }

    /**
     * Random weights for self-contained checkpoints and tests: normal(0, std) everywhere, plus 1 for
     * norm weights (names ending in {@code norm.weight} or {@code ln_*.weight}). Biases are random too,
     * not zero, so a test notices a bias that is ignored.
     */
    public static Map<String, Tensor> random(Map<String, int[]> shapes, long seed, double std) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : shapes.entrySet()) {
            String name = e.getKey();
            Tensor t = Tensor.zeros(e.getValue());
            float[] d = t.storage();
            float base = name.endsWith("norm.weight") || name.matches(".*\\bln_\\w+\\.weight") ? 1f : 0f;
            for (int i = 0; i < d.length; i++) d[i] = base + (float) (rng.nextGaussian() * std);
            out.put(name, t.named(name));
        }
        return out;
    }

    /**
     * Weights to train from scratch, as transformers' {@code _init_weights} sets them: normal(0, std)
     * for matrices and embeddings, 0 for biases, 1 for norm weights; names ending in any of
     * {@code scaledSuffixes} get {@code std / √(2·layers)} (GPT-2's residual projections, as in
     * the GPT-2 paper and {@code GPT2PreTrainedModel._init_weights}).
     */
    public static Map<String, Tensor> initialized(Map<String, int[]> shapes, long seed, double std, int layers,
                                                  List<String> scaledSuffixes) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : shapes.entrySet()) {
            String name = e.getKey();
            Tensor t = Tensor.zeros(e.getValue());
            float[] d = t.storage();
            if (name.endsWith("norm.weight") || name.matches(".*\\bln_\\w+\\.weight")) {
                java.util.Arrays.fill(d, 1f);
            } else if (!name.endsWith(".bias")) {
                double s = scaledSuffixes.stream().anyMatch(name::endsWith) ? std / Math.sqrt(2.0 * layers) : std;
                for (int i = 0; i < d.length; i++) d[i] = (float) (rng.nextGaussian() * s);
            }
            out.put(name, t.named(name));
        }
        return out;
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 6 ? names.toString() : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
    }

    /** The tensors of each of {@code count} numbered blocks, named {@code prefix + i + "."...}, in checkpoint order. */
    public static Tensor[][] byPrefix(Map<String, Tensor> params, String prefix, int count) {
        Tensor[][] out = new Tensor[count][];
        for (int i = 0; i < count; i++) {
            String p = prefix + i + ".";
            out[i] = params.entrySet().stream().filter(e -> e.getKey().startsWith(p)).map(Map.Entry::getValue).toArray(Tensor[]::new);
        }
        return out;
    }
}
