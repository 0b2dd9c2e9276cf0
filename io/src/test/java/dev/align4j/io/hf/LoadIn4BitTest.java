package dev.align4j.io.hf;

import dev.align4j.io.safetensors.DType;
import dev.align4j.models.CausalLM;
import dev.align4j.models.Quantization;
import dev.align4j.tensor.QuantType;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.align4j.io.hf.ModelFolders.logProbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models loaded with {@code load_in_4bit}: exactly the linear layers' weights become 4-bit, quantised
 * from their stored values; the model computes exactly as the same checkpoint loaded in float32 with
 * those weights quantised afterwards ({@link Quantization#quantizeLayers}); a BF16 checkpoint
 * quantises from its BF16 values; saving such a model is refused with the remedy.
 */
class LoadIn4BitTest {
    @TempDir
    Path dir;

    private static final Quantization NF4_DQ = new Quantization(QuantType.NF4, true);
    private static final List<int[]> SEQUENCES = List.of(new int[] {3, 17, 40, 2, 9}, new int[] {60, 1, 5});

    static List<CausalLM> models() {
        return HfModelsRoundTripTest.models().toList();
    }

    @ParameterizedTest
    @MethodSource("models")
    void onlyTheLinearLayersAreQuantisedAndTheModelComputesAsIfQuantisedAfterLoading(CausalLM model) throws IOException {
        HfModels.save(model, dir, SaveOptions.defaults());
        CausalLM q4 = HfModels.load(dir, LoadOptions.defaults().withLoadIn4Bit(NF4_DQ)).model();
        HfArchitecture arch = HfArchitecture.of(q4);
        Set<String> linear = new java.util.HashSet<>();
        for (String p : arch.linearLayerPaths()) linear.add(p + ".weight");
        q4.parameters().forEach((name, t) -> assertEquals(linear.contains(name), t.is4Bit(), name));
        assertEquals(List.copyOf(q4.linearLayers().keySet()), arch.linearLayerPaths());

        Map<String, Tensor> weights = new LinkedHashMap<>(HfModels.load(dir).model().parameters());
        NF4_DQ.quantizeLayers(weights, arch.linearLayerPaths());
        CausalLM expected = arch.newModel(weights);
        List<double[]> a = logProbs(expected, SEQUENCES), b = logProbs(q4, SEQUENCES);
        for (int s = 0; s < a.size(); s++) assertArrayEquals(a.get(s), b.get(s), model.modelType());
    }

    @Test
    void aBf16CheckpointQuantisesFromItsBf16ValuesAndKeepsTheOtherMatricesFrozen() throws IOException {
        CausalLM model = models().get(2);
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.BF16));
        CausalLM q4 = HfModels.load(dir, LoadOptions.frozenBf16().withLoadIn4Bit(new Quantization(QuantType.FP4, false))).model();
        CausalLM bf16 = HfModels.load(dir, LoadOptions.frozenBf16()).model();
        q4.parameters().forEach((name, t) -> {
            Tensor from = bf16.parameters().get(name);
            if (t.is4Bit()) {
                assertArrayEquals(from.toFloat32().quantize4Bit(QuantType.FP4, false).toArray(), t.toArray(), name);
            } else {
                assertEquals(from.isBf16(), t.isBf16(), name + ": stored as the matrices option says");
            }
        });
        assertTrue(q4.parameters().get("model.embed_tokens.weight").isBf16());
    }

    @Test
    void aModelWith4BitWeightsIsNotSavedAndTheMessageSaysWhatToDo() throws IOException {
        HfModels.save(models().getFirst(), dir.resolve("base"), SaveOptions.defaults());
        CausalLM q4 = HfModels.load(dir.resolve("base"), LoadOptions.defaults().withLoadIn4Bit(NF4_DQ)).model();
        var e = assertThrows(IllegalArgumentException.class, () -> HfModels.save(q4, dir.resolve("out"), SaveOptions.defaults()));
        assertTrue(e.getMessage().contains("transformer.h.0.attn.c_attn.weight") && e.getMessage().contains("4-bit")
                && e.getMessage().contains("adapter"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out")), "nothing is written");
    }
}
