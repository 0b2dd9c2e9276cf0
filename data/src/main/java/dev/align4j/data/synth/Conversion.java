package dev.align4j.data.synth;

import dev.align4j.data.synth.Text.Noun;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Unit conversion with whole-number results ("How many minutes are in 3 hours?" → 180): level 1
 * converts to the smaller unit (multiply by the factor), level 2 to the larger one (divide, the
 * amount chosen so the result is whole), level 3 through two or three units in a row ("How many
 * seconds are in 2 hours?": 2 * 60 = 120, 120 * 60 = 7200). Wrong answers use a factor that is
 * easy to confuse (100 minutes to the hour, 12 hours to the day), multiply where the question
 * divides, or stop a step short.
 *
 * <p>What it is not: conversion between unit systems (feet to meters) or with fractions; every
 * factor here is a whole number, and so is every answer.
 */
public final class Conversion implements Task {

    /** A unit and the next smaller one: {@code factor} smaller units make one {@code big}. */
    record Pair(Noun big, Noun small, int factor) {}

    static final Noun WEEK = Noun.regular("week"), DAY = Noun.regular("day"), HOUR = Noun.regular("hour"),
            MINUTE = Noun.regular("minute"), SECOND = Noun.regular("second"), YEAR = Noun.regular("year"),
            MONTH = Noun.regular("month"), KILOMETER = Noun.regular("kilometer"), METER = Noun.regular("meter"),
            CENTIMETER = Noun.regular("centimeter"), MILLIMETER = Noun.regular("millimeter"),
            KILOGRAM = Noun.regular("kilogram"), GRAM = Noun.regular("gram"), LITER = Noun.regular("liter"),
            MILLILITER = Noun.regular("milliliter"), YARD = Noun.regular("yard"), FOOT = Noun.of("foot", "feet"),
            INCH = Noun.of("inch", "inches"), DOLLAR = Noun.regular("dollar"), CENT = Noun.regular("cent");

    static final List<Pair> PAIRS = List.of(new Pair(WEEK, DAY, 7), new Pair(DAY, HOUR, 24), new Pair(HOUR, MINUTE, 60),
            new Pair(MINUTE, SECOND, 60), new Pair(YEAR, MONTH, 12), new Pair(KILOMETER, METER, 1000),
            new Pair(METER, CENTIMETER, 100), new Pair(CENTIMETER, MILLIMETER, 10), new Pair(KILOGRAM, GRAM, 1000),
            new Pair(LITER, MILLILITER, 1000), new Pair(YARD, FOOT, 3), new Pair(FOOT, INCH, 12), new Pair(DOLLAR, CENT, 100));

    /** Level 3's chains of pairs, each pair's small unit the next pair's big one. */
    static final List<List<Pair>> CHAINS = List.of(chain(WEEK, 2), chain(DAY, 2), chain(HOUR, 2), chain(KILOMETER, 2),
            chain(METER, 2), chain(YARD, 2), chain(WEEK, 3), chain(DAY, 3), chain(KILOMETER, 3));

    /** Factors a learner confuses with the right one. */
    private static final Map<Integer, Integer> CONFUSED = Map.of(7, 5, 24, 12, 60, 100, 12, 10, 1000, 100, 100, 1000, 10, 100, 3, 12);

    /** Question templates: {@code {to}} is the asked unit (plural), {@code {from}} the given amount with its unit. */
    static final List<String> TEMPLATES = List.of("How many {to} are in {from}?", "Convert {from} to {to}.",
            "{from} is how many {to}?", "How many {to} are there in {from}?");

    private static final int MAX_1 = 20, MAX_2 = 50, MAX_3_TWO_STEPS = 30, MAX_3_THREE_STEPS = 10;

    @Override
    public String name() {
        return "conversion";
    }

    @Override
    public Problem draw(Random rng) {
        int level = Text.between(rng, 1, 3);
        String template = Text.pick(rng, TEMPLATES);
        Noun from, to;
        long given, answer;
        String reasoning, wrongReasoning;
        long wrong;
        switch (level) {
            case 1 -> {
                Pair p = Text.pick(rng, PAIRS);
                from = p.big();
                to = p.small();
                given = Text.between(rng, 1, MAX_1);
                answer = given * p.factor();
                reasoning = Text.step(given, '*', p.factor(), answer);
                int f = CONFUSED.get(p.factor());
                wrong = given * f;
                wrongReasoning = Text.step(given, '*', f, wrong);
            }
            case 2 -> {
                Pair p = Text.pick(rng, PAIRS);
                from = p.small();
                to = p.big();
                answer = Text.between(rng, 1, MAX_2);
                given = answer * p.factor();
                reasoning = Text.step(given, '/', p.factor(), answer);
                wrong = given * p.factor();
                wrongReasoning = Text.step(given, '*', p.factor(), wrong);
            }
            default -> {
                List<Pair> chain = Text.pick(rng, CHAINS);
                from = chain.getFirst().big();
                to = chain.getLast().small();
                given = Text.between(rng, 1, chain.size() == 2 ? MAX_3_TWO_STEPS : MAX_3_THREE_STEPS);
                List<String> lines = new ArrayList<>(), wrongLines = new ArrayList<>();
                boolean stopShort = rng.nextBoolean();
                int confusedStep = rng.nextInt(chain.size());
                long v = given, w = given;
                for (int i = 0; i < chain.size(); i++) {
                    int f = chain.get(i).factor();
                    lines.add(Text.step(v, '*', f, v * f));
                    v *= f;
                    if (stopShort && i == chain.size() - 1) continue;
                    int g = !stopShort && i == confusedStep ? CONFUSED.get(f) : f;
                    wrongLines.add(Text.step(w, '*', g, w * g));
                    w *= g;
                }
                answer = v;
                reasoning = String.join("\n", lines);
                wrong = w;
                wrongReasoning = String.join("\n", wrongLines);
            }
        }
        String question = capitalized(template.replace("{to}", to.many()).replace("{from}", from.count(given)));
        List<String> prose = List.of(
                "There " + (answer == 1 ? "is " : "are ") + to.count(answer) + " in " + from.count(given) + ".",
                from.count(given) + " = " + to.count(answer),
                question + " " + capitalized(from.count(given)) + " is " + to.count(answer) + ".",
                reasoning);
        return new Problem(name(), level, question, Long.toString(answer), reasoning, Long.toString(wrong), wrongReasoning, prose);
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** The {@code steps} pairs that start at {@code big}. */
    private static List<Pair> chain(Noun big, int steps) {
        List<Pair> out = new ArrayList<>();
        Noun at = big;
        for (int i = 0; i < steps; i++) {
            Noun from = at;
            Pair next = PAIRS.stream().filter(p -> p.big().equals(from)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no unit below " + from.one()));
            out.add(next);
            at = next.small();
        }
        return List.copyOf(out);
    }

    @Override
    public long capacity(int level) {
        long templates = TEMPLATES.size();
        return switch (level) {
            case 1 -> PAIRS.size() * MAX_1 * templates;
            case 2 -> PAIRS.size() * MAX_2 * templates;
            case 3 -> CHAINS.stream().mapToLong(c -> c.size() == 2 ? MAX_3_TWO_STEPS : MAX_3_THREE_STEPS).sum() * templates;
            default -> throw new IllegalArgumentException("level must be 1..3, got " + level);
        };
    }
}
