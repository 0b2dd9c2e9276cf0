package dev.align4j.cli.bench;

import dev.align4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardBenchTest {

    @Test
    void aTinyRunPrintsBothRatioLinesWithBitIdenticalLogits() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "forward", "--n-layer", "2", "--n-embd", "64", "--n-head", "4",
                    "--vocab-size", "300", "--sequences", "2", "--length", "24", "--runs", "1", "--warmup", "1",
                    "--rss-tokens", "8", "--rss-heap-mb", "128", "--rss-warmup-seconds", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("logits bit-identical: yes"), out);
        assertTrue(out.matches("(?s).*\\nforward_gflops_vs_gemm float32 \\d+\\.\\d+ bf16 \\d+\\.\\d+\\n.*"), out);
        Matcher rss = Pattern.compile("\\npeak_rss_over_baseline_vs_file (\\d+\\.\\d+) ").matcher(out);
        assertTrue(rss.find() || out.contains("not measured"), out);
    }
}
