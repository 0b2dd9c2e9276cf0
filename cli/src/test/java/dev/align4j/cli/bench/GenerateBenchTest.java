package dev.align4j.cli.bench;

import dev.align4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerateBenchTest {

    @Test
    void aTinyRunPrintsEveryFigureWithAgreeingTokens() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "generate", "--n-layer", "2", "--n-embd", "64", "--n-head", "4",
                    "--vocab-size", "300", "--prefill-prompts", "2", "--prefill-length", "12", "--prompt-length", "5",
                    "--new-tokens", "6", "--batch", "5", "--copy-mb", "4", "--runs", "1", "--warmup", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        for (String run : new String[] {"prefill", "decode batch 1", "decode batch 5", "memory copy", "memory read"}) {
            assertTrue(out.contains(run), run + " missing:\n" + out);
        }
        assertTrue(out.contains("greedy tokens float32 = frozen bf16: yes; a prompt alone = the same prompt inside batch 5: yes"), out);
        // a tiny run's decode time is the difference of two runs of a few milliseconds: not positive when noise wins, then NaN, never negative
        String ratio = "(\\d+\\.\\d+|NaN)";
        assertTrue(out.matches("(?s).*\\ndecode_bandwidth_fraction float32 " + ratio + " bf16 " + ratio + " \\(target ≥ 0\\.7\\)\\n.*"), out);
        assertTrue(out.matches("(?s).*\\ndecode_batch5_vs_batch1 float32 " + ratio + " bf16 " + ratio + " \\(target ≥ 8\\)\\n.*"), out);
    }

    /** The fastest round skips rounds whose decode rate is NaN (noise beat the decode): one NaN made the whole line NaN. */
    @Test
    void theFastestRoundIsTheLargestRateThatIsANumber() {
        assertEquals(5.0, GenerateBench.max(new double[] {Double.NaN, 3, 5, Double.NaN}));
        assertTrue(Double.isNaN(GenerateBench.max(new double[] {Double.NaN})));
    }
}
