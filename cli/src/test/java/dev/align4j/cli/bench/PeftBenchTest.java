package dev.align4j.cli.bench;

import dev.align4j.cli.Main;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeftBenchTest {

    @Test
    void aTinyRunPrintsOneRowPerBaseAndTheNf4Line() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "peft", "--hidden", "64", "--intermediate", "96", "--layers", "1",
                    "--heads", "4", "--kv-heads", "2", "--vocab", "300", "--sequences", "2", "--length", "8", "--steps", "1",
                    "--headroom-mb", "160", "--warmup-seconds", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        for (String base : new String[] {"f32", "bf16", "nf4"}) {
            Matcher row = Pattern.compile("\\n" + base + " +(\\d+\\.\\d) +(\\d+) .* (\\d+\\.\\d+) → (\\d+\\.\\d+)").matcher(out);
            assertTrue(row.find(), base + " row in\n" + out);
        }
        assertTrue(out.matches("(?s).*\\npeft_nf4_peak_rss_mb \\d+ \\(target < 1500\\)\\n.*"), out);
    }

    /** The three bases see the same values: BF16 is their rounding, NF4's linear layers their quantisation, the rest as f32. */
    @Test
    void theBasesAreBuiltFromTheSameValues() {
        var c = PeftStepProbe.config(64, 96, 1, 4, 2, 300);
        LlamaModel f32 = PeftStepProbe.build(c, "f32"), bf16 = PeftStepProbe.build(c, "bf16"), nf4 = PeftStepProbe.build(c, "nf4");
        f32.parameters().forEach((name, t) -> {
            Tensor b = bf16.parameters().get(name), q = nf4.parameters().get(name);
            if (t.rank() < 2) {
                assertArrayEquals(t.toArray(), b.toArray(), name);
                assertArrayEquals(t.toArray(), q.toArray(), name);
                return;
            }
            assertTrue(b.isBf16(), name);
            float[] v = t.toArray(), r = b.toArray();
            for (int i = 0; i < v.length; i++) assertEquals(v[i], r[i], Math.abs(v[i]) / 256, name + " element " + i);
            if (name.equals("model.embed_tokens.weight")) assertArrayEquals(v, q.toArray(), "nf4 keeps the embedding float32");
            else assertArrayEquals(t.quantize4Bit(dev.align4j.tensor.QuantType.NF4, true).toArray(), q.toArray(), name);
        });
    }
}
