package dev.align4j.io.hf;

import dev.align4j.io.safetensors.DType;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.align4j.io.hf.ModelFolders.assertClose;
import static dev.align4j.io.hf.ModelFolders.assertSameWeights;
import static dev.align4j.io.hf.ModelFolders.golden;
import static dev.align4j.io.hf.ModelFolders.logProbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models loaded with their matrices frozen in BF16 ({@link LoadOptions#frozenBf16()}).
 *
 * <p>Log-probs are compared for exact equality with the same checkpoint loaded in float32: BF16 widens
 * exactly, the BF16 kernels are bit-identical to the float32 ones on the widened weights (blocks cut C,
 * never the sum), and every other op sees the same float32 inputs. Against transformers' golden, the
 * tolerance is the goldens' 1e-4.
 */
class FrozenBf16LoadTest {
    @TempDir
    Path dir;

    private static final List<int[]> SEQUENCES = List.of(ids(1, 13), ids(2, 9), ids(3, 4));

    private static int[] ids(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(61);
        return ids;
    }

    static List<CausalLM> models() {
        return HfModelsRoundTripTest.models().toList();
    }

    @ParameterizedTest
    @MethodSource("models")
    void aBf16CheckpointLoadedFrozenGivesExactlyTheLogProbsOfItsFloat32Load(CausalLM model) throws IOException {
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.BF16));
        CausalLM float32 = HfModels.load(dir).model(), frozen = HfModels.load(dir, LoadOptions.frozenBf16()).model();
        assertSameWeights(float32.parameters(), frozen.parameters());
        frozen.parameters().forEach((name, t) -> {
            assertEquals(t.rank() >= 2, t.isBf16(), name + ": matrices BF16, norms and biases float32");
            assertFalse(t.requiresGrad(), name);
            if (t.isBf16()) assertTrue(t.bf16Storage().isMapped(), name + ": read in place from the mapped file");
        });
        List<double[]> expected = logProbs(float32, SEQUENCES), actual = logProbs(frozen, SEQUENCES);
        for (int s = 0; s < expected.size(); s++) assertArrayEquals(expected.get(s), actual.get(s), model.modelType());
    }

    /**
     * What LoRA needs: gradients reach the trainable tensors (here the norms and biases) through the frozen
     * BF16 matrices, bit-identical to the gradients through the same matrices in float32.
     */
    @ParameterizedTest
    @MethodSource("models")
    void gradientsFlowThroughFrozenBf16MatricesAsThroughTheirFloat32Twins(CausalLM model) throws IOException {
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.BF16));
        CausalLM float32 = HfModels.load(dir).model(), frozen = HfModels.load(dir, LoadOptions.frozenBf16()).model();
        PackedBatch batch = PackedBatch.of(SEQUENCES);
        for (CausalLM m : List.of(float32, frozen)) {
            m.parameters().values().forEach(t -> t.requiresGrad(t.rank() == 1));
            Elementwise.neg(Reductions.sum(m.tokenLogProbs(batch, batch.nextTokenLabels()))).backward();
        }
        float32.parameters().forEach((name, t) -> {
            if (t.rank() != 1) return;
            assertArrayEquals(t.grad().toArray(), frozen.parameters().get(name).grad().toArray(), name);
        });
    }

    @Test
    void anF32CheckpointLoadedFrozenHoldsTheWeightsRoundedToNearestEven() throws IOException {
        CausalLM model = models().get(1);
        HfModels.save(model, dir, SaveOptions.defaults());
        Map<String, Tensor> frozen = HfModels.load(dir, LoadOptions.frozenBf16()).model().parameters();
        Map<String, Tensor> rounded = ModelFolders.bf16(model.parameters());
        model.parameters().forEach((name, t) -> {
            Tensor expected = t.rank() >= 2 ? rounded.get(name) : t;
            assertArrayEquals(expected.toArray(), frozen.get(name).toArray(), name);
            if (t.rank() >= 2) assertFalse(frozen.get(name).bf16Storage().isNative(), name + ": converted on the heap");
        });
    }

    @Test
    void anF16CheckpointLoadedFrozenIsRoundedFromItsF16Values() throws IOException {
        CausalLM model = models().get(2);
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.F16));
        Map<String, Tensor> widened = HfModels.load(dir).model().parameters();
        Map<String, Tensor> frozen = HfModels.load(dir, LoadOptions.frozenBf16()).model().parameters();
        Map<String, Tensor> rounded = ModelFolders.bf16(widened);
        widened.forEach((name, t) ->
                assertArrayEquals((t.rank() >= 2 ? rounded.get(name) : t).toArray(), frozen.get(name).toArray(), name));
    }

    @Test
    void aShardedBf16CheckpointLoadsFrozen() throws IOException {
        CausalLM model = models().get(3);
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.BF16).withMaxShardBytes(8192));
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
        CausalLM frozen = HfModels.load(dir, LoadOptions.frozenBf16()).model();
        assertSameWeights(HfModels.load(dir).model().parameters(), frozen.parameters());
        assertEquals(SEQUENCES.size(), logProbs(frozen, SEQUENCES).size());
    }

    @Test
    void aFrozenModelSavesBackOverItsOwnCheckpoint() throws IOException {
        CausalLM model = models().get(0);
        HfModels.save(model, dir, SaveOptions.defaults().withDtype(DType.BF16));
        byte[] before = Files.readAllBytes(dir.resolve("model.safetensors"));
        LoadedModel frozen = HfModels.load(dir, LoadOptions.frozenBf16());
        HfModels.save(frozen, dir, SaveOptions.defaults().withDtype(DType.BF16)); // replaced by a rename: the mapping keeps the old file
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertSameWeights(HfModels.load(dir).model().parameters(), frozen.model().parameters());
        Path f32 = dir.resolve("f32");
        HfModels.save(frozen, f32, SaveOptions.defaults());
        assertSameWeights(HfModels.load(dir).model().parameters(), HfModels.load(f32).model().parameters());
    }

    @Test
    void frozenMatricesCannotBeMadeTrainable() throws IOException {
        HfModels.save(models().get(1), dir, SaveOptions.defaults().withDtype(DType.BF16));
        Tensor q = HfModels.load(dir, LoadOptions.frozenBf16()).model().parameters().get("model.layers.0.self_attn.q_proj.weight");
        var e = assertThrows(IllegalArgumentException.class, () -> q.requiresGrad(true));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj.weight") && e.getMessage().contains("float32"),
                e.getMessage());
    }

    @Test
    void theBf16GoldenLoadedFrozenMatchesTransformers() throws IOException {
        Path folder = golden("llama_bf16");
        CausalLM frozen = HfModels.load(folder, LoadOptions.frozenBf16()).model();
        assertTrue(frozen.parameters().get("model.embed_tokens.weight").isBf16());
        var expected = ModelFolders.Golden.read(folder);
        assertClose(expected.logprobs(), logProbs(frozen, expected.sequences()), 1e-4, "llama_bf16 frozen");
    }
}
