package dev.align4j.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attention over segments with shared prefixes equals attention over the unshared sequences:
 * each segment {@code s} extending {@code p} behaves as the plain sequence {@code p ++ s}, and the
 * prefix's key and value gradients are the sums over the sequences that contain it.
 */
class SharedPrefixAttentionTest {

    /** A random layout: families of a prefix and 0–3 extensions, some plain segments, lengths around the 64-token block. */
    static PackedSegments randomLayout(SplittableRandom r) {
        int[] sizes = {0, 1, 2, 3, 7, 63, 64, 65, 70};
        List<Integer> lengths = new ArrayList<>(), prefixes = new ArrayList<>();
        int families = 1 + r.nextInt(3);
        for (int f = 0; f < families; f++) {
            int root = lengths.size();
            lengths.add(sizes[r.nextInt(sizes.length)]);
            prefixes.add(-1);
            int children = r.nextInt(4);
            for (int c = 0; c < children; c++) {
                lengths.add(sizes[r.nextInt(sizes.length)]);
                prefixes.add(root);
            }
        }
        return PackedSegments.ofLengths(lengths.stream().mapToInt(Integer::intValue).toArray(),
                prefixes.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * {out, dq, dk, dv} of the layout run as plain sequences: each segment {@code s} with prefix
     * {@code p} as the sequence {@code p ++ s} with the upstream gradient on {@code s}'s rows only,
     * each other segment alone; a row's output comes from its own appearance, its gradients are
     * summed over every appearance.
     */
    static float[][] unshared(Tensor q, Tensor k, Tensor v, PackedSegments seg, Tensor upstream) {
        List<Integer> rows = new ArrayList<>(), own = new ArrayList<>();
        int[] lengths = new int[seg.segments()];
        for (int s = 0; s < seg.segments(); s++) {
            int p = seg.prefix(s);
            if (p >= 0) {
                for (int i = seg.start(p); i < seg.end(p); i++) {
                    rows.add(i);
                    own.add(0);
                }
                lengths[s] += seg.end(p) - seg.start(p);
            }
            for (int i = seg.start(s); i < seg.end(s); i++) {
                rows.add(i);
                own.add(1);
            }
            lengths[s] += seg.end(s) - seg.start(s);
        }
        int n = rows.size();
        Tensor qr = gather(q, rows, null).requiresGrad(true), kr = gather(k, rows, null).requiresGrad(true);
        Tensor vr = gather(v, rows, null).requiresGrad(true);
        Tensor out = Attention.causal(qr, kr, vr, PackedSegments.ofLengths(lengths));
        out.backward(gather(upstream, rows, own));
        float[][] ref = {out.toArray(), qr.grad().toArray(), kr.grad().toArray(), vr.grad().toArray()};
        float[][] result = {new float[q.numel()], new float[q.numel()], new float[k.numel()], new float[v.numel()]};
        for (int x = 0; x < 4; x++) {
            int width = ref[x].length / Math.max(1, n);
            for (int i = 0; i < n; i++) {
                if (x == 0 && own.get(i) == 0) continue;
                for (int c = 0; c < width; c++) result[x][rows.get(i) * width + c] += ref[x][i * width + c];
            }
        }
        return result;
    }

    /** Rows {@code rows} of x (T, Hx, D), each zeroed where {@code keep} is 0. */
    static Tensor gather(Tensor x, List<Integer> rows, List<Integer> keep) {
        float[] data = x.toArray(), out = new float[rows.size() * data.length / x.dim(0)];
        int width = data.length / x.dim(0);
        for (int i = 0; i < rows.size(); i++) {
            if (keep == null || keep.get(i) == 1) System.arraycopy(data, rows.get(i) * width, out, i * width, width);
        }
        return Tensor.of(out, rows.size(), x.dim(1), x.dim(2));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void sharedPrefixesEqualTheUnsharedSequencesForwardAndBackward(int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        PackedSegments seg = randomLayout(r);
        int[][] heads = {{1, 1}, {2, 1}, {4, 2}, {6, 3}, {4, 4}};
        int[] hk = heads[r.nextInt(heads.length)];
        int nHead = hk[0], nKvHead = hk[1], d = new int[] {1, 7, 16, 33}[r.nextInt(4)], t = seg.tokens();
        Tensor q = GradCheck.param(10L * seed, t, nHead, d), k = GradCheck.param(10L * seed + 1, t, nKvHead, d);
        Tensor v = GradCheck.param(10L * seed + 2, t, nKvHead, d), upstream = Tensor.randn(10L * seed + 3, t, nHead, d);
        float[][] expected = unshared(q, k, v, seg, upstream), actual = AttentionTest.run(q, k, v, seg, upstream);
        String[] names = {"out", "dq", "dk", "dv"};
        for (int x = 0; x < 4; x++) {
            GradCheck.compare(seg + " H=" + nHead + " Hkv=" + nKvHead + " D=" + d + " " + names[x],
                    GradCheck.toDouble(actual[x]), GradCheck.toDouble(expected[x]), 1e-5, 1e-5);
        }
    }

    /** Float64 attention where a query of segment s sees its prefix's keys and its own up to itself. */
    static double[] reference(double[] q, double[] k, double[] v, PackedSegments seg, int nHead, int nKvHead, int d) {
        double scale = 1 / Math.sqrt(d);
        double[] out = new double[seg.tokens() * nHead * d];
        for (int s = 0; s < seg.segments(); s++)
            for (int h = 0; h < nHead; h++) {
                int g = h / (nHead / nKvHead), p = seg.prefix(s);
                for (int i = seg.start(s); i < seg.end(s); i++) {
                    List<Integer> keys = new ArrayList<>();
                    if (p >= 0) for (int j = seg.start(p); j < seg.end(p); j++) keys.add(j);
                    for (int j = seg.start(s); j <= i; j++) keys.add(j);
                    double[] w = new double[keys.size()];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int a = 0; a < w.length; a++) {
                        for (int c = 0; c < d; c++) w[a] += scale * q[(i * nHead + h) * d + c] * k[(keys.get(a) * nKvHead + g) * d + c];
                        max = Math.max(max, w[a]);
                    }
                    for (int a = 0; a < w.length; a++) sum += w[a] = Math.exp(w[a] - max);
                    for (int a = 0; a < w.length; a++)
                        for (int c = 0; c < d; c++) out[(i * nHead + h) * d + c] += w[a] / sum * v[(keys.get(a) * nKvHead + g) * d + c];
                }
            }
        return out;
    }

    @Test
    void matchesFloat64AndFiniteDifferences() {
        // a 3-token prompt with completions of 2 and 1 tokens, a plain segment, an empty extension, a 1-token prompt's pair
        PackedSegments seg = PackedSegments.ofLengths(new int[] {3, 2, 1, 2, 0, 1, 2, 1}, new int[] {-1, 0, 0, -1, 3, -1, 5, 5});
        int t = seg.tokens(), nHead = 4, nKvHead = 2, d = 5;
        Tensor q = GradCheck.param(21, t, nHead, d), k = GradCheck.param(22, t, nKvHead, d), v = GradCheck.param(23, t, nKvHead, d);
        GradCheck.check("shared-prefix attention", in -> Attention.causal(in[0], in[1], in[2], seg),
                x -> reference(x[0], x[1], x[2], seg, nHead, nKvHead, d), q, k, v);
    }

    /** Prefixes and extensions that cross the kernels' 64-row blocks, against float64. */
    @Test
    void longPrefixesMatchFloat64() {
        PackedSegments seg = PackedSegments.ofLengths(new int[] {65, 70, 3, 64, 1}, new int[] {-1, 0, 0, -1, 3});
        int t = seg.tokens(), nHead = 2, nKvHead = 1, d = 8;
        Tensor q = Tensor.randn(41, t, nHead, d), k = Tensor.randn(42, t, nKvHead, d), v = Tensor.randn(43, t, nKvHead, d);
        GradCheck.compare("long prefixes", GradCheck.toDouble(Attention.causal(q, k, v, seg).toArray()),
                reference(GradCheck.toDouble(q.toArray()), GradCheck.toDouble(k.toArray()), GradCheck.toDouble(v.toArray()), seg, nHead, nKvHead, d),
                1e-5, 1e-5);
    }

    @Test
    void siblingsNeverSeeEachOther() {
        PackedSegments seg = PackedSegments.ofLengths(new int[] {70, 80, 66}, new int[] {-1, 0, 0});
        Tensor q = Tensor.randn(31, 216, 2, 8), k = Tensor.randn(32, 216, 1, 8), v = Tensor.randn(33, 216, 1, 8);
        float[] out = Attention.causal(q, k, v, seg).toArray();
        Tensor k2 = k.copy(), v2 = v.copy(); // change the first extension's keys and values
        for (Tensor x : List.of(k2, v2)) for (int i = 70 * 8; i < 150 * 8; i++) x.storage()[i] = x.storage()[i] * -2f + 1f;
        float[] out2 = Attention.causal(q, k2, v2, seg).toArray();
        int row = 2 * 8;
        assertArrayEquals(Arrays.copyOf(out, 70 * row), Arrays.copyOf(out2, 70 * row), "the prefix saw its extension");
        assertArrayEquals(Arrays.copyOfRange(out, 150 * row, out.length), Arrays.copyOfRange(out2, 150 * row, out2.length),
                "the second extension saw the first");
        assertFalse(Arrays.equals(Arrays.copyOfRange(out, 70 * row, 150 * row), Arrays.copyOfRange(out2, 70 * row, 150 * row)));
    }

    @Test
    void layoutsWithoutPrefixesAreThePlainOnes() {
        PackedSegments plain = new PackedSegments(0, 3, 5);
        assertEquals(plain, PackedSegments.ofLengths(new int[] {3, 2}, new int[] {-1, -1}));
        assertEquals(plain, PackedSegments.ofLengths(new int[] {3, 2}, null));
        assertFalse(plain.hasPrefixes());
        assertEquals("PackedSegments[0, 3, 5]", plain.toString());
        assertArrayEquals(new int[] {0, 1}, plain.sequences());
        PackedSegments shared = PackedSegments.ofLengths(new int[] {3, 2, 1, 4}, new int[] {-1, 0, 0, -1});
        assertTrue(shared.hasPrefixes());
        assertArrayEquals(new int[] {1, 2, 3}, shared.sequences(), "the shared prompt ends no sequence");
        assertEquals("PackedSegments[0, 3, 5, 6, 10] prefixes [-1, 0, 0, -1]", shared.toString());
        assertFalse(plain.equals(PackedSegments.ofLengths(new int[] {3, 2}, new int[] {-1, 0})));
    }

    @Test
    void badPrefixesAreRefusedWithTheRemedy() {
        expectMessage(() -> PackedSegments.ofLengths(new int[] {3, 2}, new int[] {-1}), "1 prefixes", "one per segment");
        expectMessage(() -> PackedSegments.ofLengths(new int[] {3, 2}, new int[] {1, -1}), "segment 0 names prefix 1", "earlier segment");
        expectMessage(() -> PackedSegments.ofLengths(new int[] {3, 2, 2}, new int[] {-1, 0, 1}), "segment 2 names prefix 1",
                "one level deep");
        expectMessage(() -> PackedSegments.ofLengths(new int[] {3, 2}, new int[] {-1, -2}), "segment 1 names prefix -2");
        Tensor q = Tensor.zeros(5, 2, 4), kv = Tensor.zeros(5, 1, 4);
        expectMessage(() -> CachedAttention.attend(q, new Tensor[] {kv, kv}, new Tensor[] {kv, kv}, new int[] {3, 2},
                PackedSegments.ofLengths(new int[] {3, 2}, new int[] {-1, 0})), "shared prefixes", "KvCache.fork");
    }

    private static void expectMessage(Executable call, String... parts) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }
}
