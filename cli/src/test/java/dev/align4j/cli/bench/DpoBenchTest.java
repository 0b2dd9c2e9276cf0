package dev.align4j.cli.bench;

import dev.align4j.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DpoBenchTest {

    /**
     * A tiny run prints the tokens a pair with and without prefix sharing, the SFT, DPO and
     * unshared-DPO rows, the sharing speedup, and ends with dpo_vs_sft, their tokens/s ratio.
     */
    @Test
    void aTinyRunPrintsBothRowsAndTheRatio() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "dpo", "--n-layer", "2", "--n-embd", "64", "--n-head", "4", "--vocab-size", "300",
                    "--pairs", "2", "--length", "32", "--steps", "1", "--warmup", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        Matcher sft = Pattern.compile("\\nsft +[0-9.]+ +\\S+ +([0-9.]+)").matcher(out), dpo = Pattern.compile("\\ndpo +[0-9.]+ +\\S+ +([0-9.]+)").matcher(out);
        assertTrue(sft.find() && dpo.find(), out);
        assertTrue(out.contains("tokens a pair: 64 packed whole, 49 with the prompt once"), out); // 15 + 2 × (1 + 16)
        Matcher unshared = Pattern.compile("\\ndpo-unshared +[0-9.]+ +\\S+ +([0-9.]+)").matcher(out);
        Matcher speedup = Pattern.compile("\\nsharing_speedup (\\d+\\.\\d{3})\\n").matcher(out);
        assertTrue(unshared.find() && speedup.find(), out);
        assertEquals(Double.parseDouble(dpo.group(1)) / Double.parseDouble(unshared.group(1)), Double.parseDouble(speedup.group(1)), 2e-3);
        Matcher last = Pattern.compile("\\ndpo_vs_sft (\\d+\\.\\d{3})\\n?$").matcher(out);
        assertTrue(last.find(), out);
        assertEquals(Double.parseDouble(dpo.group(1)) / Double.parseDouble(sft.group(1)), Double.parseDouble(last.group(1)), 2e-3);
    }
}
