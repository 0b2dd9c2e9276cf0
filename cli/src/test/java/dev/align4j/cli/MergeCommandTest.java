package dev.align4j.cli;

import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.models.CausalLM;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.gpt2.Gpt2Config;
import dev.align4j.models.gpt2.Gpt2Model;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code align4j merge}: the merged plain model gives the adapter model's outputs. */
class MergeCommandTest {

    @Test
    void theMergedFolderGivesTheAdaptedOutputs(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base"), adapter = dir.resolve("adapter"), merged = dir.resolve("merged");
        HfModels.save(Gpt2Model.random(new Gpt2Config(61, 32, 24, 2, 4, 96, 1e-5, "gelu_new"), 5, 0.3), base, SaveOptions.defaults());
        CausalLM withAdapter = HfModels.load(base).model();
        LoraModel lora = LoraModel.attach(withAdapter, new LoraConfig(4, 8, 0, List.of("c_attn", "c_proj", "c_fc"), false, List.of()), 1);
        SplittableRandom r = new SplittableRandom(3);
        for (var e : lora.trainableParameters().entrySet()) {
            if (!e.getKey().endsWith("lora_B.weight")) continue;
            float[] w = e.getValue().storage();
            for (int i = 0; i < w.length; i++) w[i] = (float) (0.3 * r.nextGaussian());
        }
        PeftAdapters.save(lora, adapter, base.toString());

        Object[] out = MainTest.run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--output", merged.toString());
        assertEquals(0, out[0], (String) out[2]);
        assertFalse(Files.exists(merged.resolve("adapter_config.json")));
        PackedBatch batch = PackedBatch.of(List.of(new int[] {1, 7, 30, 2, 9}, new int[] {60, 4}));
        try (var g = Autograd.noGrad()) {
            float[] expected = withAdapter.logits(batch).toArray(), got = HfModels.load(merged).model().logits(batch).toArray();
            float[] plain = HfModels.load(base).model().logits(batch).toArray();
            double max = 0, changed = 0;
            for (int i = 0; i < got.length; i++) {
                max = Math.max(max, Math.abs(expected[i] - got[i]));
                changed = Math.max(changed, Math.abs(expected[i] - plain[i]));
            }
            assertTrue(max <= 1e-5, "merged vs adapter: " + max);
            assertTrue(changed > 1e-2, "the adapter matters: " + changed);
        }
        Object[] bad = MainTest.run("merge", "--model", base.toString(), "--adapter", dir.resolve("none").toString(), "--output",
                dir.resolve("x").toString());
        assertEquals(1, bad[0]);
        assertTrue(((String) bad[2]).contains("adapter_config.json"), (String) bad[2]);
    }
}
