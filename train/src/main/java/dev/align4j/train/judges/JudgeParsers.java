package dev.align4j.train.judges;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a judge's verdict out of its free text, in MT-Bench's strict formats (Zheng et al. 2023,
 * arXiv:2306.05685; FastChat {@code llm_judge/common.py}, {@code run_judge_pair} and
 * {@code run_judge_single}).
 *
 * <p>Pairwise: the answer must hold markers of exactly one kind among {@code [[A]]}, {@code [[B]]}
 * and {@code [[C]]} (a tie), as many times as it likes; none, or two kinds (a judge that wavers or
 * echoes the instructions), is {@link Verdict#UNPARSED}, as FastChat's "error". The verdict is in
 * terms of the presentation: A is {@link Verdict#FIRST}, the answer shown first.
 *
 * <p>Single: the last {@code [[n]]} with n a number (decimals allowed: {@code [[7.5]]}); without
 * one, the last {@code Rating: n} (FastChat falls back to {@code [n]}; a bare "Rating: 7" is the
 * commoner slip of a small judge). A rating outside 1 to 10 is unparsed, not clamped: the judge did
 * not follow the scale, and its last word is what counts.
 */
public final class JudgeParsers {
    private JudgeParsers() {}

    private static final Pattern BRACKETED = Pattern.compile("\\[\\[\\s*(-?\\d+(?:\\.\\d*)?)\\s*]]");
    private static final Pattern RATING = Pattern.compile("(?i)rating\\s*:\\s*(-?\\d+(?:\\.\\d*)?)");

    /** The pairwise verdict in presentation order (A → FIRST, B → SECOND, C → TIE), or UNPARSED. */
    public static Verdict verdict(String judgeOutput) {
        boolean a = judgeOutput.contains("[[A]]"), b = judgeOutput.contains("[[B]]"), c = judgeOutput.contains("[[C]]");
        int kinds = (a ? 1 : 0) + (b ? 1 : 0) + (c ? 1 : 0);
        if (kinds != 1) return Verdict.UNPARSED;
        return a ? Verdict.FIRST : b ? Verdict.SECOND : Verdict.TIE;
    }

    /** The rating in [1, 10], or empty when there is none or it is out of range. */
    public static OptionalDouble rating(String judgeOutput) {
        String last = last(BRACKETED.matcher(judgeOutput));
        if (last == null) last = last(RATING.matcher(judgeOutput));
        if (last == null) return OptionalDouble.empty();
        double r = Double.parseDouble(last);
        return r >= 1 && r <= 10 ? OptionalDouble.of(r) : OptionalDouble.empty();
    }

    private static String last(Matcher m) {
        String last = null;
        while (m.find()) last = m.group(1);
        return last;
    }
}
