package dev.align4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.data.Dataset;
import dev.align4j.data.DatasetType;
import dev.align4j.data.Datasets;
import dev.align4j.data.PreferenceExample;
import dev.align4j.data.PreferenceOptions;
import dev.align4j.data.PreferenceProcessor;
import dev.align4j.data.Row;
import dev.align4j.io.JsonLines;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.ScoreModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.reward.RewardModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code align4j score --reward-model DIR --input FILE.jsonl}: a reward model's scores. Prompt-completion
 * rows ({@code prompt}, {@code completion}) get {@code "score"}; preference rows ({@code prompt},
 * {@code chosen}, {@code rejected}, or the implicit prompt) get {@code "chosen_score"} and
 * {@code "rejected_score"}, and the summary their accuracy (the fraction where chosen scores higher)
 * and mean margin. Each output line is the input row with its scores added. Rows are tokenized as
 * {@code align4j reward} tokenized its training pairs (EOS appended to standard completions, chat
 * templates for conversations) and scored in packed batches of {@code --batch-size} rows.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score prompt/completion rows, or preference pairs with their accuracy, under a reward model.")
public final class ScoreCommand implements Callable<Integer> {

    @Option(names = "--reward-model", required = true, description = "A reward model folder (align4j reward's output, or a PEFT SEQ_CLS adapter).")
    Path rewardModel;

    @Option(names = "--input", required = true, description = "JSONL/JSON/CSV/Parquet rows: prompt and completion, or prompt, chosen and rejected.")
    String input;

    @Option(names = "--output", description = "Where the scored rows go (JSONL); standard output when unset.")
    Path output;

    @Option(names = "--batch-size", defaultValue = "16", description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var stdout = spec.commandLine().getOut();
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        RewardModels.Opened opened = RewardModels.open(rewardModel);
        ScoreModel model = opened.model();
        PreferenceProcessor processor = PreferenceData.processor(opened.tokenizer(), PreferenceOptions.UNTRUNCATED);
        Dataset rows = Datasets.load(input);
        boolean pairs = rows.type() == DatasetType.PREFERENCE || rows.type() == DatasetType.IMPLICIT_PROMPT_PREFERENCE;
        if (!pairs && rows.type() != DatasetType.PROMPT_COMPLETION) {
            throw new IllegalArgumentException(input + ": rows are " + rows.type().name().toLowerCase() + "; score takes prompt-completion rows"
                    + " (prompt, completion) or preference rows (prompt, chosen, rejected)");
        }
        double sum = 0, squares = 0, correct = 0;
        int n = 0;
        try (JsonLines.Writer out = output != null ? new JsonLines.Writer(output) : null) {
            List<Row> pending = new ArrayList<>();
            List<ObjectNode> scored = new ArrayList<>();
            int left = rows.size();
            for (Row row : rows) {
                pending.add(row);
                left--;
                if (pending.size() == batchSize || left == 0) {
                    List<int[]> sequences = new ArrayList<>();
                    for (Row r : pending) {
                        if (pairs) {
                            PreferenceExample p = processor.pair(r);
                            sequences.add(concat(p.promptIds(), p.chosenIds()));
                            sequences.add(concat(p.promptIds(), p.rejectedIds()));
                        } else {
                            sequences.add(processor.completionSequence(r));
                        }
                    }
                    float[] s;
                    try (var g = Autograd.noGrad()) {
                        s = model.sequenceScores(PackedBatch.of(sequences)).toArray();
                    }
                    for (int k = 0; k < pending.size(); k++) {
                        ObjectNode line = pending.get(k).json().deepCopy();
                        if (pairs) {
                            line.put("chosen_score", s[2 * k]);
                            line.put("rejected_score", s[2 * k + 1]);
                            sum += s[2 * k] - s[2 * k + 1];
                            correct += s[2 * k] > s[2 * k + 1] ? 1 : 0;
                        } else {
                            line.put("score", s[k]);
                            sum += s[k];
                            squares += (double) s[k] * s[k];
                        }
                        n++;
                        scored.add(line);
                    }
                    pending.clear();
                    for (ObjectNode line : scored) {
                        if (out != null) out.write(line);
                        else stdout.println(JsonLines.MAPPER.writeValueAsString(line));
                    }
                    scored.clear();
                }
            }
            if (out != null) out.commit();
        }
        double mean = sum / Math.max(1, n);
        stdout.flush();
        spec.commandLine().getErr().println(pairs
                ? String.format("score: %d pairs: accuracy %.4f, mean margin %.4f", n, correct / Math.max(1, n), mean)
                : String.format("score: %d rows: mean score %.4f, std %.4f", n, mean, Math.sqrt(Math.max(0, squares / Math.max(1, n) - mean * mean))));
        spec.commandLine().getErr().flush();
        return 0;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
