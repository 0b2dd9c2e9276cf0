package dev.align4j.train.judges;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An editable judge prompt: a system message and a user message with placeholders, MT-Bench's names
 * (Zheng et al. 2023, arXiv:2306.05685; FastChat {@code llm_judge/data/judge_prompts.jsonl}):
 * {@code {question}}, {@code {answer_a}}, {@code {answer_b}} for a pairwise judge,
 * {@code {question}}, {@code {answer}} for single-answer grading.
 *
 * <p>The file format, for the built-in defaults ({@code pairwise.txt}, {@code single.txt} beside
 * this class) and for a user's own file ({@link #load}): UTF-8 text holding the system prompt, then
 * a line that is exactly {@code ---}, then the user prompt. The first such line splits; the user
 * prompt may hold more. Blank lines around either part are dropped; an empty system prompt sends no
 * system message. Every placeholder of the template's {@link Kind} must appear (in either part); a
 * file missing one is refused, naming the file and the placeholder. A template is only as good as
 * its output format: the parsers ({@link JudgeParsers}) read MT-Bench's {@code [[A]]} /
 * {@code [[B]]} / {@code [[C]]} and {@code Rating: [[n]]}, so a custom prompt must ask for them.
 *
 * <p>Substitution is literal and in one pass: each placeholder of the template's kind is replaced
 * by its value as is, and the values are never searched for placeholders again, so an answer
 * holding {@code {answer_b}}, {@code $1} or a backslash arrives unchanged. Braces that do not spell
 * one of the kind's placeholders (a JSON example in the prompt) are left alone.
 *
 * <p>The default wording is ours; MT-Bench's facts carry over (an impartial judge, the criteria,
 * explanation first, verdict in a strict format, order and length not to sway it).
 */
public final class JudgeTemplate {

    /** The line between the system prompt and the user prompt. */
    public static final String SEPARATOR = "---";

    /** What a template judges, and so the placeholders it must hold. */
    public enum Kind {
        /** Two answers to compare: {@code {question}}, {@code {answer_a}}, {@code {answer_b}}. */
        PAIRWISE("pairwise.txt", "question", "answer_a", "answer_b"),
        /** One answer to rate from 1 to 10: {@code {question}}, {@code {answer}}. */
        SINGLE("single.txt", "question", "answer");

        private final String resource;
        private final List<String> placeholders;

        Kind(String resource, String... placeholders) {
            this.resource = resource;
            this.placeholders = List.of(placeholders);
        }

        /** The placeholder names, without braces. */
        public List<String> placeholders() {
            return placeholders;
        }

        private String spelled() {
            List<String> braced = placeholders.stream().map(p -> "{" + p + "}").toList();
            return String.join(", ", braced);
        }
    }

    private final Kind kind;
    private final String system;
    private final String user;
    private final String source;

    private JudgeTemplate(Kind kind, String system, String user, String source) {
        this.kind = kind;
        this.system = system;
        this.user = user;
        this.source = source;
    }

    /** The built-in pairwise template ({@code pairwise.txt}). */
    public static JudgeTemplate defaultPairwise() {
        return builtIn(Kind.PAIRWISE);
    }

    /** The built-in single-answer grading template ({@code single.txt}). */
    public static JudgeTemplate defaultSingle() {
        return builtIn(Kind.SINGLE);
    }

    private static JudgeTemplate builtIn(Kind kind) {
        try (InputStream in = JudgeTemplate.class.getResourceAsStream(kind.resource)) {
            if (in == null) throw new IllegalStateException("the align4j-train jar lacks its resource " + kind.resource + "; rebuild it");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), kind, "built-in " + kind.resource);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in judge template " + kind.resource, e);
        }
    }

    /**
     * A user's template file in the format above.
     *
     * @throws IllegalArgumentException naming the file when it has no {@code ---} line, an empty user
     *                                  prompt, or lacks a placeholder of {@code kind} (named)
     */
    public static JudgeTemplate load(Path file, Kind kind) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), kind, file.toString());
    }

    /**
     * A template from its text; {@code source} names it in errors (a file name, "built-in …").
     *
     * @throws IllegalArgumentException as {@link #load}
     */
    public static JudgeTemplate parse(String text, Kind kind, String source) {
        Objects.requireNonNull(kind, "kind");
        List<String> lines = text.replace("\r\n", "\n").replace('\r', '\n').lines().toList();
        int split = -1;
        for (int i = 0; i < lines.size() && split < 0; i++) if (lines.get(i).strip().equals(SEPARATOR)) split = i;
        if (split < 0) {
            throw new IllegalArgumentException(source + ": no line \"" + SEPARATOR + "\" in the judge template; write the system prompt,"
                    + " then a line holding only " + SEPARATOR + ", then the user prompt with " + kind.spelled()
                    + " (the system prompt may be empty)");
        }
        String system = String.join("\n", lines.subList(0, split)).strip();
        String user = String.join("\n", lines.subList(split + 1, lines.size())).strip();
        if (user.isEmpty()) {
            throw new IllegalArgumentException(source + ": the judge template's user prompt (after the " + SEPARATOR + " line) is empty;"
                    + " it must hold " + kind.spelled());
        }
        for (String p : kind.placeholders) {
            String braced = "{" + p + "}";
            if (!system.contains(braced) && !user.contains(braced)) {
                throw new IllegalArgumentException(source + ": the " + kind.name().toLowerCase() + " judge template has no " + braced
                        + " placeholder; it must hold " + kind.spelled() + " (MT-Bench's names), where the judge should see them");
            }
        }
        return new JudgeTemplate(kind, system, user, source);
    }

    public Kind kind() {
        return kind;
    }

    /** The system prompt, unsubstituted; empty when there is none. */
    public String system() {
        return system;
    }

    /** The user prompt, unsubstituted. */
    public String user() {
        return user;
    }

    /** Where the template came from: its file, or "built-in pairwise.txt". */
    public String source() {
        return source;
    }

    /** The pairwise conversation: {@code answerA} shown as Assistant A, {@code answerB} as B. */
    public List<Message> renderPairwise(String question, String answerA, String answerB) {
        requireKind(Kind.PAIRWISE);
        return render(Map.of("question", question, "answer_a", answerA, "answer_b", answerB));
    }

    /** The single-answer grading conversation. */
    public List<Message> renderSingle(String question, String answer) {
        requireKind(Kind.SINGLE);
        return render(Map.of("question", question, "answer", answer));
    }

    private void requireKind(Kind wanted) {
        if (kind != wanted) {
            throw new IllegalStateException(source + " is a " + kind.name().toLowerCase() + " judge template, not a "
                    + wanted.name().toLowerCase() + " one");
        }
    }

    /** The messages with every placeholder replaced by its value: a system message when the prompt has one, then the user's. */
    private List<Message> render(Map<String, String> values) {
        List<Message> out = new ArrayList<>(2);
        if (!system.isEmpty()) out.add(Message.system(substitute(system, values)));
        out.add(Message.user(substitute(user, values)));
        return out;
    }

    /** One left-to-right pass: a placeholder's value is appended as is and never read again. */
    private String substitute(String text, Map<String, String> values) {
        StringBuilder out = new StringBuilder(text.length() + 256);
        int i = 0;
        scan:
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '{') {
                for (String p : kind.placeholders) {
                    if (text.startsWith(p, i + 1) && text.startsWith("}", i + 1 + p.length())) {
                        out.append(values.get(p));
                        i += p.length() + 2;
                        continue scan;
                    }
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "JudgeTemplate[" + kind.name().toLowerCase() + ", " + source + "]";
    }
}
