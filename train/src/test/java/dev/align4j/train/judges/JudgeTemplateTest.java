package dev.align4j.train.judges;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link JudgeTemplate}: the built-in prompts, a user's file, and literal substitution. */
class JudgeTemplateTest {

    @Test
    void theBuiltInTemplatesLoadWithTheirPlaceholdersAndFormats() {
        JudgeTemplate pairwise = JudgeTemplate.defaultPairwise();
        assertEquals(JudgeTemplate.Kind.PAIRWISE, pairwise.kind());
        assertTrue(pairwise.system().contains("[[A]]") && pairwise.system().contains("[[B]]") && pairwise.system().contains("[[C]]"));
        assertTrue(pairwise.user().contains("{question}") && pairwise.user().contains("{answer_a}") && pairwise.user().contains("{answer_b}"));
        assertFalse(pairwise.system().contains(JudgeTemplate.SEPARATOR + "\n") || pairwise.user().startsWith(JudgeTemplate.SEPARATOR));

        JudgeTemplate single = JudgeTemplate.defaultSingle();
        assertEquals(JudgeTemplate.Kind.SINGLE, single.kind());
        assertTrue(single.system().contains("Rating: [[5]]"));
        assertTrue(single.user().contains("{question}") && single.user().contains("{answer}"));

        List<Message> m = pairwise.renderPairwise("Q?", "first", "second");
        assertEquals(List.of("system", "user"), m.stream().map(Message::role).toList());
        assertTrue(m.get(1).content().indexOf("first") < m.get(1).content().indexOf("second"), "A is shown before B");
    }

    @Test
    void substitutionIsLiteralAndSinglePass() {
        JudgeTemplate t = JudgeTemplate.parse("Judge {question} fairly.\n---\nQ={question}|A={answer_a}|B={answer_b}|{other} {answer_a",
                JudgeTemplate.Kind.PAIRWISE, "inline");
        List<Message> m = t.renderPairwise("q$1\\", "see {answer_b} and $1 \\1 ${x}", "{question}");
        assertEquals("Judge q$1\\ fairly.", m.get(0).content());
        assertEquals("Q=q$1\\|A=see {answer_b} and $1 \\1 ${x}|B={question}|{other} {answer_a", m.get(1).content(),
                "values are not searched again; unknown braces stay");
    }

    @Test
    void aUserFileInTheSameFormatLoads(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("strict.txt");
        Files.writeString(file, "\r\nBe strict.\r\n---\r\n\r\nQuestion: {question}\r\nAnswer: {answer}\r\n---\r\nend\r\n");
        JudgeTemplate t = JudgeTemplate.load(file, JudgeTemplate.Kind.SINGLE);
        assertEquals("Be strict.", t.system());
        assertEquals("Question: {question}\nAnswer: {answer}\n---\nend", t.user(), "the first --- line splits; blank edges are dropped");
        assertEquals(file.toString(), t.source());
        assertEquals("Question: why?\nAnswer: because\n---\nend", t.renderSingle("why?", "because").getLast().content());
    }

    @Test
    void anEmptySystemPromptSendsOnlyTheUserMessage() {
        JudgeTemplate t = JudgeTemplate.parse("---\n{question} {answer}", JudgeTemplate.Kind.SINGLE, "inline");
        List<Message> m = t.renderSingle("q", "a");
        assertEquals(List.of(Message.user("q a")), m);
    }

    @Test
    void aFileMissingAPlaceholderIsRefusedNamingFileAndPlaceholder(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mine.txt");
        Files.writeString(file, "Pick one.\n---\n{question}\nA: {answer_a}\nB: {answer}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> JudgeTemplate.load(file, JudgeTemplate.Kind.PAIRWISE));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("{answer_b}"), e.getMessage());

        Files.writeString(file, "{question} {answer}\n");
        e = assertThrows(IllegalArgumentException.class, () -> JudgeTemplate.load(file, JudgeTemplate.Kind.SINGLE));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("no line \"---\""), e.getMessage());

        Files.writeString(file, "system {question} {answer}\n---\n\n");
        e = assertThrows(IllegalArgumentException.class, () -> JudgeTemplate.load(file, JudgeTemplate.Kind.SINGLE));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void aTemplateRendersOnlyItsOwnKind() {
        assertThrows(IllegalStateException.class, () -> JudgeTemplate.defaultSingle().renderPairwise("q", "a", "b"));
        assertThrows(IllegalStateException.class, () -> JudgeTemplate.defaultPairwise().renderSingle("q", "a"));
    }
}
