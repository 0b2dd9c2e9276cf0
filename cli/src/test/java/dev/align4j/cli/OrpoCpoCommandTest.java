package dev.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.hf.HfModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code align4j orpo}, {@code cpo} and {@code simpo} end to end on DpoCommandTest's tiny model
 * and pairs: TRL's metric names, the logged loss equal to its formula from the logged metrics at a
 * batch of one pair, the loss falling, a loadable output folder; help and bad values.
 */
class OrpoCpoCommandTest {

    static List<String> args(Path dir, String command, String out, String... more) throws IOException {
        List<String> a = new ArrayList<>(DpoCommandTest.args(dir, DpoCommandTest.tinyModel(dir, "model-" + out, 7), out, more));
        a.set(0, command);
        return a;
    }

    static List<JsonNode> train(Path dir, String command, String out, String... more) throws IOException {
        Object[] r = MainTest.run(args(dir, command, out, more).toArray(String[]::new));
        assertEquals(0, r[0], (String) r[2]);
        return SftCommandTest.metrics(dir.resolve(out));
    }

    static double softplus(double x) {
        return Math.log1p(Math.exp(x));
    }

    /** The mean loss of the first and of the last third of the run: the loss falls. */
    static void lossFalls(List<JsonNode> m) {
        int k = m.size() / 3;
        double first = m.subList(0, k).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        double last = m.subList(m.size() - k, m.size()).stream().mapToDouble(j -> j.get("loss").asDouble()).average().orElseThrow();
        assertTrue(last < first, "the loss falls: " + first + " → " + last);
    }

    /** ORPO (Hong et al. 2024, Eq. 6): loss = nll_loss − β·log_odds_ratio, the latter TRL's log σ(log odds(yc) − log odds(yr)). */
    @Test
    void orpoLogsTrlsMetricsAndLearns(@TempDir Path dir) throws IOException {
        List<JsonNode> one = train(dir, "orpo", "one", "--max_steps", "2", "--per_device_train_batch_size", "1", "--beta", "0.5");
        for (JsonNode j : one) {
            for (String key : List.of("nll_loss", "log_odds_ratio", "log_odds_chosen", "rewards/chosen", "rewards/margins",
                    "rewards/accuracies", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected")) {
                assertTrue(j.has(key), key + " in " + j);
            }
            assertEquals(j.get("nll_loss").asDouble() - 0.5 * j.get("log_odds_ratio").asDouble(), j.get("loss").asDouble(), 1e-4, j.toString());
        }
        lossFalls(train(dir, "orpo", "out", "--max_steps", "12"));
        assertFalse(HfModels.load(dir.resolve("out")).model().parameters().isEmpty(), "the output folder is a model folder");
    }

    /** CPO's default sigmoid loss (Xu et al. 2024, Eq. 3 with the NLL of Eq. 5): loss = softplus(−margin) + nll_loss. */
    @Test
    void cpoLogsTrlsMetricsAndLearns(@TempDir Path dir) throws IOException {
        List<JsonNode> one = train(dir, "cpo", "one", "--max_steps", "2", "--per_device_train_batch_size", "1");
        for (JsonNode j : one) {
            assertEquals(softplus(-j.get("rewards/margins").asDouble()) + j.get("nll_loss").asDouble(), j.get("loss").asDouble(), 1e-4,
                    j.toString());
        }
        lossFalls(train(dir, "cpo", "out", "--max_steps", "12"));
    }

    /** SimPO (Meng et al. 2024, Eq. 6): no NLL term, loss = softplus(γ − margin) with the margin on average log-probs. */
    @Test
    void simpoIsCpoWithTheSimpoLossAndNoNll(@TempDir Path dir) throws IOException {
        List<JsonNode> one = train(dir, "simpo", "one", "--max_steps", "2", "--per_device_train_batch_size", "1");
        for (JsonNode j : one) {
            assertEquals(softplus(0.5 - j.get("rewards/margins").asDouble()), j.get("loss").asDouble(), 1e-4, j.toString());
        }
        lossFalls(train(dir, "simpo", "out", "--max_steps", "12", "--beta", "2.0", "--simpo_gamma", "1.0"));
        assertTrue(Files.isRegularFile(dir.resolve("out/model.safetensors")));
    }

    @Test
    void helpShowsEachMethodsDefaultsAndBadValuesAreNamed(@TempDir Path dir) throws IOException {
        String simpo = (String) MainTest.run("simpo", "--help")[1];
        assertTrue(simpo.matches("(?s).*loss_type\\s+\"simpo\".*") && simpo.matches("(?s).*cpo_alpha\\s+0\\.0.*"), simpo);
        String cpo = (String) MainTest.run("cpo", "--help")[1];
        assertTrue(cpo.matches("(?s).*loss_type\\s+\"sigmoid\".*") && cpo.matches("(?s).*simpo_gamma\\s+0\\.5.*"), cpo);
        String orpo = (String) MainTest.run("orpo", "--help")[1];
        assertTrue(orpo.matches("(?s).*max_prompt_length\\s+512.*") && orpo.contains("beta"), orpo);

        Object[] r = MainTest.run(args(dir, "cpo", "bad", "--loss_type", "simp").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("did you mean simpo"), (String) r[2]);
        r = MainTest.run(args(dir, "orpo", "bad2", "--bata", "0.1").toArray(String[]::new));
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("did you mean beta"), (String) r[2]);
    }
}
