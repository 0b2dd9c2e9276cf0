package dev.align4j.train.reward;

import dev.align4j.data.Batch;
import dev.align4j.data.Dataset;
import dev.align4j.data.PreferenceExample;
import dev.align4j.data.PreferenceOptions;
import dev.align4j.data.PreferenceProcessor;
import dev.align4j.data.Row;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.ScoreModel;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.AdapterModelState;
import dev.align4j.train.LoraDropout;
import dev.align4j.train.ModelState;
import dev.align4j.train.Objective;
import dev.align4j.train.PeftArguments;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Reward modelling, as TRL's {@code RewardTrainer}: a transformer with a scalar score head learns to
 * score each pair's chosen sequence above its rejected one ({@link dev.align4j.train.loss.RewardLoss}, the Bradley–Terry
 * loss of InstructGPT's reward model, Ouyang et al. 2022, arXiv:2203.02155, Eq. 1); stage 2 of the
 * InstructGPT pipeline.
 *
 * <p>The recipe, top to bottom: load the model as a score model ({@link ScoreModels#load}: a
 * sequence-classification folder, or a causal LM whose output head gives way to a new score head,
 * as TRL's {@code AutoModelForSequenceClassification.from_pretrained(..., num_labels=1)}); set its
 * pad token ({@code pad_token}, else the tokenizer's, else its EOS, as TRL does), which the saved
 * config records and scoring skips at a sequence's end; turn preference rows into token pairs
 * ({@link PreferenceProcessor}: explicit or implicit prompt, chat templates, EOS appended to
 * standard completions), each with its {@code margin} when the data have that column; drop the
 * pairs with a sequence longer than {@code max_length} (TRL's filter); hand {@link RewardObjective}
 * to the shared {@link TrainerLoop}. A batch is {@code per_device_train_batch_size} pairs, their
 * prompt packed once, shuffled each epoch with {@code seed + epoch}. With {@code use_peft}, LoRA
 * adapters go on the transformer and the score head is trained in full and saved with them
 * (PEFT's {@code SEQ_CLS} task, {@code modules_to_save} [classifier, score]).
 */
public final class RewardTrainer {
    private RewardTrainer() {}

    /** One preference pair and its margin (0 when the data have none). */
    record Example(PreferenceExample pair, float margin) {}

    /** A ready loop over the config's model and data (call {@link TrainerLoop#run}). */
    public static TrainerLoop<RewardBatch> create(RewardConfig c, Progress progress) throws IOException {
        c.validate();
        Path modelDir = Path.of(c.modelNameOrPath);
        int pad = padTokenId(c, modelDir);
        ScoreModels.Loaded loaded = ScoreModels.load(modelDir, LoadOptions.defaults().withLoadIn4Bit(PeftArguments.quantization(c)), pad,
                c.seed);
        ScoreModel model = loaded.model();
        model.backbone().gradientCheckpointing(c.gradientCheckpointing);

        Map<String, Tensor> trainable;
        ModelState state;
        LoraModel lora = null;
        if (c.usePeft) {
            LoraConfig l = PeftArguments.lora(c, model.backbone());
            List<String> modules = new ArrayList<>(l.modulesToSave());
            modules.removeAll(List.of("score", "classifier")); // the head is always trained, as PEFT's SEQ_CLS does
            lora = LoraModel.attach(model.backbone(), new LoraConfig(l.r(), l.loraAlpha(), l.loraDropout(), l.targetModules(), l.useRslora(),
                    modules), c.seed);
            model.head().requiresGrad(true);
            AdapterModelState adapter = new AdapterModelState(lora, c.modelNameOrPath, modelDir, PeftAdapters.TaskHead.sequenceClassifier(model.head()));
            trainable = adapter.saved();
            state = adapter;
        } else {
            trainable = model.parameters();
            state = new ScoreModelState(loaded);
        }

        PreferenceProcessor processor = PreferenceData.processor(modelDir, PreferenceOptions.UNTRUNCATED);
        PreferenceData.Rows rows = PreferenceData.rows(c, progress);
        List<Example> train = examples(rows.train(), processor, c.maxLength, "train", progress);
        List<Example> eval = rows.eval() == null ? null : examples(rows.eval(), processor, c.maxLength, "eval", progress);
        boolean margins = hasMargins(rows.train());
        progress.message("reward: " + rows.train().size() + " rows (" + rows.train().type() + ") → " + train.size() + " pairs"
                + (margins ? " with margins" : "") + "; " + (loaded.newHead() ? "a new score head on " : "the score head of ")
                + c.modelNameOrPath + "; pad token id " + pad);

        Objective<RewardBatch> objective = new RewardObjective(model, c.centerRewardsCoefficient);
        if (lora != null) objective = new LoraDropout<>(objective, lora, c.seed, b -> Arrays.hashCode(b.batch().packed().tokens()));
        TrainerLoop.Data<RewardBatch> trainData = epoch -> batches(train, margins, c.perDeviceTrainBatchSize, new Random(c.seed + epoch),
                processor);
        TrainerLoop.Data<RewardBatch> evalData = eval == null ? null : epoch -> batches(eval, margins, c.perDeviceEvalBatchSize, null, processor);
        return new TrainerLoop<>(c, trainable, objective, trainData, evalData, state, progress);
    }

    /** {@code pad_token}'s id, else the tokenizer's pad token, else its EOS (TRL's order). */
    static int padTokenId(RewardConfig c, Path modelDir) {
        try (Tokenizer tokenizer = Tokenizer.load(modelDir)) {
            if (c.padToken != null) {
                return tokenizer.tokenToId(c.padToken).orElseThrow(() -> new IllegalArgumentException("config: pad_token \"" + c.padToken
                        + "\" is not in the vocabulary of " + modelDir.resolve("tokenizer.json")));
            }
            Integer pad = RewardModels.padOrEos(tokenizer);
            if (pad == null) throw new IllegalArgumentException(modelDir + ": the tokenizer has neither a pad nor an EOS token; set pad_token");
            return pad;
        }
    }

    /** Whether the rows carry a {@code margin} column (read from the first row, as TRL's collator does). */
    static boolean hasMargins(Dataset rows) {
        for (Row row : rows) return row.has("margin");
        return false;
    }

    /**
     * Every row's pair and margin, the pairs with a sequence longer than {@code maxLength} dropped
     * (TRL's filter; counted in the log).
     *
     * @throws IllegalArgumentException naming the file and line of a row whose margin is missing or not a number, or when no pair is left
     */
    static List<Example> examples(Dataset rows, PreferenceProcessor processor, Integer maxLength, String split, Progress progress) {
        boolean margins = hasMargins(rows);
        List<Example> out = new ArrayList<>(rows.size());
        int dropped = 0;
        for (Row row : rows) {
            PreferenceExample p = processor.pair(row);
            int prompt = p.promptIds().length, longest = prompt + Math.max(p.chosenIds().length, p.rejectedIds().length);
            float margin = 0;
            if (margins) {
                if (!row.has("margin") || !row.get("margin").isNumber()) {
                    throw row.error("margin", "must be a number on every row, as the first row has one");
                }
                margin = (float) row.get("margin").asDouble();
            }
            if (maxLength != null && longest > maxLength) {
                dropped++;
                continue;
            }
            out.add(new Example(p, margin));
        }
        if (dropped > 0) progress.message("dropped " + dropped + " " + split + " pairs with a sequence longer than max_length " + maxLength);
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the " + split + " data give no pair" + (dropped > 0 ? " within max_length " + maxLength
                    + " (all " + dropped + " are longer); raise max_length" : ""));
        }
        return out;
    }

    /** The examples shuffled by {@code rng} (kept in order when null), {@code perBatch} pairs to a batch. */
    static List<RewardBatch> batches(List<Example> examples, boolean margins, int perBatch, Random rng, PreferenceProcessor processor) {
        List<Example> order = new ArrayList<>(examples);
        if (rng != null) Collections.shuffle(order, rng);
        List<RewardBatch> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += perBatch) {
            List<Example> part = order.subList(i, Math.min(i + perBatch, order.size()));
            Batch batch = PreferenceData.batch(part.stream().map(Example::pair).toList(), processor);
            float[] m = null;
            if (margins) {
                m = new float[part.size()];
                for (int j = 0; j < m.length; j++) m[j] = part.get(j).margin();
            }
            out.add(new RewardBatch(batch, m));
        }
        return out;
    }
}
