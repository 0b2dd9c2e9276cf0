package dev.align4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log, log1p (on [0, 1]), tanh and sigmoid on float vectors, built only from IEEE-exact
 * operations (add, mul, fma, div, compare, blend, bit moves).
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP)}: HotSpot computes it with Intel's SVML once
 * C2 has compiled the loop, but with {@code Math.exp} per lane before, and the two differ by an
 * ulp on about 1% of inputs (measured on JDK 25 with AVX-512: 738 of 65,536 values for EXP, 226
 * for TANH). A training step would then depend on how warm the JIT is, and a resumed run would
 * not be bit-identical to one that never stopped. Exactly rounded operations give the same bits
 * in the interpreter, C1 and C2 (measured: no difference, cold against hot, for every kernel in
 * {@link UnaryKernels}), at about the speed of SVML for exp (tanh is about twice its cost). What
 * it is not: a general libm; arguments are float32 and the error is at most a few ulps (tested
 * against float64).
 *
 * <p>Based on the Cephes single-precision routines ({@code expf}, {@code logf}, {@code tanhf};
 * Moshier, <i>Methods and Programs for Mathematical Functions</i>, 1989) with their polynomial
 * coefficients, and Goldberg's {@code log1p(u) = log(1+u)·u / ((1+u)−1)} ("What Every Computer
 * Scientist Should Know About Floating-Point Arithmetic", 1991, Theorem 4).
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector bc(double v) {
        return FloatVector.broadcast(S, (float) v);
    }

    // Constants as vectors: C2 folds static final vectors, and the methods stay small enough to inline.
    private static final FloatVector ONE = bc(1), TWO = bc(2), HALF_NEG = bc(-0.5);
    private static final FloatVector LN2_HI = bc(0.693359375), LN2_LO = bc(-2.12194440e-4); // ln 2 = HI + LO
    private static final FloatVector LN2_TIMES_23 = bc(23 * Math.log(2));
    private static final FloatVector LN2_HI_NEG = LN2_HI.neg(), LN2_LO_NEG = LN2_LO.neg();
    private static final FloatVector LOG2E = bc(1.44269504088896341);
    private static final FloatVector ROUND = bc(12582912); // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    private static final int ROUND_BITS = Float.floatToRawIntBits(12582912f);
    private static final FloatVector E1 = bc(1.9875691500e-4), E2 = bc(1.3981999507e-3), E3 = bc(8.3334519073e-3),
            E4 = bc(4.1665795894e-2), E5 = bc(1.6666665459e-1), E6 = bc(5.0000001201e-1);
    private static final FloatVector L1 = bc(7.0376836292e-2), L2 = bc(-1.1514610310e-1), L3 = bc(1.1676998740e-1),
            L4 = bc(-1.2420140846e-1), L5 = bc(1.4249322787e-1), L6 = bc(-1.6668057665e-1), L7 = bc(2.0000714765e-1),
            L8 = bc(-2.4999993993e-1), L9 = bc(3.3333331174e-1);
    private static final FloatVector T1 = bc(-5.70498872745e-3), T2 = bc(2.06390887954e-2), T3 = bc(-5.37397155531e-2),
            T4 = bc(1.33314422036e-1), T5 = bc(-3.33332819422e-1);

    /**
     * {@code eˣ}: {@code x = n·ln2 + r} with {@code |r| ≤ ln2/2}, a degree-7 polynomial for
     * {@code eʳ}, then {@code 2ⁿ} applied as two factors so that overflow to ∞ and gradual
     * underflow to subnormals and 0 come out of the multiplications themselves.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-104f).min(89f); // beyond: 0 and ∞ (NaN stays NaN)
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(LN2_LO_NEG, n.fma(LN2_HI_NEG, x));
        FloatVector y = r.fma(E1, E2).fma(r, E3).fma(r, E4).fma(r, E5).fma(r, E6);
        y = y.fma(r.mul(r), r).add(ONE);
        IntVector k = t.reinterpretAsInts().sub(ROUND_BITS); // n as an int, in [-150, 129]
        IntVector half = k.lanewise(VectorOperators.ASHR, 1);
        return y.mul(pow2(half)).mul(pow2(k.sub(half)));
    }

    /** {@code 2ᵏ} for {@code -126 ≤ k ≤ 127}. */
    private static FloatVector pow2(IntVector k) {
        return k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /**
     * Natural logarithm: {@code x = m·2ᵉ} with {@code √½ ≤ m < √2}, a degree-9 polynomial for
     * {@code log m}. {@code log 0 = −∞}, {@code log x = NaN} for {@code x < 0}, {@code log ∞ = ∞}.
     */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> subnormal = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector result = logNormal(x.blend(x.mul(8388608f), subnormal)).sub(LN2_TIMES_23, subnormal); // ·2²³
        return result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f))
                .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY))
                .blend(Float.NaN, x.compare(VectorOperators.GE, 0f).not());
    }

    /** {@code log x} for positive, normal, finite {@code x}: the core of {@link #log}, without its special cases. */
    private static FloatVector logNormal(FloatVector x) {
        IntVector bits = x.reinterpretAsInts();
        FloatVector e = (FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(126).convert(VectorOperators.I2F, 0);
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats(); // [0.5, 1)
        VectorMask<Float> low = m.compare(VectorOperators.LT, 0.707106781186547524f);
        e = e.sub(ONE, low);
        FloatVector f = m.add(m, low).sub(ONE); // 2m − 1 or m − 1, in [√½ − 1, √2 − 1)
        FloatVector z = f.mul(f);
        FloatVector y = f.fma(L1, L2).fma(f, L3).fma(f, L4).fma(f, L5).fma(f, L6).fma(f, L7).fma(f, L8).fma(f, L9);
        y = z.fma(HALF_NEG, e.fma(LN2_LO, y.mul(f).mul(z)));
        return e.fma(LN2_HI, f.add(y));
    }

    /**
     * {@code log(1 + u)} for {@code 0 ≤ u ≤ 1} (NaN stays NaN), accurate for small {@code u}
     * (Goldberg's correction); what softplus and log-sigmoid need for {@code u = e^−|x|}.
     */
    static FloatVector log1pUnit(FloatVector u) {
        FloatVector w = u.add(ONE);
        FloatVector d = w.sub(ONE);
        return logNormal(w).mul(u.div(d)).blend(u, d.compare(VectorOperators.EQ, 0f));
    }

    /** Hyperbolic tangent: an odd polynomial below {@code |x| = 0.625}, {@code 1 − 2/(e^{2|x|} + 1)} above, with x's sign. */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector big = ONE.sub(TWO.div(exp(a.add(a)).add(ONE)));
        FloatVector z = x.mul(x);
        FloatVector small = z.fma(T1, T2).fma(z, T3).fma(z, T4).fma(z, T5).mul(z).fma(x, x);
        FloatVector signedBig = big.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
        return signedBig.blend(small, a.compare(VectorOperators.LT, 0.625f));
    }

    /** {@code σ(x) = 1 / (1 + e⁻ˣ)}; 0 and 1 at the extremes, never NaN for finite x. */
    static FloatVector sigmoid(FloatVector x) {
        return ONE.div(exp(x.neg()).add(ONE));
    }

    /**
     * The scalar form of {@link #exp(FloatVector)} for loop tails: the same operations in the same
     * order, so it gives the same bits as a vector lane.
     */
    static float exp(float x) {
        x = Math.min(Math.max(x, -104f), 89f);
        float t = Math.fma(x, LOG2E_F, ROUND_F);
        float n = t - ROUND_F;
        float r = Math.fma(n, -LN2_LO_F, Math.fma(n, -LN2_HI_F, x));
        float y = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, E1_F, E2_F), r, E3_F), r, E4_F), r, E5_F), r, E6_F);
        y = Math.fma(y, r * r, r) + 1f;
        int k = Float.floatToRawIntBits(t) - ROUND_BITS;
        int half = k >> 1;
        return y * pow2(half) * pow2(k - half);
    }

    private static float pow2(int k) {
        return Float.intBitsToFloat((k + 127) << 23);
    }

    private static final float LOG2E_F = 1.44269504088896341f, ROUND_F = 12582912f;
    private static final float LN2_HI_F = 0.693359375f, LN2_LO_F = -2.12194440e-4f;
    private static final float E1_F = 1.9875691500e-4f, E2_F = 1.3981999507e-3f, E3_F = 8.3334519073e-3f,
            E4_F = 4.1665795894e-2f, E5_F = 1.6666665459e-1f, E6_F = 5.0000001201e-1f;

    /**
     * The lanes of {@code v} added from lane 0 upwards: {@code reduceLanes(ADD)} leaves the float
     * order unspecified ("may even vary over time"), which determinism cannot have.
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }
}
