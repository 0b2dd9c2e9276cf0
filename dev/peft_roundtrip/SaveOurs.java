/** Writes align4j LoRA adapters on the golden llama and gpt2 bases to /tmp/ours_<base>, with align4j's log-probs, for check.py to load in PEFT. */
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.models.*;
import dev.align4j.models.lora.*;
import dev.align4j.tensor.*;
import java.nio.file.*;
import java.util.*;
public class SaveOurs {
    public static void main(String[] a) throws Exception {
        for (String base : new String[] {"llama", "gpt2"}) {
            Path folder = Path.of("./io/src/test/resources/golden/" + base);
            CausalLM m = HfModels.load(folder).model();
            LoraModel lora = LoraModel.attach(m, new LoraConfig(3, 6, 0, base.equals("gpt2") ? List.of("c_attn", "c_proj") : List.of("all-linear"), base.equals("gpt2"), List.of()), 7);
            SplittableRandom r = new SplittableRandom(9);
            for (var e : lora.trainableParameters().entrySet()) if (e.getKey().endsWith("lora_B.weight")) { float[] w = e.getValue().storage(); for (int i = 0; i < w.length; i++) w[i] = (float) (0.3 * r.nextGaussian()); }
            Path out = Path.of("/tmp/ours_" + base);
            PeftAdapters.save(lora, out, folder.toString());
            int[] ids = {5, 27, 58, 92, 76, 58, 0, 95, 87, 22, 53};
            PackedBatch b = PackedBatch.of(ids);
            float[] lp;
            try (var g = Autograd.noGrad()) { lp = m.tokenLogProbs(b, b.nextTokenLabels()).toArray(); }
            Files.writeString(out.resolve("ours_logprobs.txt"), Arrays.toString(Arrays.copyOf(lp, ids.length - 1)));
        }
    }
}
