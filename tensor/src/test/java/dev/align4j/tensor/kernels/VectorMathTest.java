package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorMathTest {

    /** The vector exp is within 2 ulp of Math.exp over its range, and the scalar tail form gives the same bits. */
    @Test
    void expIsAccurateAndTheScalarFormIsBitIdentical() {
        SplittableRandom rng = new SplittableRandom(1);
        int lanes = VectorMath.S.length();
        float[] x = new float[lanes * 1024];
        for (int i = 0; i < x.length; i++) x[i] = (float) (-87.3 + 175.3 * rng.nextDouble());
        x[0] = 0f;
        x[1] = -1e-30f;
        x[2] = -87.3f;
        x[3] = 88f;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, i)).intoArray(y, i);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double exact = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - exact) / Math.ulp((float) exact));
            assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(VectorMath.exp(x[i])), "scalar vs vector at " + x[i]);
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1f, y[0]);

        // Once the JIT compiles the Vector API intrinsics the bits stay the same (lanewise(EXP) fails this:
        // about 1% of lanes change between its Java fallback and the compiled SVML call).
        float[] warm = new float[x.length];
        for (int rep = 0; rep < 200; rep++) {
            for (int i = 0; i < x.length; i += lanes) VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, i)).intoArray(warm, i);
        }
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(warm[i]), "warm vs cold at " + x[i]);
    }

    @Test
    void expUnderflowsGraduallyToZeroInBothForms() {
        float[] x = new float[VectorMath.S.length()];
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[0] = -90f;   // subnormal
        x[1] = -1000f; // zero
        float[] y = VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, 0)).toArray();
        assertEquals((float) Math.exp(-90), y[0], Math.ulp((float) Math.exp(-90)) * 2);
        for (int i = 1; i < y.length; i++) assertEquals(0f, y[i]);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(VectorMath.exp(x[i])));
    }

    @Test
    void expOverItsWholeRangeIsWithinTwoUlpAndEveryLaneMatchesTheScalarForm() {
        int lanes = VectorMath.S.length();
        float[] x = new float[lanes], y = new float[lanes];
        double worst = 0;
        for (int i = 0; i < 2_000_000; i += lanes) {
            for (int l = 0; l < lanes; l++) x[l] = -87.3f + (i + l) * (175.6f / 2_000_000);
            VectorMath.exp(FloatVector.fromArray(VectorMath.S, x, 0)).intoArray(y, 0);
            for (int l = 0; l < lanes; l++) {
                assertEquals(Float.floatToRawIntBits(y[l]), Float.floatToRawIntBits(VectorMath.exp(x[l])), "exp(" + x[l] + ")");
                double e = Math.exp(x[l]);
                worst = Math.max(worst, Math.abs(y[l] - e) / Math.ulp((float) e));
            }
        }
        assertTrue(worst <= 2.0, "worst error " + worst + " ulp");
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, VectorMath.exp(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(VectorMath.exp(Float.NaN)));
    }

    @Test
    void sumLanesAddsFromLaneZeroUp() {
        int lanes = VectorMath.S.length();
        float[] x = new float[lanes];
        x[0] = 1e8f;
        for (int i = 1; i < lanes; i++) x[i] = 1f; // each 1 is lost against 1e8 when added in order
        float expected = 0f;
        for (float v : x) expected += v;
        assertEquals(expected, VectorMath.sumLanes(FloatVector.fromArray(VectorMath.S, x, 0)));
    }
}
