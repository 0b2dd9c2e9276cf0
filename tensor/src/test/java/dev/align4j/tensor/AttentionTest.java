package dev.align4j.tensor;

import dev.align4j.tensor.kernels.Parallel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class AttentionTest {

    /**
     * Float64 attention, written out: for each token i, head h, the softmax over j in i's segment
     * with j ≤ i of scale·q_i·k_j, then Σ p_j·v_j. q (T, H, D); k, v (T, Hkv, D).
     */
    static double[] reference(double[] q, double[] k, double[] v, int[] offsets, int nHead, int nKvHead, int d,
                              double scale) {
        int t = offsets[offsets.length - 1];
        double[] out = new double[t * nHead * d];
        double[] p = new double[t];
        for (int s = 0; s + 1 < offsets.length; s++)
            for (int h = 0; h < nHead; h++) {
                int g = h / (nHead / nKvHead);
                for (int i = offsets[s]; i < offsets[s + 1]; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = offsets[s]; j <= i; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += q[(i * nHead + h) * d + c] * k[(j * nKvHead + g) * d + c];
                        p[j] = scale * dot;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = offsets[s]; j <= i; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int j = offsets[s]; j <= i; j++)
                        for (int c = 0; c < d; c++) out[(i * nHead + h) * d + c] += p[j] / sum * v[(j * nKvHead + g) * d + c];
                }
            }
        return out;
    }

    @ParameterizedTest(name = "offsets={0} H={1} Hkv={2} D={3} scale={4}")
    @CsvSource(delimiter = ';', value = {
            "0 1;    1; 1; 1;  1",
            "0 3 7;  4; 2; 7;  0",
            "0 0 2 7 7; 2; 2; 33; 0",
            "0 1 12 33; 4; 2; 7;  0",
            "0 5 20 33; 2; 1; 33; 0.3",
            "0 65;   4; 2; 1;  0",
            "0 65;   2; 2; 7;  0",
            "0 2 67 70; 3; 1; 3; 0"})
    void matchesFloat64AndFiniteDifferences(String offsetList, int nHead, int nKvHead, int d, double scaleOrZero) {
        int[] offsets = Arrays.stream(offsetList.trim().split(" +")).mapToInt(Integer::parseInt).toArray();
        int t = offsets[offsets.length - 1];
        float scale = scaleOrZero == 0 ? (float) (1 / Math.sqrt(d)) : (float) scaleOrZero;
        PackedSegments segments = new PackedSegments(offsets);
        Tensor q = GradCheck.param(1, t, nHead, d), k = GradCheck.param(2, t, nKvHead, d), v = GradCheck.param(3, t, nKvHead, d);
        GradCheck.check("attention", in -> Attention.causal(in[0], in[1], in[2], segments, scale),
                x -> reference(x[0], x[1], x[2], offsets, nHead, nKvHead, d, scale), q, k, v);
    }

    @Test
    void theFirstTokenOfEachSegmentSeesOnlyItsOwnValue() {
        int[] offsets = {0, 70, 71, 100};
        Tensor q = Tensor.randn(1, 100, 4, 16), k = Tensor.randn(2, 100, 2, 16), v = Tensor.randn(3, 100, 2, 16);
        Tensor out = Attention.causal(q, k, v, new PackedSegments(offsets));
        for (int s = 0; s < 3; s++)
            for (int h = 0; h < 4; h++)
                for (int c = 0; c < 16; c++) {
                    float o = out.get(offsets[s], h, c), expected = v.get(offsets[s], h / 2, c);
                    if (o != expected) fail("segment " + s + " head " + h + " dim " + c + ": " + o + " != " + expected);
                }
    }

    @Test
    void attentionNeverCrossesSegments() {
        int[] offsets = {0, 70, 100, 130}; // segment 0 spans two query blocks
        PackedSegments segments = new PackedSegments(offsets);
        Tensor q = GradCheck.param(4, 130, 4, 16), k = GradCheck.param(5, 130, 2, 16), v = GradCheck.param(6, 130, 2, 16);
        for (int a = 0; a < 3; a++) {
            for (Tensor x : List.of(q, k, v)) x.zeroGrad();
            float[] g = Tensor.randn(7 + a, 130, 4, 16).toArray();
            for (int i = 0; i < 130; i++) if (i < offsets[a] || i >= offsets[a + 1]) Arrays.fill(g, i * 64, (i + 1) * 64, 0f);
            Attention.causal(q, k, v, segments).backward(Tensor.of(g, 130, 4, 16));
            for (Tensor x : List.of(q, k, v)) {
                float[] grad = x.grad().toArray();
                int row = grad.length / 130;
                boolean someNonZero = false;
                for (int i = 0; i < grad.length; i++) {
                    boolean inA = i / row >= offsets[a] && i / row < offsets[a + 1];
                    if (!inA && grad[i] != 0f) {
                        fail("segment " + a + "'s outputs leak a gradient " + grad[i] + " into token " + i / row + " of " + x.describe());
                    }
                    someNonZero |= inA && grad[i] != 0f;
                }
                assertTrue(someNonZero, "segment " + a + " gives " + x.describe() + " no gradient at all");
            }
        }

        Tensor out = Attention.causal(q.detach(), k.detach(), v.detach(), segments);
        Tensor q2 = q.copy(), k2 = k.copy(), v2 = v.copy(); // change every input of segments 1 and 2
        for (Tensor x : List.of(q2, k2, v2)) {
            float[] data = x.storage();
            int row = data.length / 130;
            for (int i = 70 * row; i < data.length; i++) data[i] = data[i] * -3f + 1f;
        }
        Tensor out2 = Attention.causal(q2, k2, v2, segments);
        assertArrayEquals(Arrays.copyOf(out.toArray(), 70 * 64), Arrays.copyOf(out2.toArray(), 70 * 64),
                "segment 0's output changed with the other segments' inputs");
    }

    /**
     * The same math from the engine's own ops, head by head: S = (scale·Q)·Kᵀ + mask, P =
     * softmax(S), O = P·V, with Q, K, V head-major (H, T, D) and kv heads repeated per query head.
     * Returns {out, dq, dk, dv} token-major, dk and dv summed over each query-head group.
     */
    static float[][] composed(Tensor q, Tensor k, Tensor v, int[] offsets, float scale, Tensor upstream) {
        int t = q.dim(0), nHead = q.dim(1), d = q.dim(2), nKvHead = k.dim(1), group = nHead / nKvHead;
        Tensor qh = headMajor(q, nHead, 1), kh = headMajor(k, nHead, group), vh = headMajor(v, nHead, group);
        float[] mask = new float[nHead * t * t]; // (H, T, T): 0 where attended, −∞ elsewhere
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        for (int h = 0; h < nHead; h++)
            for (int s = 0; s + 1 < offsets.length; s++)
                for (int i = offsets[s]; i < offsets[s + 1]; i++)
                    for (int j = offsets[s]; j <= i; j++) mask[(h * t + i) * t + j] = 0f;
        Tensor scores = Elementwise.add(Linalg.matmul(Elementwise.mul(qh, Tensor.full(scale, nHead, t, d)), kh, false, true),
                Tensor.of(mask, nHead, t, t));
        Tensor out = Linalg.matmul(Softmax.softmax(scores, -1), vh);
        out.backward(headMajor(upstream, nHead, 1));
        return new float[][] {tokenMajor(out, 1), tokenMajor(qh.grad(), 1), tokenMajor(kh.grad(), group),
                tokenMajor(vh.grad(), group)};
    }

    /** (T, Hx, D) → a trainable (H, T, D), head h holding head h / repeat of x. */
    static Tensor headMajor(Tensor x, int nHead, int repeat) {
        int t = x.dim(0), hx = x.dim(1), d = x.dim(2);
        Tensor y = Tensor.zeros(nHead, t, d);
        for (int h = 0; h < nHead; h++)
            for (int i = 0; i < t; i++)
                for (int c = 0; c < d; c++) y.set(x.get(i, h / repeat, c), h, i, c);
        return y.requiresGrad(true);
    }

    /** (H, T, D) → (T, H / group, D) values, summing each group of heads. */
    static float[] tokenMajor(Tensor y, int group) {
        int nHead = y.dim(0), t = y.dim(1), d = y.dim(2);
        float[] x = new float[t * nHead / group * d];
        for (int h = 0; h < nHead; h++)
            for (int i = 0; i < t; i++)
                for (int c = 0; c < d; c++) x[(i * (nHead / group) + h / group) * d + c] += y.get(h, i, c);
        return x;
    }

    @ParameterizedTest(name = "Hkv={0}")
    @CsvSource({"4", "2"})
    void fusedMatchesTheComposedOpsOnALargerBatch(int nKvHead) {
        int t = 130, nHead = 4, d = 64;
        int[] offsets = {0, 3, 130};
        float scale = 0.125f;
        Tensor q = GradCheck.param(8, t, nHead, d), k = GradCheck.param(9, t, nKvHead, d), v = GradCheck.param(10, t, nKvHead, d);
        Tensor upstream = Tensor.randn(11, t, nHead, d);
        float[][] expected = composed(q, k, v, offsets, scale, upstream);
        Tensor out = Attention.causal(q, k, v, new PackedSegments(offsets), scale);
        out.backward(upstream);
        float[][] actual = {out.toArray(), q.grad().toArray(), k.grad().toArray(), v.grad().toArray()};
        String[] names = {"out", "dq", "dk", "dv"};
        for (int i = 0; i < 4; i++) {
            GradCheck.compare("fused vs composed " + names[i], GradCheck.toDouble(actual[i]), GradCheck.toDouble(expected[i]),
                    1e-5, 1e-5);
        }
    }

    /** Plain segments, and segments extending shared prefixes (whose keys' gradients several segments add to). */
    static List<PackedSegments> layouts() {
        return List.of(new PackedSegments(0, 3, 100, 100, 200),
                PackedSegments.ofLengths(new int[] {70, 65, 3, 10, 40, 40, 1}, new int[] {-1, 0, 0, -1, 3, 3, -1}));
    }

    @ParameterizedTest
    @MethodSource("layouts")
    void twoRunsAndOneThreadVersusThePoolAreBitIdentical(PackedSegments seg) {
        int t = seg.tokens();
        Tensor q = GradCheck.param(12, t, 4, 33), k = GradCheck.param(13, t, 2, 33), v = GradCheck.param(14, t, 2, 33);
        Tensor upstream = Tensor.randn(15, t, 4, 33);
        float[][] first = run(q, k, v, seg, upstream), second = run(q, k, v, seg, upstream);
        for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], second[i], "result " + i + " of two runs");

        float[][][] inline = new float[1][][];
        assumeTrue(Parallel.threads() > 1, "one core: there is no pooled run to compare the one-thread run with");
        Parallel.forEach(2, i -> { // inside a pool task, nested kernels run inline on one thread
            if (i == 0) inline[0] = run(q, k, v, seg, upstream);
        });
        for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], inline[0][i], "result " + i + " on one thread");
    }

    /** The output and the gradients of q, k and v under {@code upstream}. */
    static float[][] run(Tensor q, Tensor k, Tensor v, PackedSegments seg, Tensor upstream) {
        for (Tensor x : List.of(q, k, v)) x.zeroGrad();
        Tensor out = Attention.causal(q, k, v, seg);
        out.backward(upstream);
        return new float[][] {out.toArray(), q.grad().toArray(), k.grad().toArray(), v.grad().toArray()};
    }

    @Test
    void emptySegmentsChangeNothing() {
        Tensor q = Tensor.randn(16, 9, 2, 5), k = Tensor.randn(17, 9, 1, 5), v = Tensor.randn(18, 9, 1, 5);
        float[] plain = Attention.causal(q, k, v, new PackedSegments(0, 4, 9)).toArray();
        float[] withEmpty = Attention.causal(q, k, v, new PackedSegments(0, 0, 4, 4, 9, 9)).toArray();
        assertArrayEquals(plain, withEmpty);
        assertArrayEquals(plain, Attention.causal(q, k, v, PackedSegments.ofLengths(0, 4, 0, 5)).toArray());
    }

    @Test
    void viewsIntoAFusedProjectionWorkAndPassGradientsBack() {
        int t = 20, d = 6;
        Tensor qkv = GradCheck.param(19, 3, t, 2, d); // q, k, v stacked: views at offsets 0, t·2·d, 2·t·2·d
        PackedSegments segments = PackedSegments.ofLengths(12, 8);
        Tensor upstream = Tensor.randn(20, t, 2, d);
        Attention.causal(qkv.row(0), qkv.row(1), qkv.row(2), segments).backward(upstream);
        float[] viaViews = qkv.grad().toArray();

        Tensor q = qkv.row(0).copy().requiresGrad(true), k = qkv.row(1).copy().requiresGrad(true),
                v = qkv.row(2).copy().requiresGrad(true);
        Attention.causal(q, k, v, segments).backward(upstream);
        float[] viaCopies = new float[3 * t * 2 * d];
        for (int i = 0; i < 3; i++) System.arraycopy(List.of(q, k, v).get(i).grad().toArray(), 0, viaCopies, i * t * 2 * d, t * 2 * d);
        assertArrayEquals(viaCopies, viaViews);
    }

    @Test
    void badInputsNameTheOpAndTheShapes() {
        Tensor q = Tensor.zeros(5, 4, 8), kv = Tensor.zeros(5, 2, 8);
        PackedSegments five = PackedSegments.single(5);
        expectMessage(() -> Attention.causal(q.view(5, 32), kv, kv, five), "attention", "[5, 32]");
        expectMessage(() -> Attention.causal(q, kv, Tensor.zeros(5, 1, 8), five), "attention", "[5, 1, 8]");
        expectMessage(() -> Attention.causal(q, Tensor.zeros(6, 2, 8), Tensor.zeros(6, 2, 8), five), "attention", "[6, 2, 8]");
        expectMessage(() -> Attention.causal(q, Tensor.zeros(5, 2, 7), Tensor.zeros(5, 2, 7), five), "attention", "[5, 2, 7]");
        expectMessage(() -> Attention.causal(q, Tensor.zeros(5, 3, 8), Tensor.zeros(5, 3, 8), five), "attention", "3 kv heads");
        expectMessage(() -> Attention.causal(q, kv, kv, new PackedSegments(0, 2, 4)), "attention", "PackedSegments[0, 2, 4]");
        expectMessage(() -> Attention.causal(q, kv, kv, five, Float.NaN), "attention", "NaN");
        expectMessage(() -> new PackedSegments(1, 5), "PackedSegments", "[1, 5]");
        expectMessage(() -> new PackedSegments(0, 3, 2, 5), "PackedSegments", "[0, 3, 2, 5]");
        expectMessage(() -> new PackedSegments(0), "PackedSegments", "[0]");
        expectMessage(() -> PackedSegments.ofLengths(2, -1), "PackedSegments", "[2, -1]");
    }

    private static void expectMessage(Executable call, String... parts) {
        var e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }
}
