package dev.align4j.train.judges;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LlmGrader} with a fake backend rating by the answer it finds in the prompt. */
class LlmGraderTest {

    @Test
    void gradesEachItemInOrderInOneBatch() {
        List<Integer> batchSizes = new ArrayList<>();
        ChatBackend backend = conversations -> {
            batchSizes.add(conversations.size());
            return conversations.stream().map(c -> {
                String user = c.getLast().content();
                return user.contains("Paris") ? "Correct. Rating: [[9]]" : user.contains("Lyon") ? "Wrong. Rating: [[2.5]]" : "No idea.";
            }).toList();
        };
        try (var grader = new LlmGrader(backend)) {
            List<Grade> grades = grader.grade(List.of(
                    new Answered("Capital of France?", "Paris"),
                    new Answered("Capital of France?", "Lyon"),
                    new Answered("Capital of France?", "Berlin?")));
            assertEquals(OptionalDouble.of(9), grades.get(0).score());
            assertEquals(OptionalDouble.of(2.5), grades.get(1).score());
            assertEquals(OptionalDouble.empty(), grades.get(2).score());
            assertEquals("No idea.", grades.get(2).raw());
        }
        assertEquals(List.of(3), batchSizes);
    }

    @Test
    void thePromptHoldsTheQuestionAndTheAnswer() {
        List<List<Message>> asked = new ArrayList<>();
        ChatBackend backend = conversations -> {
            asked.addAll(conversations);
            return conversations.stream().map(c -> "Rating: [[5]]").toList();
        };
        try (var grader = new LlmGrader(backend)) {
            grader.grade(List.of(new Answered("Name a prime.", "7, and {answer} stays as written")));
        }
        String user = asked.getFirst().getLast().content();
        assertTrue(user.contains("Name a prime.") && user.contains("7, and {answer} stays as written"), user);
        assertTrue(asked.getFirst().getFirst().content().contains("Rating: [[5]]"), "the system prompt asks for MT-Bench's format");
    }

    @Test
    void aPairwiseTemplateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LlmGrader(c -> List.of(), JudgeTemplate.defaultPairwise()));
    }
}
