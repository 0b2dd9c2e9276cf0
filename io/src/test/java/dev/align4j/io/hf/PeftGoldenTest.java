package dev.align4j.io.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.io.JsonLines;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEFT's own adapters (dev/make_golden_lora.py) load here and give PEFT's log-probs; ours round-trip in PEFT's layout. */
class PeftGoldenTest {

    static Path adapter(String name) {
        try {
            return Path.of(PeftGoldenTest.class.getResource("/golden/" + name + "/adapter_config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void peftAdaptersGivePeftsLogProbs(String base) throws IOException {
        CausalLM model = HfModels.load(ModelFolders.golden(base)).model();
        Path folder = adapter("lora_" + base);
        LoraModel lora = PeftAdapters.load(model, folder);
        ModelFolders.Golden golden = ModelFolders.Golden.read(folder);
        List<double[]> got;
        try (var g = Autograd.noGrad()) {
            got = ModelFolders.logProbs(model, golden.sequences());
        }
        double max = ModelFolders.assertClose(golden.logprobs(), got, 1e-4, "lora_" + base);
        System.out.printf("lora_%s: max |Δ log-prob| vs PEFT = %.2e%n", base, max);
        List<double[]> baseLogProbs = ModelFolders.Golden.read(ModelFolders.golden(base)).logprobs();
        assertTrue(Math.abs(baseLogProbs.getFirst()[0] - got.getFirst()[0]) > 1e-3, "the adapter changes the outputs");
        if (lora.config().modulesToSave().isEmpty()) { // modules to save are trained in place: switching adapters off keeps them
            try (var off = lora.disabled(); var g = Autograd.noGrad()) {
                ModelFolders.assertClose(baseLogProbs, ModelFolders.logProbs(model, golden.sequences()), 1e-4, base + " with the adapter off");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Saved by align4j: the same tensor names and config fields as PEFT's file, and a reload gives the same tensors. */
    @Test
    void oursRoundTripsInPeftsLayout(@TempDir Path dir) throws IOException {
        CausalLM model = HfModels.load(ModelFolders.golden("llama")).model();
        LoraModel lora = PeftAdapters.load(model, adapter("lora_llama"));
        PeftAdapters.save(lora, dir, "io/src/test/resources/golden/llama");
        JsonNode ours = JsonLines.MAPPER.readTree(dir.resolve(PeftAdapters.CONFIG).toFile());
        JsonNode peft = JsonLines.MAPPER.readTree(adapter("lora_llama").resolve(PeftAdapters.CONFIG).toFile());
        for (String field : new String[] {"peft_type", "r", "target_modules", "modules_to_save", "use_rslora", "bias", "task_type",
                "lora_dropout", "base_model_name_or_path", "fan_in_fan_out", "use_dora"}) {
            assertEquals(peft.get(field), ours.get(field), field);
        }
        assertEquals(peft.get("lora_alpha").asDouble(), ours.get("lora_alpha").asDouble());
        CausalLM again = HfModels.load(ModelFolders.golden("llama")).model();
        LoraModel reloaded = PeftAdapters.load(again, dir);
        assertEquals(lora.trainableParameters().keySet(), reloaded.trainableParameters().keySet());
        for (var e : lora.trainableParameters().entrySet()) {
            Tensor t = reloaded.trainableParameters().get(e.getKey());
            assertArrayEquals(e.getValue().toArray(), t.toArray(), e.getKey());
        }
    }

    @Test
    void foldersPeftWritesThatWeCannotHonourAreRejectedByField(@TempDir Path dir) throws IOException {
        CausalLM model = HfModels.load(ModelFolders.golden("llama")).model();
        String config = Files.readString(adapter("lora_llama").resolve(PeftAdapters.CONFIG));
        Files.copy(adapter("lora_llama").resolve(PeftAdapters.WEIGHTS), dir.resolve(PeftAdapters.WEIGHTS));
        for (String[] bad : new String[][] {{"\"use_dora\": false", "\"use_dora\": true", "use_dora"},
                {"\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "peft_type"}, {"\"bias\": \"none\"", "\"bias\": \"all\"", "bias"},
                {"\"r\": 4", "\"r\": 8", "lora_A.weight"}}) {
            Files.writeString(dir.resolve(PeftAdapters.CONFIG), config.replace(bad[0], bad[1]));
            var e = assertThrows(IllegalArgumentException.class, () -> PeftAdapters.load(HfModels.load(ModelFolders.golden("llama")).model(), dir));
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
        }
    }
}
