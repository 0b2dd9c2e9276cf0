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

class GrpoBenchTest {

    /** A tiny run prints both phases with shares summing to 100%, then the step's seconds and completions/s = 8 / seconds. */
    @Test
    void aTinyRunSplitsTheStepIntoItsPhases() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bench", "grpo", "--n-layer", "2", "--n-embd", "64", "--n-head", "4", "--vocab-size", "300",
                    "--prompts", "2", "--num-generations", "4", "--prompt", "8", "--completion", "6", "--steps", "1", "--warmup", "0");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        double seconds = 0, share = 0;
        for (String phase : new String[] {"generation", "optimisation"}) {
            Matcher m = Pattern.compile("\\n" + phase + " +([0-9.]+) +([0-9.]+)%").matcher(out);
            assertTrue(m.find(), phase + " in " + out);
            seconds += Double.parseDouble(m.group(1));
            share += Double.parseDouble(m.group(2));
        }
        assertEquals(100, share, 0.2, out);
        Matcher total = Pattern.compile("\\nstep_seconds ([0-9.]+)\\n").matcher(out), eps = Pattern.compile("\\ncompletions_per_s ([0-9.]+)\\n?$").matcher(out);
        assertTrue(total.find() && eps.find(), out);
        assertEquals(seconds, Double.parseDouble(total.group(1)), 2e-3);
        double t = Double.parseDouble(total.group(1)), rate = Double.parseDouble(eps.group(1));
        // step_seconds is printed to 3 decimals: on a step of a few hundredths that rounding alone is a few percent of 8 / t
        assertEquals(8 / t, rate, rate * (0.0005 / t + 0.01) + 0.006, out);
        assertTrue(out.contains("2 prompts × 4 completions from 2 prefills"), out);
    }
}
