package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.ScoreModel;
import dev.align4j.tensor.Autograd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.align4j.io.hf.ModelFolders.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reward models as transformers saves them ({@code dev/make_golden_reward.py}): a GPT-2 whose pad token is its EOS
 * and an untied Qwen2 with its own pad token. Each scores the golden sequences — some ending in pad tokens, one of
 * pad tokens only — as transformers does, alone and packed together; saving writes a folder that loads back the same.
 * Tolerance 1e-4 on scores around 2 (float32 summation order).
 */
class ScoreModelsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private record Golden(List<int[]> sequences, double[] scores) {
        static Golden read(Path folder) throws IOException {
            JsonNode n = JSON.readTree(folder.resolve("scores.json").toFile());
            List<int[]> seqs = new ArrayList<>();
            for (JsonNode s : n.get("sequences")) {
                int[] ids = new int[s.size()];
                for (int i = 0; i < ids.length; i++) ids[i] = s.get(i).asInt();
                seqs.add(ids);
            }
            double[] scores = new double[n.get("scores").size()];
            for (int i = 0; i < scores.length; i++) scores[i] = n.get("scores").get(i).asDouble();
            return new Golden(seqs, scores);
        }
    }

    private static double[] scores(ScoreModel model, List<int[]> sequences) {
        try (var g = Autograd.noGrad()) {
            float[] s = model.sequenceScores(PackedBatch.of(sequences)).toArray();
            double[] out = new double[s.length];
            for (int i = 0; i < s.length; i++) out[i] = s[i];
            return out;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reward_gpt2", "reward_qwen2"})
    void scoresMatchTransformersAloneAndPacked(String name) throws IOException {
        Path folder = golden(name);
        Golden expected = Golden.read(folder);
        ScoreModels.Loaded loaded = ScoreModels.load(folder, LoadOptions.defaults(), null, 0);
        assertFalse(loaded.newHead());
        assertArrayEquals(expected.scores(), scores(loaded.model(), expected.sequences()), 1e-4, name + " packed");
        for (int i = 0; i < expected.sequences().size(); i++) {
            assertEquals(expected.scores()[i], scores(loaded.model(), List.of(expected.sequences().get(i)))[0], 1e-4, name + " alone " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reward_gpt2", "reward_qwen2"})
    void savedFolderIsASequenceClassifierThatScoresTheSame(String name) throws IOException {
        Path folder = golden(name);
        Golden expected = Golden.read(folder);
        ScoreModels.Loaded loaded = ScoreModels.load(folder, LoadOptions.defaults(), null, 0);
        Path out = dir.resolve(name);
        ScoreModels.save(loaded.model(), loaded.config(), out, SaveOptions.defaults());

        ObjectNode written = (ObjectNode) JSON.readTree(out.resolve("config.json").toFile());
        ObjectNode original = (ObjectNode) JSON.readTree(folder.resolve("config.json").toFile());
        assertEquals(original.get("architectures"), written.get("architectures"));
        assertEquals(original.get("id2label"), written.get("id2label"));
        assertEquals(original.get("pad_token_id"), written.get("pad_token_id"));
        assertEquals(original.get("tie_word_embeddings"), written.get("tie_word_embeddings"));
        assertEquals(ModelFolders.readAll(folder).keySet(), ModelFolders.readAll(out).keySet());
        ModelFolders.assertSameWeights(ModelFolders.readAll(folder), ModelFolders.readAll(out));
        assertArrayEquals(expected.scores(), scores(ScoreModels.load(out, LoadOptions.defaults(), null, 0).model(), expected.sequences()), 1e-4);
    }

    @Test
    void aCausalLmFolderStartsAScoreModelWithANewSeededHeadAndNoOutputHead() throws IOException {
        ScoreModels.Loaded a = ScoreModels.load(golden("qwen2"), LoadOptions.defaults(), 7, 1);
        ScoreModels.Loaded b = ScoreModels.load(golden("qwen2"), LoadOptions.defaults(), 7, 1);
        ScoreModels.Loaded c = ScoreModels.load(golden("qwen2"), LoadOptions.defaults(), 7, 2);
        assertTrue(a.newHead());
        assertArrayEquals(a.model().head().toArray(), b.model().head().toArray());
        assertNotEquals(a.model().head().toArray()[0], c.model().head().toArray()[0]);
        assertFalse(a.model().parameters().containsKey("lm_head.weight"));
        assertEquals(7, a.model().padTokenId());

        Path out = dir.resolve("from_causal");
        ScoreModels.save(a.model(), a.config(), out, SaveOptions.defaults());
        JsonNode written = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("Qwen2ForSequenceClassification", written.get("architectures").get(0).asText());
        assertEquals(7, written.get("pad_token_id").asInt());
        assertFalse(written.get("tie_word_embeddings").asBoolean(), "the base's untied embeddings stay untied in config.json");
        assertTrue(ScoreModels.isSequenceClassifier(HfConfig.read(out.resolve("config.json"))));
    }

    @Test
    void aClassifierOfTwoLabelsIsRefusedNamingTheFile() throws IOException {
        Path folder = dir.resolve("two");
        Files.createDirectories(folder);
        for (String f : new String[] {"model.safetensors"}) Files.copy(golden("reward_gpt2").resolve(f), folder.resolve(f));
        ObjectNode config = (ObjectNode) JSON.readTree(golden("reward_gpt2").resolve("config.json").toFile());
        config.putObject("id2label").put("0", "NEG").put("1", "POS");
        Files.writeString(folder.resolve("config.json"), config.toString());
        var e = assertThrows(IllegalArgumentException.class, () -> ScoreModels.load(folder, LoadOptions.defaults(), null, 0));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("2 labels"), e.getMessage());
    }

    @Test
    void aClassifierWithoutItsHeadIsRefused() throws IOException {
        Path folder = dir.resolve("headless");
        Files.createDirectories(folder);
        Files.copy(golden("reward_gpt2").resolve("config.json"), folder.resolve("config.json"));
        Files.copy(golden("reward_gpt2").resolve("model.safetensors"), folder.resolve("model.safetensors"));
        ModelFolders.rewrite(folder, w -> {
            w.remove("score.weight");
            return w;
        });
        var e = assertThrows(IllegalArgumentException.class, () -> ScoreModels.load(folder, LoadOptions.defaults(), null, 0));
        assertTrue(e.getMessage().contains("score.weight"), e.getMessage());
    }
}
