package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reproducible building blocks for the kernels: a lane sum in a fixed order and an {@code exp}
 * built only from exactly rounded operations.
 *
 * <p>Why it exists: the Vector API leaves two things free that determinism needs fixed.
 * {@code reduceLanes(ADD)} on floats may add the lanes "in an arbitrary order, which may even vary
 * over time" (its Javadoc), and {@code lanewise(EXP)} is only specified to within 1 ulp: the C2
 * intrinsic (SVML) and the Java fallback that runs before the JIT warms up give different last
 * bits. Either would make the same inputs give different outputs early and late in a run. What it
 * is not: a general math library — only what the norm and log-softmax kernels use.
 *
 * <p>{@link #exp} is Cephes {@code expf} (S. Moshier): Cody–Waite reduction
 * {@code x = n·ln2 + r}, a degree-7 polynomial for {@code e^r} in Horner form with FMA, then
 * {@code ·2^n} through the exponent bits. Every step (add, mul, fma, conversions of exact
 * integers) is exactly rounded in both the intrinsic and the fallback, so the bits never change;
 * the vector and scalar forms perform the same operations and agree bit for bit. Error under
 * 2 ulp (tested against {@code Math.exp}).
 */
public final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Below this, {@code e^x} is under the smallest normal float: flushed to 0. */
    static final float EXP_LO = -87.33654f;
    /** Above this, {@code x} is clamped ({@code e^88 ≈ 1.65e38}); the kernels only take {@code exp} of {@code x ≤ 0}. */
    static final float EXP_HI = 88f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float MAGIC = 12582912f; // 1.5·2^23: adding and subtracting it rounds to the nearest integer
    private static final float C1 = 0.693359375f; // ln2 split in two (Cody–Waite); n·C1 is exact
    private static final float C2 = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** The lanes of {@code v} added from lane 0 upwards. */
    static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0f;
        for (float l : lanes) s += l;
        return s;
    }

    /** {@code e^x} per lane; 0 below {@link #EXP_LO}, saturating above {@link #EXP_HI}. */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.lt(EXP_LO);
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector n = xc.mul(LOG2E).add(MAGIC).sub(MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -C1), xc);
        r = n.fma(FloatVector.broadcast(S, -C2), r);
        FloatVector z = r.mul(r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(S, P2));
        p = p.fma(r, FloatVector.broadcast(S, P3));
        p = p.fma(r, FloatVector.broadcast(S, P4));
        p = p.fma(r, FloatVector.broadcast(S, P5));
        p = p.fma(z, r).add(1f);
        IntVector e = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(e.reinterpretAsFloats()).blend(0f, under);
    }

    /** The scalar form of {@link #exp(FloatVector)}, bit-identical to it (for loop tails). */
    static float exp(float x) {
        if (x < EXP_LO) return 0f;
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float n = xc * LOG2E + MAGIC - MAGIC;
        float r = Math.fma(n, -C1, xc);
        r = Math.fma(n, -C2, r);
        float z = r * r;
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, z, r) + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
