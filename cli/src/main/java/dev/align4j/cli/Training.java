package dev.align4j.cli;

import dev.align4j.train.TrainerLoop;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Runs a training job from a command: Ctrl-C (SIGINT) asks it to stop after the current step with a checkpoint. */
final class Training {
    private Training() {}

    /** How a job ended. */
    record Ended(int step, boolean stoppedEarly, Path outputDir) {}

    /** A training run a command starts: the shared trainer loop, or a loop of the method's own (PPO). */
    interface Job {
        /** Asks the run to stop after the step in progress, saving a checkpoint. */
        void requestStop();

        Ended run() throws IOException;

        /** The shared trainer loop as a job. */
        static Job of(TrainerLoop<?> loop) {
            return new Job() {
                @Override
                public void requestStop() {
                    loop.requestStop();
                }

                @Override
                public Ended run() throws IOException {
                    TrainerLoop.Result r = loop.run();
                    return new Ended(r.globalStep(), r.stoppedEarly(), r.outputDir());
                }
            };
        }
    }

    /** Runs {@code job} with SIGINT calling its stop request once (a second Ctrl-C aborts); the exit code. */
    static int run(Job job, PrintWriter err) throws IOException {
        Signal interrupt = new Signal("INT");
        SignalHandler previous = Signal.handle(interrupt, s -> {
            err.println();
            err.println("interrupted: saving a checkpoint after this step (Ctrl-C again to abort)");
            err.flush();
            job.requestStop();
            Signal.handle(interrupt, SignalHandler.SIG_DFL);
        });
        try {
            Ended r = job.run();
            err.println((r.stoppedEarly() ? "stopped" : "done") + " at step " + r.step() + " → " + r.outputDir());
            return r.stoppedEarly() ? 130 : 0;
        } finally {
            Signal.handle(interrupt, previous);
        }
    }
}
