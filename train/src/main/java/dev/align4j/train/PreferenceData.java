package dev.align4j.train;

import dev.align4j.data.Batch;
import dev.align4j.data.Dataset;
import dev.align4j.data.DatasetOptions;
import dev.align4j.data.Datasets;
import dev.align4j.data.PreferenceExample;
import dev.align4j.data.PreferenceOptions;
import dev.align4j.data.PreferenceProcessor;
import dev.align4j.data.SftExample;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The data steps the preference trainers (DPO, ORPO, CPO, KTO) share, kept in one place so their
 * recipes differ only in the objective: the processor of a model folder's tokenizer and chat
 * template, the train and eval rows ({@code dataset_name}, its splits or {@code test_size}), and
 * pair batches (each pair's chosen then rejected sequence, their prompt packed once).
 *
 * <p>What it is not: the tokenization rules, which are the data layer's {@link PreferenceProcessor}.
 */
public final class PreferenceData {
    private PreferenceData() {}

    /** The rows to train on, and to evaluate on (null when there is no evaluation). */
    public record Rows(Dataset train, Dataset eval) {}

    /**
     * A pair method's data: the config's rows as pairs (the eval pairs null when there is no
     * evaluation) through the processor of its model's tokenizer and chat template.
     */
    public record Pairs(PreferenceProcessor processor, Dataset rows, List<PreferenceExample> train, List<PreferenceExample> eval) {
        /** The config's rows and their pairs. */
        public static Pairs load(PreferenceConfig c, Progress progress) throws IOException {
            PreferenceProcessor processor = PreferenceData.processor(Path.of(c.modelNameOrPath), c.preferenceOptions());
            Rows rows = PreferenceData.rows(c, progress);
            return new Pairs(processor, rows.train(), pairs(rows.train(), processor), rows.eval() == null ? null : pairs(rows.eval(), processor));
        }

        /** "N rows (type) → M pairs", for the run's log. */
        public String describe() {
            return rows.size() + " rows (" + rows.type() + ") → " + train.size() + " pairs";
        }
    }

    /**
     * The loop every pair method (DPO, ORPO, CPO, SimPO) runs, differing only in its objective:
     * under LoRA the objective runs with the adapters' dropout ({@link LoraDropout}); a batch is
     * {@code per_device_train_batch_size} pairs, shuffled each epoch with {@code seed + epoch};
     * evaluation batches keep the data's order.
     */
    public static TrainerLoop<Batch> loop(PreferenceConfig c, Policy policy, Objective<Batch> objective, Pairs pairs, Progress progress) {
        if (policy.lora() != null) objective = new LoraDropout<>(objective, policy.lora(), c.seed, b -> Arrays.hashCode(b.packed().tokens()));
        TrainerLoop.Data<Batch> trainData = epoch -> batches(pairs.train(), c.perDeviceTrainBatchSize, new Random(c.seed + epoch),
                pairs.processor());
        TrainerLoop.Data<Batch> evalData = pairs.eval() == null ? null
                : epoch -> batches(pairs.eval(), c.perDeviceEvalBatchSize, null, pairs.processor());
        return new TrainerLoop<>(c, policy.trainable(), objective, trainData, evalData, policy.state(), progress);
    }

    /** The processor of {@code modelDir}'s tokenizer and, when it has one, its chat template. */
    public static PreferenceProcessor processor(Path modelDir, PreferenceOptions options) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        Optional<ChatTemplate> template = tokenizer.config().chatTemplate().isPresent()
                ? Optional.of(ChatTemplate.of(tokenizer)) : Optional.empty();
        return new PreferenceProcessor(tokenizer, template, options);
    }

    /** The config's train rows and eval rows: a held-out test_size, or the test split when eval_strategy asks for evaluation. */
    public static Rows rows(PreferenceConfig c, Progress progress) throws IOException {
        DatasetOptions options = DatasetOptions.DEFAULT.withSkipInvalidRows(c.skipInvalidRows);
        Dataset train = Datasets.load(c.datasetName, c.datasetTrainSplit, options), eval = null;
        if (c.testSize != null) {
            Dataset.Split split = train.split(c.testSize, c.seed);
            train = split.train();
            eval = split.test();
        } else if (!"no".equals(c.evalStrategy)) {
            eval = Datasets.load(c.datasetName, c.datasetTestSplit, options);
        }
        if (train.skippedRows() > 0) progress.message("skipped " + train.skippedRows() + " invalid rows (skip_invalid_rows)");
        return new Rows(train, eval);
    }

    /** Every row's pair. */
    public static List<PreferenceExample> pairs(Dataset rows, PreferenceProcessor processor) {
        List<PreferenceExample> out = new ArrayList<>(rows.size());
        for (var row : rows) out.add(processor.pair(row));
        if (out.isEmpty()) throw new IllegalArgumentException("the dataset gives no preference pair");
        return out;
    }

    /**
     * Packs pairs as one batch: each pair's chosen sequence, then its rejected one, the prompt
     * they share packed once ({@link Batch#sharingPrompts}: prefix sharing) when it has at least
     * two tokens, else side by side.
     */
    public static Batch batch(List<PreferenceExample> pairs, PreferenceProcessor processor) {
        List<List<SftExample>> groups = new ArrayList<>(pairs.size());
        for (PreferenceExample p : pairs) {
            groups.add(List.of(processor.sequence(p.promptIds(), p.chosenIds()), processor.sequence(p.promptIds(), p.rejectedIds())));
        }
        return Batch.sharingPrompts(groups);
    }

    /** The pairs shuffled by {@code rng} (kept in order when null), {@code perBatch} pairs to a batch. */
    public static List<Batch> batches(List<PreferenceExample> pairs, int perBatch, Random rng, PreferenceProcessor processor) {
        List<PreferenceExample> order = new ArrayList<>(pairs);
        if (rng != null) Collections.shuffle(order, rng);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += perBatch) out.add(batch(order.subList(i, Math.min(i + perBatch, order.size())), processor));
        return out;
    }
}
