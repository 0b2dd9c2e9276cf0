package dev.align4j.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Counting a letter in a word ("How many times does the letter "a" appear in the word "banana"?"
 * → 3), the spelling task that tokenizers make hard for language models. Words come from a
 * built-in list of common English words; level 1 words have at most four letters, level 2 five or
 * six, level 3 seven or more. The letter occurs 0 to 3 times: a quarter of the questions ask for a
 * letter the word lacks, so that "0" is an answer the model must learn to give. The reasoning
 * spells the word out ("b-a-n-a-n-a: a appears 3 times"); a wrong answer is one off.
 *
 * <p>What it is not: case-sensitive or about letters a word holds four times or more (those
 * letter-word pairs are never asked).
 */
public final class Counting implements Task {

    /** Common English words by level: up to four letters, five or six, seven or more. */
    static final List<List<String>> WORDS = List.of(
            List.of("cat", "dog", "sun", "moon", "tree", "book", "ball", "fish", "bird", "cake", "milk", "door", "hand",
                    "foot", "home", "road", "rain", "snow", "star", "ship", "king", "frog", "duck", "bell", "egg", "cup",
                    "hat", "pen", "box", "bus", "bee", "zoo", "see", "look", "good", "food", "all", "add", "off", "too",
                    "ten", "nine", "noon", "pool", "toy", "map", "jam", "red", "blue", "gold"),
            List.of("apple", "house", "water", "green", "happy", "sheep", "horse", "river", "table", "chair", "mouse",
                    "queen", "sleep", "bottle", "coffee", "letter", "little", "yellow", "orange", "purple", "garden",
                    "pepper", "banana", "cookie", "school", "people", "rabbit", "summer", "winter", "butter", "kitten",
                    "puppy", "paper", "pizza", "lemon", "grass", "glass", "dinner", "street", "cotton", "mirror", "tomato",
                    "bubble", "carrot", "planet"),
            List.of("elephant", "strawberry", "butterfly", "chocolate", "computer", "mountain", "balloon", "football",
                    "birthday", "sandwich", "umbrella", "dinosaur", "pineapple", "library", "teacher", "morning", "kitchen",
                    "blanket", "giraffe", "penguin", "popcorn", "raspberry", "tomorrow", "grandmother", "hamburger",
                    "adventure", "beautiful", "different", "excellent", "important", "committee", "necessary", "possible",
                    "question", "vegetable", "yesterday", "afternoon", "cinnamon", "broccoli", "spaghetti"));

    /** Question templates with the slots {@code {letter}} and {@code {word}}. */
    static final List<String> TEMPLATES = List.of(
            "How many times does the letter \"{letter}\" appear in the word \"{word}\"?",
            "Count the letter \"{letter}\" in the word \"{word}\".",
            "In the word \"{word}\", how many times does the letter \"{letter}\" occur?",
            "How many letters \"{letter}\" does the word \"{word}\" have?");

    private static final int MAX_COUNT = 3;

    @Override
    public String name() {
        return "counting";
    }

    @Override
    public Problem draw(Random rng) {
        int level = Text.between(rng, 1, 3);
        String word = Text.pick(rng, WORDS.get(level - 1));
        List<Character> absent = new ArrayList<>(), present = new ArrayList<>();
        for (char c = 'a'; c <= 'z'; c++) {
            int n = count(word, c);
            if (n == 0) absent.add(c);
            else if (n <= MAX_COUNT) present.add(c);
        }
        char letter = rng.nextInt(4) == 0 ? Text.pick(rng, absent) : Text.pick(rng, present);
        int n = count(word, letter);
        int wrong = n == 0 || rng.nextBoolean() ? n + 1 : n - 1;
        String question = TEMPLATES.get(rng.nextInt(TEMPLATES.size())).replace("{letter}", String.valueOf(letter)).replace("{word}", word);
        String spelled = spell(word);
        List<String> prose = List.of(
                "The word " + word + " has " + letters(n, letter) + ".",
                word + " is spelled " + spelled + ".",
                question + " The letter \"" + letter + "\" appears " + times(n) + " in \"" + word + "\".",
                "There " + (n == 1 ? "is " : "are ") + letters(n, letter) + " in " + word + ".");
        return new Problem(name(), level, question, Integer.toString(n), reasoning(spelled, letter, n),
                Integer.toString(wrong), reasoning(spelled, letter, wrong), prose);
    }

    /** "banana" → "b-a-n-a-n-a". */
    private static String spell(String word) {
        StringBuilder out = new StringBuilder(2 * word.length());
        for (int i = 0; i < word.length(); i++) {
            if (i > 0) out.append('-');
            out.append(word.charAt(i));
        }
        return out.toString();
    }

    private static String reasoning(String spelled, char letter, int n) {
        return spelled + ": " + letter + " appears " + times(n);
    }

    private static String times(int n) {
        return n + (n == 1 ? " time" : " times");
    }

    /** "1 a", "3 a's". */
    private static String letters(int n, char letter) {
        return n + " " + letter + (n == 1 ? "" : "'s");
    }

    private static int count(String word, char letter) {
        int n = 0;
        for (int i = 0; i < word.length(); i++) if (word.charAt(i) == letter) n++;
        return n;
    }

    @Override
    public long capacity(int level) {
        if (level < 1 || level > 3) throw new IllegalArgumentException("level must be 1..3, got " + level);
        long pairs = 0;
        for (String word : WORDS.get(level - 1)) {
            for (char c = 'a'; c <= 'z'; c++) if (count(word, c) <= MAX_COUNT) pairs++;
        }
        return pairs * TEMPLATES.size();
    }
}
