package dev.align4j.train.kto;

import dev.align4j.data.Dataset;
import dev.align4j.data.PreferenceProcessor;
import dev.align4j.data.UnpairedExample;
import dev.align4j.io.hf.HfModels;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.train.LoraDropout;
import dev.align4j.train.Objective;
import dev.align4j.train.Policy;
import dev.align4j.train.PreferenceData;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.dpo.DpoObjective;
import dev.align4j.train.loss.KtoLoss;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Kahneman-Tversky optimisation, as TRL's {@code KTOTrainer}: the policy learns from completions
 * labelled desirable or undesirable — unpaired rows ({@code prompt}, {@code completion},
 * {@code label}) or preference rows split in two — relative to a frozen reference and the batch's
 * KL estimate ({@link KtoLoss}: Ethayarajh et al. 2024, arXiv:2402.01306, Eq. 7). Metrics are TRL
 * 1.x's per-label means ({@code rewards/chosen}, {@code rewards/margins}, {@code logps/chosen},
 * {@code logits/chosen}, …) over each logging window, {@code kl}, and TRL 0.2x's sums and counts
 * they are divided from ({@code rewards/chosen_sum}, {@code count/chosen}, …; {@link KtoObjective}).
 *
 * <p>The recipe is DPO's with examples in place of pairs: load the policy; the reference is the
 * policy with its LoRA adapters off under {@code use_peft}, else a frozen model from
 * {@code ref_model_name_or_path} or a second copy of the starting policy; a batch is
 * {@code per_device_train_batch_size} examples and (for {@code loss_type kto}) their mismatched
 * sequences, shuffled each epoch with {@code seed + epoch}. A last batch of one example joins the
 * batch before it, since the KL estimate needs two.
 */
public final class KtoTrainer {
    private KtoTrainer() {}

    /** A ready loop over the config's model, reference and data (call {@link TrainerLoop#run}). */
    public static TrainerLoop<KtoObjective.KtoBatch> create(KTOConfig c, Progress progress) throws IOException {
        c.validate();
        Path modelDir = Path.of(c.modelNameOrPath);
        Policy policy = Policy.load(c, c.modelNameOrPath);
        CausalLM model = policy.model();
        LoraModel lora = policy.lora();
        PreferenceProcessor processor = PreferenceData.processor(modelDir, c.preferenceOptions());
        PreferenceData.Rows rows = PreferenceData.rows(c, progress);
        List<UnpairedExample> trainExamples = examples(rows.train(), processor, c.datasetName);
        List<UnpairedExample> evalExamples = rows.eval() == null ? null : examples(rows.eval(), processor, c.datasetName);
        progress.message("kto: " + rows.train().size() + " rows (" + rows.train().type() + ") → " + trainExamples.size() + " examples, "
                + trainExamples.stream().filter(UnpairedExample::desirable).count() + " desirable");

        DpoObjective.Reference reference = lora != null ? new DpoObjective.Reference.AdaptersOff(lora)
                : new DpoObjective.Reference.Frozen(HfModels.load(Path.of(c.refModelNameOrPath != null ? c.refModelNameOrPath
                    : c.modelNameOrPath)).model());
        KtoLoss.Options options = c.lossOptions();
        Objective<KtoObjective.KtoBatch> objective = new KtoObjective(model, reference, options);
        if (lora != null) objective = new LoraDropout<>(objective, lora, c.seed, b -> Arrays.hashCode(b.sequences().packed().tokens()));
        TrainerLoop.Data<KtoObjective.KtoBatch> trainData = epoch -> batches(trainExamples, c.perDeviceTrainBatchSize,
                new Random(c.seed + epoch), processor, options.lossType());
        TrainerLoop.Data<KtoObjective.KtoBatch> evalData = evalExamples == null ? null
                : epoch -> batches(evalExamples, c.perDeviceEvalBatchSize, null, processor, options.lossType());
        return new TrainerLoop<>(c, policy.trainable(), objective, trainData, evalData, policy.state(), progress);
    }

    private static List<UnpairedExample> examples(Dataset rows, PreferenceProcessor processor, String source) {
        List<UnpairedExample> out = new ArrayList<>();
        for (var row : rows) out.addAll(processor.unpaired(row));
        PreferenceProcessor.requireBothLabels(out, source);
        return out;
    }

    /** The examples shuffled by {@code rng} (kept in order when null), {@code perBatch} to a batch, a last one of one joining the one before. */
    private static List<KtoObjective.KtoBatch> batches(List<UnpairedExample> examples, int perBatch, Random rng, PreferenceProcessor processor,
                                                       KtoLoss.Type type) {
        List<UnpairedExample> order = new ArrayList<>(examples);
        if (rng != null) Collections.shuffle(order, rng);
        List<List<UnpairedExample>> groups = new ArrayList<>();
        for (int i = 0; i < order.size(); i += perBatch) groups.add(new ArrayList<>(order.subList(i, Math.min(i + perBatch, order.size()))));
        if (groups.size() > 1 && groups.getLast().size() == 1) groups.get(groups.size() - 2).addAll(groups.removeLast());
        List<KtoObjective.KtoBatch> out = new ArrayList<>(groups.size());
        for (List<UnpairedExample> g : groups) out.add(KtoObjective.batch(g, processor, type));
        return out;
    }
}
