package dev.align4j.train.rewards;

import java.math.BigInteger;

/**
 * An exact rational number num/den in lowest terms with den > 0, so that two equal values are
 * equal records ("2/4", "0.5" and "\frac{1}{2}" all become 1/2). Arithmetic throws
 * {@link ArithmeticException} on division by zero and on powers too large to be an answer.
 *
 * <p>What it is not: a computer algebra system; irrational values (π, √2) have no representation.
 */
record Rational(BigInteger num, BigInteger den) {
    static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
    static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);

    /** The largest power result, in bits of numerator or denominator, before we call it "not an answer". */
    static final int MAX_POWER_BITS = 1 << 16;

    Rational {
        if (den.signum() == 0) throw new ArithmeticException("division by zero");
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
        if (num.signum() == 0) den = BigInteger.ONE;
    }

    static Rational of(long num, long den) {
        return new Rational(BigInteger.valueOf(num), BigInteger.valueOf(den));
    }

    /** A decimal literal: digits, optionally a point and more digits ("12", "12.5", ".5", "12."). */
    static Rational decimal(String digits) {
        int point = digits.indexOf('.');
        if (point < 0) return new Rational(new BigInteger(digits), BigInteger.ONE);
        String whole = digits.substring(0, point), frac = digits.substring(point + 1);
        BigInteger n = new BigInteger((whole.isEmpty() ? "0" : whole) + frac);
        return new Rational(n, BigInteger.TEN.pow(frac.length()));
    }

    Rational add(Rational o) {
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    Rational subtract(Rational o) {
        return add(o.negate());
    }

    Rational multiply(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    Rational divide(Rational o) {
        return new Rational(num.multiply(o.den), den.multiply(o.num));
    }

    Rational negate() {
        return new Rational(num.negate(), den);
    }

    boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    /** this^e for an integer exponent e; throws when e is not an integer or the result is huge. */
    Rational pow(Rational e) {
        if (!e.isInteger()) throw new ArithmeticException("non-integer exponent " + e);
        if (num.signum() == 0 || num.abs().equals(BigInteger.ONE) && isInteger()) {
            if (num.signum() == 0 && e.num.signum() < 0) throw new ArithmeticException("0 to a negative power");
            if (num.signum() == 0) return e.num.signum() == 0 ? ONE : ZERO;
            return num.signum() > 0 || !e.num.testBit(0) ? ONE : of(-1, 1);
        }
        long bits = Math.max(num.bitLength(), den.bitLength());
        if (e.num.bitLength() > 31 || bits * Math.abs(e.num.longValue()) > MAX_POWER_BITS) {
            throw new ArithmeticException("power too large: exponent " + e);
        }
        int k = e.num.intValue();
        Rational p = new Rational(num.pow(Math.abs(k)), den.pow(Math.abs(k)));
        return k >= 0 ? p : ONE.divide(p);
    }

    /** The exact square root; throws when it is not rational. */
    Rational sqrt() {
        if (num.signum() < 0) throw new ArithmeticException("square root of a negative number");
        BigInteger n = num.sqrt(), d = den.sqrt();
        if (!n.multiply(n).equals(num) || !d.multiply(d).equals(den)) throw new ArithmeticException("irrational square root");
        return new Rational(n, d);
    }

    @Override
    public String toString() {
        return isInteger() ? num.toString() : num + "/" + den;
    }
}
