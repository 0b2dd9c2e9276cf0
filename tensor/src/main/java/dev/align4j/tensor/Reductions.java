package dev.align4j.tensor;

/** Reductions (sum, mean, max) over all elements or one axis, and their backward. */
public final class Reductions {
    private Reductions() {}

    /** Sum of all elements, a scalar. Accumulated in double, in index order. */
    public static Tensor sum(Tensor x) {
        int n = x.numel();
        double s = 0;
        for (int i = 0; i < n; i++) s += x.data[x.offset + i];
        Tensor out = Tensor.scalar((float) s);
        Autograd.record(out, "sum", () -> {
            if (!x.requiresGrad()) return;
            float g = out.gradOrNull()[0];
            float[] gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g;
        }, x);
        return out;
    }
}
