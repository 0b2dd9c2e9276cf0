package dev.align4j.models.lora;

import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoraModelTest {
    static final PackedBatch BATCH = PackedBatch.of(List.of(new int[] {1, 5, 9, 2, 7}, new int[] {4, 8, 3}));

    static CausalLM model(String type) {
        return type.equals("gpt2") ? Gpt2Model.random(new Gpt2Config(41, 32, 24, 2, 4, 96, 1e-5, "gelu_new"), 3, 0.3)
                : LlamaModel.random(LlamaConfig.tiny(type, 43, 32, 2, 4, 2), 4, 0.3);
    }

    static float[] logits(CausalLM m) {
        try (var g = Autograd.noGrad()) {
            return m.logits(BATCH).toArray();
        }
    }

    /** Random B, so the adapters change the output (a trained adapter, in effect). */
    static void randomizeB(LoraModel lora, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (var e : lora.trainableParameters().entrySet()) {
            if (!e.getKey().endsWith("lora_B.weight")) continue;
            float[] b = e.getValue().storage();
            for (int i = 0; i < b.length; i++) b[i] = (float) (0.2 * r.nextGaussian());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen3"})
    void freshAdaptersLeaveTheOutputsExactlyTheBase(String type) {
        CausalLM m = model(type);
        float[] base = logits(m);
        LoraModel lora = LoraModel.attach(m, new LoraConfig(4, 8, 0, List.of("all-linear"), false, List.of()), 1);
        assertEquals(m.linearLayers().size(), lora.adaptedLayers().size());
        assertArrayEquals(base, logits(m));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void gradientsReachOnlyTheAdaptersAndTheModulesToSave(String type) {
        CausalLM m = model(type);
        List<String> targets = type.equals("gpt2") ? List.of("c_attn", "c_fc") : List.of("q_proj", "v_proj", "down_proj");
        String save = type.equals("gpt2") ? "transformer.ln_f" : "lm_head";
        LoraModel lora = LoraModel.attach(m, new LoraConfig(3, 6, 0, targets, false, List.of(save)), 2);
        randomizeB(lora, 5);
        Elementwise.neg(Reductions.sum(m.tokenLogProbs(BATCH, BATCH.nextTokenLabels()))).backward();
        for (var e : m.parameters().entrySet()) {
            boolean saved = e.getKey().startsWith(save + ".");
            assertEquals(saved, e.getValue().gradOrNull() != null, e.getKey());
        }
        for (var e : lora.trainableParameters().entrySet()) {
            assertTrue(e.getValue().gradOrNull() != null, e.getKey());
            assertTrue(e.getKey().startsWith(LoraModel.PREFIX), e.getKey());
        }
        long adapters = lora.trainableParameters().keySet().stream().filter(k -> k.contains(".lora_")).count();
        assertEquals(2 * 2 * targets.size(), adapters, "A and B per targeted layer of 2 layers");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void mergedWeightsGiveTheAdaptersOutputsAndDisablingGivesTheBase(String type) throws Exception {
        CausalLM m = model(type);
        float[] base = logits(m);
        LoraModel lora = LoraModel.attach(m, new LoraConfig(4, 16, 0.1, List.of("all-linear"), true, List.of()), 3);
        randomizeB(lora, 6);
        float[] adapted = logits(m);
        assertFalse(java.util.Arrays.equals(base, adapted));
        try (var off = lora.disabled()) {
            assertArrayEquals(base, logits(m), "adapters off: the base model");
        }
        assertArrayEquals(adapted, logits(m));
        lora.mergeAndUnload();
        assertTrue(m.linearLayers().values().stream().allMatch(l -> l.adapter() == null));
        float[] merged = logits(m);
        for (int i = 0; i < merged.length; i++) assertEquals(adapted[i], merged[i], 1e-5, "logit " + i);
    }

    @Test
    void scaleFollowsLoraAlphaOverROrItsSquareRoot() {
        assertEquals(2f, new LoraConfig(8, 16, 0, List.of("q_proj"), false, List.of()).scale());
        assertEquals((float) (16 / Math.sqrt(8)), new LoraConfig(8, 16, 0, List.of("q_proj"), true, List.of()).scale());
        assertTrue(new LoraConfig(8, 16, 0, List.of("q_proj"), false, List.of()).targets("model.layers.3.self_attn.q_proj"));
        assertFalse(new LoraConfig(8, 16, 0, List.of("q_proj"), false, List.of()).targets("model.layers.3.self_attn.o_proj"));
    }

    @Test
    void badTargetsAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LoraModel.attach(model("llama"), new LoraConfig(2, 4, 0, List.of("c_attn"), false, List.of()), 1));
        assertTrue(e.getMessage().contains("match no linear layer") && e.getMessage().contains(
                "[q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 4, 0, List.of("q_proj"), false, null));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(2, 4, 1, List.of("q_proj"), false, null));
    }

    /** Dropout draws its mask from the seed: the same seed gives the same loss, with grad recording on. */
    @Test
    void dropoutIsSeeded() {
        CausalLM m = model("llama");
        LoraModel lora = LoraModel.attach(m, new LoraConfig(4, 8, 0.5, List.of("all-linear"), false, List.of()), 3);
        randomizeB(lora, 7);
        float[] eval = m.tokenLogProbs(BATCH, BATCH.nextTokenLabels()).toArray();
        lora.setTraining(true);
        float[] first = null;
        for (int run = 0; run < 3; run++) {
            lora.setDropoutSeed(run == 2 ? 99 : 11);
            float[] loss = m.tokenLogProbs(BATCH, BATCH.nextTokenLabels()).toArray();
            if (first == null) first = loss;
            else if (run == 1) assertArrayEquals(first, loss);
            else assertFalse(java.util.Arrays.equals(first, loss));
        }
        assertNull(m.parameters().values().iterator().next().gradOrNull());
        lora.setTraining(false);
        assertArrayEquals(eval, m.tokenLogProbs(BATCH, BATCH.nextTokenLabels()).toArray(), "eval mode: no dropout");
    }

    /** Dropout under gradient checkpointing: the recomputed layer draws the same masks, so loss and gradients match. */
    @Test
    void dropoutAgreesWithGradientCheckpointing() {
        float[][] loss = new float[2][], gradA = new float[2][];
        for (int pass = 0; pass < 2; pass++) {
            CausalLM m = model("llama");
            LoraModel lora = LoraModel.attach(m, new LoraConfig(4, 8, 0.5, List.of("all-linear"), false, List.of()), 3);
            randomizeB(lora, 7);
            lora.setTraining(true);
            lora.setDropoutSeed(5);
            m.gradientCheckpointing(pass == 1);
            Tensor l = Elementwise.neg(Reductions.sum(m.tokenLogProbs(BATCH, BATCH.nextTokenLabels())));
            loss[pass] = l.toArray();
            l.backward();
            gradA[pass] = lora.trainableParameters().values().iterator().next().grad().toArray();
        }
        assertArrayEquals(loss[0], loss[1]);
        assertArrayEquals(gradA[0], gradA[1]);
    }
}
