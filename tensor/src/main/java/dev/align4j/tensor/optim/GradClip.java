package dev.align4j.tensor.optim;

import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.kernels.OptimizerKernels;

import java.util.List;

/**
 * Gradient-norm clipping with the semantics of PyTorch's {@code torch.nn.utils.clip_grad_norm_}
 * ({@code torch/nn/utils/clip_grad.py}, {@code norm_type = 2}, {@code error_if_nonfinite = False}),
 * which Hugging Face's Trainer calls with {@code max_grad_norm} (default 1.0) and whose return
 * value it logs as {@code grad_norm}.
 *
 * <p>The total norm is {@code ‖g‖ = sqrt(Σ over parameters with a gradient, Σ g²)}; the
 * coefficient is {@code min(1, maxNorm / (‖g‖ + 1e-6))} and every gradient is multiplied by it.
 * A coefficient of 1 leaves gradients untouched, so with {@code ‖g‖ ≤ maxNorm − 1e-6} nothing
 * changes; just below that (within 1e-6) PyTorch's coefficient is already a hair under 1, and so
 * is ours.
 *
 * <p>Non-finite norms: as PyTorch by default, no error. A NaN norm makes the coefficient NaN and
 * every gradient NaN; an infinite norm makes it 0, so finite gradient entries become 0 and
 * infinite ones NaN. The norm is returned either way: a trainer that wants to skip such steps
 * checks {@code Double.isFinite} on it.
 *
 * <p>Deviations, all in the last bits: the sum of squares is accumulated in double over all
 * elements (PyTorch takes a float32 norm per tensor, then the norm of those norms), and the
 * coefficient is computed in double and rounded to float once.
 */
public final class GradClip {
    private GradClip() {}

    /** PyTorch's constant added to the norm before dividing. */
    public static final double EPS = 1e-6;

    /**
     * Scales the gradients of {@code params} so their total L2 norm is at most about {@code maxNorm}.
     * Parameters whose gradient is null are ignored.
     *
     * @return the total norm before clipping (NaN or infinity when a gradient holds such values)
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        coefficient(0, maxNorm); // checks maxNorm before any pass over the gradients
        double norm = totalNorm(params);
        float coef = coefficient(norm, maxNorm);
        if (coef != 1f) {
            for (Tensor p : params) {
                float[] g = p.gradOrNull();
                if (g != null) OptimizerKernels.scale(g, 0, p.numel(), coef);
            }
        }
        return norm;
    }

    /**
     * The factor {@link #clipGradNorm} multiplies every gradient by for a total norm {@code norm}:
     * {@code min(1, maxNorm / (norm + 1e-6))} rounded to float, NaN when the norm is NaN. For an
     * optimizer that applies it in its own pass ({@link AdamW#stepAndZeroGrad}).
     */
    public static float coefficient(double norm, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipGradNorm: max_grad_norm must be finite and > 0, got " + maxNorm
                    + " (to turn clipping off, don't call it)");
        }
        double coef = Math.min(maxNorm / (norm + EPS), 1.0); // NaN stays NaN, as torch.clamp
        return coef >= 1.0 ? 1f : (float) coef;
    }

    /** The total L2 norm of the gradients of {@code params}, summed in parameter order; 0 when none has one. */
    public static double totalNorm(List<Tensor> params) {
        if (params == null) throw new IllegalArgumentException("GradClip: params is null");
        double sum = 0;
        for (Tensor p : params) {
            float[] g = p.gradOrNull();
            if (g != null) sum += OptimizerKernels.sumOfSquares(g, 0, p.numel());
        }
        return Math.sqrt(sum);
    }
}
