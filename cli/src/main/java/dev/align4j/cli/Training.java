package dev.align4j.cli;

import dev.align4j.train.TrainerLoop;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintWriter;

/** Runs a trainer loop from a command: Ctrl-C (SIGINT) asks it to stop after the current step with a checkpoint. */
final class Training {
    private Training() {}

    static int run(TrainerLoop<?> loop, PrintWriter err) throws java.io.IOException {
        Signal interrupt = new Signal("INT");
        SignalHandler previous = Signal.handle(interrupt, s -> {
            err.println();
            err.println("interrupted: saving a checkpoint after this step (Ctrl-C again to abort)");
            err.flush();
            loop.requestStop();
            Signal.handle(interrupt, SignalHandler.SIG_DFL);
        });
        try {
            TrainerLoop.Result r = loop.run();
            err.println((r.stoppedEarly() ? "stopped" : "done") + " at step " + r.globalStep() + " → " + r.outputDir());
            return r.stoppedEarly() ? 130 : 0;
        } finally {
            Signal.handle(interrupt, previous);
        }
    }
}
