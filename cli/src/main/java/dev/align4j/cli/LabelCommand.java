package dev.align4j.cli;

import dev.align4j.cli.label.LabelServer;
import dev.align4j.cli.label.LabelStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code align4j label --input pairs.jsonl --output prefs.jsonl}: a person says which of two
 * completions is better, in a browser, and each answer becomes a preference row that
 * {@code align4j dpo}, {@code kto} and {@code reward} read as it is ({@code prompt}, {@code chosen},
 * {@code rejected}, with {@code id} and {@code shown_order}). Human labels are the ground truth the
 * rest of the recipe (reward models, judges, DPO data) is measured against, and the slowest to
 * get, so none may be lost: each is on disk before the page moves on, a stopped session resumes
 * where it was, and ties and skips are kept aside in {@code prefs.skipped.jsonl} rather than
 * dropped or shown again.
 *
 * <p>Input rows: {@code prompt} and two completions ({@code completion_a}/{@code completion_b},
 * {@code chosen}/{@code rejected}, or {@code completions: [a, b]}), an optional {@code id}, other
 * columns carried into the output ({@link dev.align4j.cli.label.Comparisons}). The sides are
 * shuffled per item by {@code --seed} ({@link dev.align4j.cli.label.ShownOrder}).
 *
 * <p>What it is not: a multi-user annotation platform (Argilla, Label Studio). It serves one person
 * on this machine ({@code 127.0.0.1} unless {@code --host} says otherwise) and runs until Ctrl-C,
 * showing "All done" when nothing is left.
 */
@Command(name = "label", mixinStandardHelpOptions = true,
        description = "Label preference pairs by hand in a browser: prompt and two completions side by side; the answers become a"
                + " prompt/chosen/rejected file for dpo, kto and reward.")
public final class LabelCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, description = "JSONL comparisons: prompt, and completion_a/completion_b, chosen/rejected"
            + " or completions: [a, b]; optional id (default: the line number); other columns are carried into the output.")
    Path input;

    @Option(names = "--output", required = true, description = "JSONL preference rows, appended to (an existing file resumes the session);"
            + " ties and skips go beside it, to NAME.skipped.jsonl.")
    Path output;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8321", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one, printed).")
    int port;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the left/right order of each item (default: ${DEFAULT-VALUE});"
            + " the same seed shows every item on the same sides after a restart.")
    long seed;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        LabelServer server = start(err);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (IOException e) {
                System.err.println("align4j label: " + e.getMessage());
            }
            stopped.countDown();
        }, "align4j-label-shutdown"));
        LabelStore store = server.store();
        int left = store.total() - store.labelled();
        PrintWriter out = spec.commandLine().getOut();
        out.println("align4j label: open " + server.url() + " to label " + (left == 0 ? "(nothing left: all " + store.total()
                + " comparisons are labelled)" : left + " of " + store.total() + " comparisons" + (store.labelled() > 0 ? " ("
                + store.labelled() + " labelled earlier)" : "")));
        out.println("align4j label: preferences go to " + store.output() + ", ties and skips to " + store.skippedOutput()
                + "; each label is on disk once the page moves on. Ctrl-C stops.");
        out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Opens the store and starts the server, warnings (repaired files, unknown ids) to {@code err}.
     *
     * @throws IllegalArgumentException for bad input, an output in use or damaged, a port out of
     *                                  range or an address that cannot be bound
     */
    LabelServer start(PrintWriter err) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".jsonl")) {
            throw new IllegalArgumentException("--output " + output + " must end in .jsonl, so that dpo, kto and reward read it as JSON Lines");
        }
        LabelStore store;
        try {
            store = LabelStore.open(input, output, seed, warning -> {
                err.println("align4j label: warning: " + warning);
                err.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        LabelServer server = null;
        try {
            server = new LabelServer(store, host, port);
            return server.start();
        } catch (RuntimeException e) {
            try {
                if (server != null) server.close(); // stops what started, closes the store
                else store.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
