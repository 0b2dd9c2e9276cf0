package dev.align4j.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    /** Runs the command line in-process; returns {exit code, stdout, stderr}. */
    static Object[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        return new Object[] {code, out.toString(), err.toString()};
    }

    @Test
    void helpListsTheCommands() {
        Object[] r = run("--help");
        assertEquals(0, r[0]);
        String help = (String) r[1];
        for (String command : new String[] {"inspect", "logprobs", "render", "serve", "bench"}) assertTrue(help.contains("  " + command), help);
        Object[] bench = run("bench", "--help");
        assertTrue(((String) bench[1]).contains("attention") && ((String) bench[1]).contains("gemm")
                && ((String) bench[1]).contains("forward") && ((String) bench[1]).contains("generate"), (String) bench[1]);
    }

    @Test
    void badInputIsOneClearLineNotAStackTrace() {
        Object[] r = run("render", "--model", "/nonexistent-model", "--input", "/nonexistent.jsonl", "--output", "/tmp/x.jsonl");
        assertEquals(1, r[0]);
        String err = (String) r[2];
        assertTrue(err.startsWith("align4j render: error: ") && err.contains("/nonexistent-model"), err);
        assertTrue(!err.contains("\tat "), "no stack trace: " + err);
    }
}
