package dev.align4j.models;

import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Checkpointed layers give the same loss and the same gradients, bit for bit, as layers that keep their
 * activations; with LoRA on a frozen base, every layer is checkpointed, the first included (its input
 * and base weights need no gradient, its adapters do).
 */
class GradientCheckpointingTest {

    static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(53, 32, 24, 3, 4, 96, 1e-5, "gelu_new"), 3, 0.3)
                : LlamaModel.random(LlamaConfig.tiny(type, 47, 32, 3, 4, 2), 4, 0.3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3"})
    void gradientsAreBitIdenticalWithAndWithoutCheckpointing(String type) {
        PackedBatch batch = PackedBatch.of(List.of(new int[] {1, 5, 9, 2, 7, 3}, new int[] {4, 4, 8}, new int[] {11, 0, 6, 2}));
        float[][] losses = new float[2][];
        Map<String, float[]>[] grads = new Map[2];
        for (int pass = 0; pass < 2; pass++) {
            CausalLM m = model(type);
            for (Tensor p : m.parameters().values()) p.requiresGrad(true);
            m.gradientCheckpointing(pass == 1);
            Tensor loss = Elementwise.neg(Reductions.sum(m.tokenLogProbs(batch, batch.nextTokenLabels())));
            losses[pass] = loss.toArray();
            loss.backward();
            grads[pass] = new java.util.LinkedHashMap<>();
            for (var e : m.parameters().entrySet()) grads[pass].put(e.getKey(), e.getValue().grad().toArray());
        }
        assertArrayEquals(losses[0], losses[1]);
        assertEquals(grads[0].keySet(), grads[1].keySet());
        for (String name : grads[0].keySet()) {
            assertNotNull(grads[1].get(name));
            assertArrayEquals(grads[0].get(name), grads[1].get(name), type + " " + name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "qwen2"})
    void loraAdaptersOnAFrozenBaseAreCheckpointedFromTheFirstLayerWithTheSameGradients(String type) {
        PackedBatch batch = PackedBatch.of(List.of(new int[] {1, 5, 9, 2, 7, 3}, new int[] {4, 4, 8}));
        float[][] grads = new float[2][];
        for (int pass = 0; pass < 2; pass++) {
            CausalLM m = model(type);
            dev.align4j.models.lora.LoraModel.attach(m, new dev.align4j.models.lora.LoraConfig(2, 4, 0, List.of("all-linear"),
                    false, List.of()), 1);
            Linear first = m.linearLayers().values().iterator().next(); // layer 0's first projection
            var a = first.adapter();
            int[] calls = {0};
            first.attach(new dev.align4j.models.lora.LoraAdapter(a.a(), Tensor.randn(9, a.b().shape()).requiresGrad(true), a.scale(),
                    0f, 0, () -> true, () -> false, () -> calls[0]++));
            m.gradientCheckpointing(pass == 1);
            Elementwise.neg(Reductions.sum(m.tokenLogProbs(batch, batch.nextTokenLabels()))).backward();
            assertEquals(pass == 1 ? 2 : 1, calls[0], "layer 0 runs again during backward only when checkpointed");
            grads[pass] = first.adapter().a().grad().toArray();
        }
        assertArrayEquals(grads[0], grads[1], "the first adapter's A gets the same gradient");
    }
}
