package dev.align4j.train.sft;

import dev.align4j.data.Batch;
import dev.align4j.data.Dataset;
import dev.align4j.data.DatasetOptions;
import dev.align4j.data.Datasets;
import dev.align4j.data.Packing;
import dev.align4j.data.SftExample;
import dev.align4j.data.SftProcessor;
import dev.align4j.io.chat.ChatTemplate;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;
import dev.align4j.models.ChunkedLogProbs;
import dev.align4j.models.PackedBatch;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.LogProbs;
import dev.align4j.tensor.Reductions;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.LoraDropout;
import dev.align4j.train.Objective;
import dev.align4j.train.PeftArguments;
import dev.align4j.train.Policy;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Supervised fine-tuning, as TRL's {@code SFTTrainer}: the model learns the dataset's texts,
 * completions or assistant turns by next-token cross-entropy,
 * {@code L = −(1/N) Σ_t log p(x_{t+1} | x_{≤t})} over the N target tokens of a step (the masks and
 * EOS handling are the data layer's {@link SftProcessor}); it also reports TRL's
 * {@code mean_token_accuracy}, the fraction of targets that are the logits' argmax.
 *
 * <p>What differs from the other trainers is only this objective and the data; the loop is
 * {@link TrainerLoop}. Batches: without packing, {@code per_device_train_batch_size} examples packed
 * side by side (no padding); with packing, the examples are first packed best-fit decreasing into
 * rows of {@code max_length} tokens (TRL's "bfd") and a batch is that many rows. Each epoch shuffles
 * the examples (or rows) with {@code seed + epoch}. With {@code use_peft}, LoRA adapters are trained
 * on the frozen base and the output folder is a PEFT adapter; with {@code load_in_4bit} as well
 * (QLoRA), the base's linear layers are quantised to 4 bits as they load, the rest stays float32.
 * Under LoRA the log-probs go through the output head a chunk of tokens at a time
 * ({@link ChunkedLogProbs}: the same values and gradients, never the whole (T, V) logits).
 */
public final class SftTrainer {
    private SftTrainer() {}

    /** A ready loop over the config's model and data (call {@link TrainerLoop#run}). */
    public static TrainerLoop<Batch> create(SFTConfig c, Progress progress) throws IOException {
        c.validate();
        c.requireModel();
        Path modelDir = Path.of(c.modelNameOrPath);
        return create(c, HfModels.load(modelDir, LoadOptions.defaults().withLoadIn4Bit(PeftArguments.quantization(c))), modelDir,
                progress);
    }

    /** A ready loop training {@code loaded} with the tokenizer of {@code tokenizerDir} (pretraining passes a new model). */
    static TrainerLoop<Batch> create(SFTConfig c, LoadedModel loaded, Path modelDir, Progress progress) throws IOException {
        Policy policy = Policy.of(c, loaded, c.modelNameOrPath);
        CausalLM model = policy.model();
        LoraModel lora = policy.lora();
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        Optional<ChatTemplate> template = tokenizer.config().chatTemplate().isPresent()
                ? Optional.of(ChatTemplate.of(tokenizer)) : Optional.empty();
        SftProcessor processor = new SftProcessor(tokenizer, template, c.sftOptions());

        DatasetOptions options = DatasetOptions.DEFAULT.withSkipInvalidRows(c.skipInvalidRows).withDatasetTextField(c.datasetTextField);
        Dataset train = Datasets.load(c.datasetName, c.datasetTrainSplit, options), eval = null;
        if (c.testSize != null) {
            Dataset.Split split = train.split(c.testSize, c.seed);
            train = split.train();
            eval = split.test();
        } else if (!"no".equals(c.evalStrategy)) {
            eval = Datasets.load(c.datasetName, c.datasetTestSplit, options);
        }
        if (train.skippedRows() > 0) progress.message("skipped " + train.skippedRows() + " invalid rows (skip_invalid_rows)");
        List<List<SftExample>> trainUnits = units(examples(train, processor), c);
        List<List<SftExample>> evalUnits = eval == null ? null : units(examples(eval, processor), c);
        progress.message("sft: " + train.size() + " rows (" + train.type() + ") → " + trainUnits.size()
                + (c.packing ? " packed rows of ≤ " + c.maxLength + " tokens" : " examples"));

        TrainerLoop.Data<Batch> trainData = epoch -> batches(trainUnits, c.perDeviceTrainBatchSize, new Random(c.seed + epoch));
        TrainerLoop.Data<Batch> evalData = evalUnits == null ? null : epoch -> batches(evalUnits, c.perDeviceEvalBatchSize, null);
        Objective<Batch> objective = new Loss(model, lora != null);
        if (lora != null) objective = new LoraDropout<>(objective, lora, c.seed, b -> Arrays.hashCode(b.packed().tokens()));
        return new TrainerLoop<>(c, policy.trainable(), objective, trainData, evalData, policy.state(), progress);
    }

    private static List<SftExample> examples(Dataset rows, SftProcessor processor) {
        List<SftExample> out = new ArrayList<>();
        for (var row : rows) {
            SftExample e = processor.process(row);
            if (e.inputIds().length > 1 && e.targets() > 0) out.add(e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("the dataset gives no example with a token to learn");
        return out;
    }

    /** What a batch is made of: single examples, or packed rows of several. */
    private static List<List<SftExample>> units(List<SftExample> examples, SFTConfig c) {
        if (!c.packing) return examples.stream().map(List::of).toList();
        return Packing.bestFitDecreasing(examples, c.maxLength).stream().map(Packing.Bin::examples).toList();
    }

    /** The units shuffled by {@code rng} (kept in order when null), {@code perBatch} to a batch. */
    private static List<Batch> batches(List<List<SftExample>> units, int perBatch, Random rng) {
        List<List<SftExample>> order = new ArrayList<>(units);
        if (rng != null) Collections.shuffle(order, rng);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += perBatch) {
            List<SftExample> examples = new ArrayList<>();
            for (List<SftExample> u : order.subList(i, Math.min(i + perBatch, order.size()))) examples.addAll(u);
            out.add(Batch.of(examples));
        }
        return out;
    }

    /** Summed next-token cross-entropy over the targets, and the count of targets the argmax gets right. */
    private record Loss(CausalLM model, boolean frozenHead) implements Objective<Batch> {
        @Override
        public long items(Batch b) {
            return b.targets();
        }

        @Override
        public long tokens(Batch b) {
            return b.size();
        }

        @Override
        public Objective.Loss loss(Batch b) {
            int[] labels = b.labels(), argmax;
            Tensor logProbs; // (T)
            if (frozenHead) { // under LoRA: the head's (T, V) logits a chunk at a time, the same values and gradients
                ChunkedLogProbs.Result r = ChunkedLogProbs.tokenLogProbs(model, model.hiddenStates(b.packed()), labels);
                logProbs = r.logProbs();
                argmax = r.argmax();
            } else {
                Tensor logits = model.logits(b.packed()); // (T, V)
                logProbs = LogProbs.tokenLogProbs(logits, labels, PackedBatch.IGNORE);
                argmax = Reductions.argmax(logits.detach(), 1);
            }
            Tensor sum = Elementwise.neg(Reductions.sum(logProbs));
            long correct = 0;
            for (int t = 0; t < labels.length; t++) if (labels[t] != PackedBatch.IGNORE && argmax[t] == labels[t]) correct++;
            return new Objective.Loss(sum, Map.of("mean_token_accuracy", (double) correct));
        }
    }
}
