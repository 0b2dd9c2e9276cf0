package dev.align4j.cli.bench;

import dev.align4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttentionBenchTest {

    @Test
    void printsOneRowPerSizeAndSegmentCountWithMatchingOutputs() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "attention", "--tokens", "16,40", "--segments", "1,3", "--heads", "4",
                    "--kv-heads", "2", "--head-dim", "8", "--runs", "1", "--warmup", "1", "--warmup-seconds", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        long rows = out.lines().filter(l -> l.matches("\\s+(16|40)\\s+[13]\\s+.*")).count();
        assertEquals(4, rows, out);
        out.lines().filter(l -> l.matches("\\s+(16|40)\\s+[13]\\s+.*")).forEach(l -> {
            double maxDiff = Double.parseDouble(l.substring(l.lastIndexOf('|') + 1).trim());
            assertTrue(maxDiff < 1e-5, "fused and composed outputs differ: " + l);
        });
    }
}
