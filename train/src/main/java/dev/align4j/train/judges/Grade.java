package dev.align4j.train.judges;

import java.util.OptionalDouble;

/**
 * A judge's rating of one answer ({@link LlmGrader}).
 *
 * @param score the rating in [1, 10]; empty when the judge's text held none in range ({@link JudgeParsers#rating})
 * @param raw   the judge's full text, to log or re-parse
 */
public record Grade(OptionalDouble score, String raw) {}
