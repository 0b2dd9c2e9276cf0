package dev.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;

/**
 * What a run shows while it trains. On a terminal, a progress bar (me.tongfei:progressbar) with the
 * step, ETA, the last loss and tokens/s; elsewhere (a log file, CI), the logged records as plain
 * lines. Logged records are printed in both cases, one line each, as transformers prints its log
 * dicts.
 */
public interface Progress {

    void start(int maxSteps, int fromStep);

    void step(int step, double loss, long tokens);

    void log(JsonNode record);

    void message(String text);

    void finish();

    /** A bar on a terminal ({@code System.console()} present and bars not disabled), plain lines to {@code err} otherwise. */
    static Progress forConsole(boolean disableBar, PrintWriter err) {
        return System.console() != null && !disableBar ? new Bar(System.err) : new Lines(err);
    }

    /** Prints nothing but messages and records to {@code out}. */
    final class Lines implements Progress {
        private final PrintWriter out;

        public Lines(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void start(int maxSteps, int fromStep) {
            out.println("training: " + maxSteps + " steps" + (fromStep > 0 ? ", from step " + fromStep : ""));
            out.flush();
        }

        @Override
        public void step(int step, double loss, long tokens) {}

        @Override
        public void log(JsonNode record) {
            out.println(format(record));
            out.flush();
        }

        @Override
        public void message(String text) {
            out.println(text);
            out.flush();
        }

        @Override
        public void finish() {}
    }

    /** A progress bar on the terminal. */
    final class Bar implements Progress {
        private final PrintStream out;
        private ProgressBar bar;
        private long started, tokens;

        Bar(PrintStream out) {
            this.out = out;
        }

        @Override
        public void start(int maxSteps, int fromStep) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(maxSteps).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out)).startsFrom(fromStep, java.time.Duration.ZERO)
                    .build();
            started = System.nanoTime();
        }

        @Override
        public void step(int step, double loss, long stepTokens) {
            tokens += stepTokens;
            double seconds = (System.nanoTime() - started) / 1e9;
            bar.stepTo(step);
            bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.4f, %.0f tok/s", loss, tokens / Math.max(seconds, 1e-9)));
        }

        @Override
        public void log(JsonNode record) {
            message(format(record));
        }

        @Override
        public void message(String text) {
            if (bar != null) bar.pause();
            out.println();
            out.println(text);
            if (bar != null) bar.resume();
        }

        @Override
        public void finish() {
            if (bar != null) bar.close();
        }
    }

    /** A record as one line: {'loss': 1.234, 'grad_norm': …}, as transformers prints it. */
    static String format(JsonNode record) {
        StringBuilder sb = new StringBuilder("{");
        Iterator<Map.Entry<String, JsonNode>> it = record.fields();
        while (it.hasNext()) {
            var e = it.next();
            sb.append('\'').append(e.getKey()).append("': ");
            JsonNode v = e.getValue();
            sb.append(v.isFloatingPointNumber() ? String.format(java.util.Locale.ROOT, "%.6g", v.asDouble()) : v.toString());
            if (it.hasNext()) sb.append(", ");
        }
        return sb.append('}').toString();
    }
}
