package dev.align4j.tensor;

/**
 * Elementwise ops and their backward. Binary ops need equal shapes: broadcasting is explicit
 * ({@link ShapeOps#expand}), so a wrong shape is an error rather than a silent stretch.
 */
public final class Elementwise {
    private Elementwise() {}

    /** {@code a + b}. */
    public static Tensor add(Tensor a, Tensor b) {
        Shapes.requireSame("add", a.shape(), b.shape());
        Tensor out = Tensor.zeros(a.shape());
        int n = out.numel();
        for (int i = 0; i < n; i++) out.data[i] = a.data[a.offset + i] + b.data[b.offset + i];
        Autograd.record(out, "add", () -> {
            float[] g = out.gradOrNull();
            Autograd.accumulate(a, g, 0);
            Autograd.accumulate(b, g, 0);
        }, a, b);
        return out;
    }

    /** {@code a * b}. */
    public static Tensor mul(Tensor a, Tensor b) {
        Shapes.requireSame("mul", a.shape(), b.shape());
        Tensor out = Tensor.zeros(a.shape());
        int n = out.numel();
        for (int i = 0; i < n; i++) out.data[i] = a.data[a.offset + i] * b.data[b.offset + i];
        Autograd.record(out, "mul", () -> {
            float[] g = out.gradOrNull();
            if (a.requiresGrad()) {
                float[] ga = a.gradBuffer();
                for (int i = 0; i < n; i++) ga[i] += g[i] * b.data[b.offset + i];
            }
            if (b.requiresGrad()) {
                float[] gb = b.gradBuffer();
                for (int i = 0; i < n; i++) gb[i] += g[i] * a.data[a.offset + i];
            }
        }, a, b);
        return out;
    }
}
