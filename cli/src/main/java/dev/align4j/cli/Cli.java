package dev.align4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Small helpers the commands share. */
final class Cli {
    private Cli() {}

    interface IoAction {
        void run() throws IOException;
    }

    /** Runs an I/O action inside a lambda, rethrowing its IOException unchecked. */
    static void unchecked(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
