package dev.align4j.cli;

import dev.align4j.cli.label.LabelServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code align4j label} as a command: registered, its options checked, bad input one clear line, and the server it starts. */
class LabelCommandTest {
    @TempDir
    Path dir;

    private Path input() throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        Files.writeString(file, "{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\"}\n");
        return file;
    }

    private static LabelCommand command(String... args) {
        LabelCommand command = new LabelCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void isRegisteredWithItsOptions() {
        Object[] help = MainTest.run("--help");
        assertTrue(((String) help[1]).contains("  label"), (String) help[1]);
        Object[] label = MainTest.run("label", "--help");
        assertEquals(0, label[0]);
        for (String option : new String[] {"--input", "--output", "--port", "--host", "--seed", "8321", "127.0.0.1"}) {
            assertTrue(((String) label[1]).contains(option), option + " in " + label[1]);
        }
    }

    @Test
    void badInputIsOneLineNamingFileLineAndField() throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        Files.writeString(file, "{\"prompt\": \"p\", \"completion_a\": \"a\", \"completion_b\": \"b\"}\n{\"completion_a\": \"a\", \"completion_b\": \"b\"}\n");
        Object[] r = MainTest.run("label", "--input", file.toString(), "--output", dir.resolve("prefs.jsonl").toString(), "--port", "0");
        assertEquals(1, r[0]);
        String err = (String) r[2];
        assertTrue(err.startsWith("align4j label: error: " + file + ", line 2: field \"prompt\" is missing"), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void optionsAreChecked() throws IOException {
        String in = input().toString(), out = dir.resolve("prefs.jsonl").toString();
        PrintWriter err = new PrintWriter(new StringWriter());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> command("--input", in, "--output", out, "--port", "70000").start(err))
                .getMessage().contains("--port must be in [0, 65535]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> command("--input", in, "--output", dir.resolve("prefs.csv").toString()).start(err))
                .getMessage().contains("must end in .jsonl"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> command("--input", in, "--output", in).start(err))
                .getMessage().contains("would overwrite the input"));
    }

    @Test
    void startsTheServerAndReportsWarnings() throws Exception {
        String in = input().toString();
        Path prefs = dir.resolve("prefs.jsonl");
        Files.writeString(prefs, "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\",\"id\":\"1\"}\n{\"prompt\":\"p\",\"cho");
        StringWriter warnings = new StringWriter();
        try (LabelServer server = command("--input", in, "--output", prefs.toString(), "--port", "0").start(new PrintWriter(warnings, true))) {
            assertEquals(1, server.store().labelled());
            HttpResponse<String> next = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url().resolve("api/next")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("{\"labelled\":1,\"total\":1,\"done\":true}", next.body());
            // a second session on the same files is refused, and leaves the first one's files alone
            IllegalArgumentException busy = assertThrows(IllegalArgumentException.class,
                    () -> command("--input", in, "--output", prefs.toString(), "--port", "0").start(new PrintWriter(new StringWriter())));
            assertTrue(busy.getMessage().contains("in use by another align4j label session"), busy.getMessage());
            // a port in use is an error that says what to do
            Path other = dir.resolve("other.jsonl");
            IllegalArgumentException bound = assertThrows(IllegalArgumentException.class, () -> command("--input", in, "--output", other.toString(),
                    "--port", Integer.toString(server.url().getPort())).start(new PrintWriter(new StringWriter())));
            assertTrue(bound.getMessage().contains("choose another --port"), bound.getMessage());
        }
        assertTrue(warnings.toString().startsWith("align4j label: warning: " + prefs + ", line 2: dropped a torn last line"), warnings.toString());
        assertEquals(1, Files.readAllLines(prefs).size());
    }
}
