package dev.align4j.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class AutogradTest {

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor w = Tensor.vector(1f, 2f, 3f).requiresGrad(true);
        Tensor x = Tensor.vector(4f, 5f, 6f);
        Reductions.sum(Elementwise.mul(w, x)).backward();
        Reductions.sum(Elementwise.mul(w, x)).backward();
        assertArrayEquals(new float[] {8f, 10f, 12f}, w.grad().toArray());
        w.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f, 0f}, w.grad().toArray());
    }

    @Test
    void frozenTensorsNeverGetGradientBuffers() {
        Tensor w = Tensor.vector(1f, 2f).requiresGrad(true);
        Tensor frozen = Tensor.vector(3f, 4f).requiresGrad(false);
        Reductions.sum(Elementwise.mul(w, frozen)).backward();
        assertNull(frozen.grad());
        assertArrayEquals(new float[] {3f, 4f}, w.grad().toArray());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor w = Tensor.vector(1f, 2f).requiresGrad(true);
        Tensor y;
        try (var g = Autograd.noGrad()) {
            y = Reductions.sum(Elementwise.mul(w, w));
        }
        assertFalse(y.requiresGrad());
        assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(Autograd.isGradEnabled());
    }

    @Test
    void backwardOnNonScalarNamesTheShape() {
        Tensor w = Tensor.vector(1f, 2f).requiresGrad(true);
        var e = assertThrows(IllegalArgumentException.class, () -> Elementwise.mul(w, w).backward());
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void aTensorUsedTwiceGetsBothContributions() {
        // y = sum(w*w + w) → dy/dw = 2w + 1
        Tensor w = Tensor.vector(1f, -2f, 0.5f).requiresGrad(true);
        Reductions.sum(Elementwise.add(Elementwise.mul(w, w), w)).backward();
        assertArrayEquals(new float[] {3f, -3f, 2f}, w.grad().toArray());
    }

    @Test
    void viewsAndRowsShareStorageAndPassGradientsBack() {
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor r = w.row(1);
        assertArrayEquals(new float[] {4, 5, 6}, r.toArray());
        Reductions.sum(Elementwise.mul(r, Tensor.vector(1f, 2f, 3f))).backward();
        assertArrayEquals(new float[] {0, 0, 0, 1, 2, 3}, w.grad().toArray());
        Tensor v = w.detach().view(3, -1);
        assertArrayEquals(new int[] {3, 2}, v.shape());
        assertSame(w.storage(), v.storage());
    }

    @Test
    void smallTensorsPrintTheirValues() {
        String s = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).toString();
        assertTrue(s.contains("[[1.0000, 2.0000],") && s.contains("[3.0000, 4.0000]]") && s.contains("shape=[2, 2]"), s);
    }

    /**
     * A pass-through (view) hands its gradient array to an input that has none and adds it to one
     * that has: an interior tensor seen through two views and used directly gets the sum of the
     * three gradients, d/dp of Σ3·view₁ + Σ5·view₂ + Σ7·x with x = 2p is 2·(3 + 5 + 7) = 30, and
     * the leaf p keeps a buffer of its own.
     */
    @Test
    void aTensorSeenThroughTwoViewsAndDirectlyGetsTheSumOfTheirGradients() {
        Tensor p = Tensor.vector(1f, 2f, 3f, 4f, 5f, 6f).requiresGrad(true);
        Tensor x = Elementwise.mulScalar(p, 2f);
        Tensor loss = Elementwise.add(Elementwise.add(Reductions.sum(Elementwise.mulScalar(x.view(2, 3), 3f)),
                Reductions.sum(Elementwise.mulScalar(x.view(3, 2), 5f))), Reductions.sum(Elementwise.mulScalar(x, 7f)));
        loss.backward();
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {30f, 30f, 30f, 30f, 30f, 30f}, p.gradOrNull());
        Tensor q = Tensor.vector(1f, 2f).requiresGrad(true);
        Reductions.sum(Elementwise.mulScalar(q.view(2, 1), 4f)).backward();
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {4f, 4f}, q.gradOrNull());
    }
}
