package dev.align4j.data.synth;

import dev.align4j.data.synth.Text.Noun;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Word problems in the style of grade-school arithmetic (GSM8K's first steps), at three levels:
 * 1 = one step, single-digit addition or subtraction ("Tom has 3 apples and buys 4 more. How many
 * apples does Tom have now?"); 2 = two steps with numbers up to 20, addition and subtraction, one
 * person or two "together"; 3 = a multiplication ("5 boxes of 4 pencils") and one more step.
 * Every intermediate and final count is a non-negative integer.
 *
 * <p>The story is told with small word lists (names, objects, containers, verbs of gaining and of
 * losing); the verb before a number decides whether it adds or subtracts, which is also how the
 * tests' independent checker reads the question back. Wrong answers are the mistakes a learner
 * makes: off by one in the last step, the opposite operation in one step, or adding where the
 * problem multiplies.
 *
 * <p>What it is not: a natural-language generator. Templates are fixed sentences with slots; only
 * the nouns inflect (see {@link Text.Noun}).
 */
public final class Arithmetic implements Task {

    static final List<String> NAMES = List.of("Tom", "Anna", "Ben", "Mia", "Sam", "Lily", "Max", "Zoe", "Leo", "Emma",
            "Jack", "Ella", "Noah", "Ava", "Omar", "Sara", "Ravi", "Nina", "Ivan", "Lena",
            "Kofi", "Yuki", "Pablo", "Maya", "Finn", "Rosa", "Ali", "Hana", "Theo", "Ines");
    static final List<Noun> OBJECTS = List.of(Noun.regular("apple"), Noun.regular("pencil"), Noun.regular("marble"),
            Noun.regular("book"), Noun.regular("sticker"), Noun.regular("cookie"), Noun.regular("card"), Noun.regular("coin"),
            Noun.regular("shell"), Noun.regular("stamp"), Noun.regular("balloon"), Noun.regular("crayon"), Noun.regular("orange"),
            Noun.regular("egg"), Noun.regular("flower"), Noun.regular("candle"), Noun.regular("button"), Noun.regular("rock"),
            Noun.regular("ribbon"), Noun.regular("cupcake"), Noun.regular("kite"), Noun.of("leaf", "leaves"),
            Noun.of("peach", "peaches"), Noun.of("cherry", "cherries"), Noun.regular("toy car"));
    static final List<Noun> CONTAINERS = List.of(Noun.of("box", "boxes"), Noun.regular("bag"), Noun.regular("pack"),
            Noun.regular("jar"), Noun.regular("basket"), Noun.regular("crate"), Noun.regular("tray"), Noun.regular("tin"));
    /** Verbs after which a number is added. */
    static final List<String> GAIN = List.of("buys", "finds", "gets", "receives", "collects", "wins", "picks up", "is given");
    /** Verbs after which a number is subtracted. */
    static final List<String> LOSS = List.of("gives away", "loses", "sells", "trades away", "donates");

    private static final int MAX_2 = 20, MAX_C = 20, MIN_A_3 = 2, MAX_A_3 = 9, MIN_B_3 = 2, MAX_B_3 = 12;

    @Override
    public String name() {
        return "arithmetic";
    }

    /** A number in the story, or a product "a containers of b": {@code times == 0} for a plain number. */
    private record Term(boolean minus, int a, int times) {
        long value() {
            return times == 0 ? a : (long) a * times;
        }
    }

    /** A mistake to make when working the terms out; NONE is the correct working. */
    private enum Mistake {NONE, OFF_BY_ONE, OPPOSITE_OPERATION, ADD_NOT_MULTIPLY}

    /** The worked steps and their result, or null when a mistake makes a count negative or does not apply. */
    private record Working(long answer, String reasoning) {}

    @Override
    public Problem draw(Random rng) {
        int level = Text.between(rng, 1, 3);
        String name = Text.pick(rng, NAMES);
        Noun obj = Text.pick(rng, OBJECTS);
        String story, ask, conclusion;
        List<Term> terms;
        switch (level) {
            case 1 -> {
                int a = Text.between(rng, 1, 9);
                boolean gain = rng.nextBoolean();
                int b = gain ? Text.between(rng, 1, 9) : Text.between(rng, 1, a);
                String verb = Text.pick(rng, gain ? GAIN : LOSS);
                boolean past = rng.nextBoolean();
                story = past
                        ? name + " had " + obj.count(a) + ". Then " + name + " " + verb + " " + b + (gain ? " more." : ".")
                        : name + " has " + obj.count(a) + " and " + verb + " " + b + (gain ? " more." : " of them.");
                terms = List.of(new Term(false, a, 0), new Term(!gain, b, 0));
                long ans = a + (gain ? b : -b);
                ask = "How many " + obj.many() + " does " + name + " have " + (gain ? "now?" : "left?");
                conclusion = gain ? "Now " + name + " has " + obj.count(ans) + "." : name + " has " + obj.count(ans) + " left.";
            }
            case 2 -> {
                if (rng.nextBoolean()) { // one person, two changes
                    int a, b, c;
                    boolean gain1, gain2;
                    do {
                        a = Text.between(rng, 1, MAX_2);
                        b = Text.between(rng, 1, MAX_2);
                        c = Text.between(rng, 1, MAX_2);
                        gain1 = rng.nextBoolean();
                        gain2 = rng.nextBoolean();
                    } while (!validSequence(a, gain1, b, gain2, c));
                    story = name + " has " + obj.count(a) + ". " + name + " " + change(rng, gain1, b) + " and then " + change(rng, gain2, c) + ".";
                    terms = List.of(new Term(false, a, 0), new Term(!gain1, b, 0), new Term(!gain2, c, 0));
                    ask = "How many " + obj.many() + " does " + name + " have now?";
                    conclusion = "Now " + name + " has " + obj.count(value(terms)) + ".";
                } else { // two people together, one change
                    String other;
                    do other = Text.pick(rng, NAMES); while (other.equals(name));
                    int a = Text.between(rng, 1, MAX_2), b = Text.between(rng, 1, MAX_2);
                    boolean gain = rng.nextBoolean();
                    int c = gain ? Text.between(rng, 1, MAX_2) : Text.between(rng, 1, b);
                    story = name + " has " + obj.count(a) + " and " + other + " has " + obj.count(b) + ". Then " + other + " "
                            + change(rng, gain, c) + ".";
                    terms = List.of(new Term(false, a, 0), new Term(false, b, 0), new Term(!gain, c, 0));
                    ask = "How many " + obj.many() + " do " + name + " and " + other + " have together now?";
                    conclusion = "Together, " + name + " and " + other + " now have " + obj.count(value(terms)) + ".";
                }
            }
            default -> {
                Noun box = Text.pick(rng, CONTAINERS);
                int a = Text.between(rng, MIN_A_3, MAX_A_3), b = Text.between(rng, MIN_B_3, MAX_B_3);
                int form = rng.nextInt(3);
                if (form == 2) { // some first, then the containers
                    int c = Text.between(rng, 1, MAX_C);
                    story = name + " has " + obj.count(c) + ". Then " + name + " buys " + box.count(a) + " with " + obj.count(b) + " in each.";
                    terms = List.of(new Term(false, c, 0), new Term(false, a, b));
                } else { // the containers first, then a change
                    boolean gain = rng.nextBoolean();
                    int c = gain ? Text.between(rng, 1, MAX_C) : Text.between(rng, 1, Math.min(MAX_C, a * b));
                    story = form == 0
                            ? name + " buys " + box.count(a) + " of " + obj.count(b) + " and then " + change(rng, gain, c) + "."
                            : name + " has " + box.count(a) + " with " + obj.count(b) + " in each. Then " + name + " " + change(rng, gain, c) + ".";
                    terms = List.of(new Term(false, a, b), new Term(!gain, c, 0));
                }
                ask = "How many " + obj.many() + " does " + name + " have now?";
                conclusion = "Now " + name + " has " + obj.count(value(terms)) + ".";
            }
        }
        Working right = work(terms, Mistake.NONE, 0);
        Working wrong = mistake(rng, terms, right.answer());
        String question = story + " " + ask;
        List<String> prose = List.of(story + " " + conclusion, question + " " + conclusion, right.reasoning());
        return new Problem(name(), level, question, Long.toString(right.answer()), right.reasoning(),
                Long.toString(wrong.answer()), wrong.reasoning(), prose);
    }

    /** "buys 5 more" or "gives away 5". */
    private static String change(Random rng, boolean gain, int n) {
        return gain ? Text.pick(rng, GAIN) + " " + n + " more" : Text.pick(rng, LOSS) + " " + n;
    }

    private static boolean validSequence(int a, boolean gain1, int b, boolean gain2, int c) {
        int mid = a + (gain1 ? b : -b);
        return mid >= 0 && mid + (gain2 ? c : -c) >= 0;
    }

    private static long value(List<Term> terms) {
        return work(terms, Mistake.NONE, 0).answer();
    }

    /** A plausible wrong working: the mistakes in a random order, the first that gives a different non-negative answer. */
    private static Working mistake(Random rng, List<Term> terms, long answer) {
        List<Mistake> order = new ArrayList<>(List.of(Mistake.OFF_BY_ONE, Mistake.OPPOSITE_OPERATION, Mistake.ADD_NOT_MULTIPLY));
        java.util.Collections.shuffle(order, rng);
        for (Mistake m : order) {
            Working w = work(terms, m, rng.nextInt(1 << 16));
            if (w != null && w.answer() != answer) return w;
        }
        return work(terms, Mistake.OFF_BY_ONE, 0); // one too many: always a different, non-negative count
    }

    /**
     * Works the terms out: each product first ("5 * 4 = 20"), then left to right ("20 - 3 = 17"),
     * with at most one mistake; {@code choice} picks which term or direction the mistake touches.
     */
    private static Working work(List<Term> terms, Mistake mistake, int choice) {
        List<String> lines = new ArrayList<>();
        long[] values = new long[terms.size()];
        List<Integer> products = new ArrayList<>();
        for (int i = 0; i < terms.size(); i++) if (terms.get(i).times() != 0) products.add(i);
        if (mistake == Mistake.ADD_NOT_MULTIPLY && products.isEmpty()) return null;
        int wrongProduct = products.isEmpty() ? -1 : products.get(choice % products.size());
        for (int i = 0; i < terms.size(); i++) {
            Term t = terms.get(i);
            if (t.times() == 0) {
                values[i] = t.a();
            } else if (mistake == Mistake.ADD_NOT_MULTIPLY && i == wrongProduct) {
                values[i] = t.a() + t.times();
                lines.add(Text.step(t.a(), '+', t.times(), values[i]));
            } else {
                values[i] = t.value();
                lines.add(Text.step(t.a(), '*', t.times(), values[i]));
            }
        }
        int flipped = mistake == Mistake.OPPOSITE_OPERATION ? 1 + choice % (terms.size() - 1) : -1;
        long acc = values[0];
        for (int i = 1; i < terms.size(); i++) {
            boolean minus = terms.get(i).minus() != (i == flipped);
            long next = minus ? acc - values[i] : acc + values[i];
            if (mistake == Mistake.OFF_BY_ONE && i == terms.size() - 1) next += (choice & 1) == 0 || next == 0 ? 1 : -1;
            if (next < 0) return null;
            lines.add(Text.step(acc, minus ? '-' : '+', values[i], next));
            acc = next;
        }
        return new Working(acc, String.join("\n", lines));
    }

    @Override
    public long capacity(int level) {
        long people = NAMES.size(), things = OBJECTS.size();
        long gains = GAIN.size(), losses = LOSS.size();
        return switch (level) {
            case 1 -> { // two sentence forms × (a + b, b in 1..9) or (a - b, b in 1..a)
                long add = 9 * 9 * gains, subtract = 45 * losses;
                yield people * things * 2 * (add + subtract);
            }
            case 2 -> {
                long sequences = 0;
                for (int a = 1; a <= MAX_2; a++) for (int b = 1; b <= MAX_2; b++) for (int c = 1; c <= MAX_2; c++) {
                    for (int s = 0; s < 4; s++) {
                        boolean g1 = (s & 1) == 0, g2 = (s & 2) == 0;
                        if (validSequence(a, g1, b, g2, c)) sequences += (g1 ? gains : losses) * (g2 ? gains : losses);
                    }
                }
                long together = 0;
                for (int b = 1; b <= MAX_2; b++) together += MAX_2 * (MAX_2 * gains + (long) b * losses);
                yield people * things * sequences + people * (people - 1) * things * together;
            }
            case 3 -> {
                long changes = 0;
                for (int a = MIN_A_3; a <= MAX_A_3; a++) for (int b = MIN_B_3; b <= MAX_B_3; b++) {
                    changes += MAX_C * gains + (long) Math.min(MAX_C, a * b) * losses;
                }
                long containersFirst = 2 * changes;
                long someFirst = (long) (MAX_A_3 - MIN_A_3 + 1) * (MAX_B_3 - MIN_B_3 + 1) * MAX_C;
                yield people * things * CONTAINERS.size() * (containersFirst + someFirst);
            }
            default -> throw new IllegalArgumentException("level must be 1..3, got " + level);
        };
    }
}
