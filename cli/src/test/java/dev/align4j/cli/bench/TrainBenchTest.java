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

class TrainBenchTest {

    /** A tiny run prints its four rows and the two last lines; checkpointing keeps less live activation memory. */
    @Test
    void aTinyRunPrintsTheRowsAndTheLastLines() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "train", "--n-layer", "4", "--n-embd", "128", "--n-head", "4",
                    "--vocab-size", "300", "--shapes", "4x128", "--steps", "1", "--warmup", "0", "--heap-mb", "768");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        // activations of 512 tokens × 4 layers × C=128: tens of MiB, far above the heap's noise of about a MiB
        Matcher rows = Pattern.compile("\\n4×128( checkpointed)? +[0-9.]+ +\\S+ +[0-9.]+ +[0-9.]+ +(-?[0-9.]+) +[0-9.]+").matcher(out);
        assertTrue(rows.find(), out);
        double plain = Double.parseDouble(rows.group(2));
        assertTrue(rows.find(), out);
        double checkpointed = Double.parseDouble(rows.group(2));
        assertTrue(checkpointed < plain, "checkpointing keeps less: " + plain + " vs " + checkpointed + "\n" + out);
        assertTrue(out.matches("(?s).*\\ntokens_per_s \\d+\\.\\d\\nmfu \\d+\\.\\d+\\n?$"), out);
    }
}
