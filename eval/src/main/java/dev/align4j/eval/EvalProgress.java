package dev.align4j.eval;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What a long evaluation shows while it runs: a progress bar per task on a terminal
 * (me.tongfei:progressbar), nothing elsewhere (a log, CI, a test).
 */
public interface EvalProgress {

    /** A task's bar. */
    interface Bar extends AutoCloseable {
        void step(long n);

        @Override
        void close();
    }

    /** Starts the bar of a task of {@code total} units. */
    Bar start(String task, long total);

    /** Shows nothing. */
    EvalProgress NONE = (task, total) -> new Bar() {
        @Override
        public void step(long n) {}

        @Override
        public void close() {}
    };

    /** A bar on standard error when a console is attached, else nothing. */
    static EvalProgress forConsole() {
        if (System.console() == null) return NONE;
        return (task, total) -> {
            ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build();
            return new Bar() {
                @Override
                public void step(long n) {
                    bar.stepBy(n);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }
}
