package dev.align4j.cli;

import dev.align4j.train.TrainerLoop;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintWriter;

/** Runs a training run from a command (the trainer loop, or PPO's): Ctrl-C (SIGINT) asks it to stop after the current step with a checkpoint. */
final class Training {
    private Training() {}

    static int run(TrainerLoop<?> loop, PrintWriter err) throws java.io.IOException {
        TrainerLoop.Result r = untilInterrupted(loop::requestStop, loop::run, err);
        err.println((r.stoppedEarly() ? "stopped" : "done") + " at step " + r.globalStep() + " → " + r.outputDir());
        return r.stoppedEarly() ? 130 : 0;
    }

    /** A training run. */
    interface Run<R> {
        R run() throws java.io.IOException;
    }

    /** Runs {@code run} with SIGINT calling {@code requestStop} once (a second Ctrl-C aborts). */
    static <R> R untilInterrupted(Runnable requestStop, Run<R> run, PrintWriter err) throws java.io.IOException {
        Signal interrupt = new Signal("INT");
        SignalHandler previous = Signal.handle(interrupt, s -> {
            err.println();
            err.println("interrupted: saving a checkpoint after this step (Ctrl-C again to abort)");
            err.flush();
            requestStop.run();
            Signal.handle(interrupt, SignalHandler.SIG_DFL);
        });
        try {
            return run.run();
        } finally {
            Signal.handle(interrupt, previous);
        }
    }
}
