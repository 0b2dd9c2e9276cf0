package dev.align4j.cli.label;

import java.util.Locale;

/**
 * What the person labelling said about one comparison, by the side of the page they saw: the left
 * completion is better, the right one, both are as good (a tie), or they would rather not say (a
 * skip). Sides, not completions, because sides are what the person saw; {@link ShownOrder} maps
 * them back to {@code completion_a} and {@code completion_b}.
 */
public enum Choice {
    LEFT, RIGHT, TIE, SKIP;

    /** Whether this choice makes a preference pair (chosen, rejected) rather than a row of the skipped file. */
    public boolean prefers() {
        return this == LEFT || this == RIGHT;
    }

    /** The choice's name in the HTTP API and the skipped file: {@code left}, {@code right}, {@code tie}, {@code skip}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The choice named {@code name} as the page sends it.
     *
     * @throws IllegalArgumentException naming the four choices when it is none of them
     */
    public static Choice parse(String name) {
        for (Choice c : values()) {
            if (c.json().equals(name)) return c;
        }
        throw new IllegalArgumentException("choice must be \"left\", \"right\", \"tie\" or \"skip\", got " + (name == null ? "none" : "\"" + name + "\""));
    }
}
