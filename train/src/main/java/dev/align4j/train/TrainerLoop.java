package dev.align4j.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.io.JsonLines;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.optim.AdamW;
import dev.align4j.tensor.optim.GradClip;
import dev.align4j.tensor.optim.LrSchedule;
import dev.align4j.tensor.optim.ParamGroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loop every trainer uses: batches in, optimizer steps out, with accumulation, clipping,
 * schedules, evaluation, logging and checkpoints. A trainer supplies its data, its trainable
 * parameters, how its model is saved and its loss ({@link Objective}); nothing here knows the method.
 *
 * <p>One optimizer step, as transformers' {@code Trainer._inner_training_loop} does it: take the
 * next {@code gradient_accumulation_steps} micro-batches, count the items their losses sum over, run
 * forward and backward on each with its loss divided by that count, clip the global gradient norm to
 * {@code max_grad_norm} (the norm before clipping is logged as {@code grad_norm}), set the learning
 * rate of the schedule at this step, take an AdamW step (weight decay on matrices only: transformers
 * exempts biases and norm weights), zero the gradients — clipping's scale, the step and the zeroing
 * in one pass over memory ({@link dev.align4j.tensor.optim.AdamW#stepAndZeroGrad}). Every {@code logging_steps} steps a record
 * goes to {@code log_history}, {@code OUTPUT_DIR/metrics.jsonl} and the console: {@code loss} (the
 * mean of the steps' losses since the last record), {@code grad_norm}, {@code learning_rate} (the
 * one this step used), {@code epoch} (fractional), {@code num_tokens}, the objective's metrics
 * from their sums over the window ({@link Objective#metrics}: means per item unless the objective
 * says otherwise), {@code step}. Evaluation ({@code eval_strategy}) logs {@code eval_loss} and
 * {@code eval_}-prefixed metrics.
 *
 * <p>Resume: the batches of an epoch are a function of the epoch (the data layer shuffles with the
 * seed and the epoch), so a run restarts at {@code global_step} exactly: the model, the optimizer
 * moments and the history come from the checkpoint and the next micro-batch is the one the stopped
 * run would have taken — with the same thread count, a resumed run ends bit-identical to one that
 * never stopped. {@link #requestStop} (SIGINT in the commands) ends the run after the current step
 * with a checkpoint. A loss that is NaN or infinite stops the run before that step's update, naming
 * the step; nothing of it is saved.
 *
 * @param <B> the trainer's batch type
 */
public final class TrainerLoop<B> {

    /** The batches of each epoch, in order; the same epoch gives the same batches every time. */
    public interface Data<B> {
        List<B> epoch(int epoch);
    }

    /** How a run ended. */
    public record Result(int globalStep, double trainingLoss, boolean stoppedEarly, Path outputDir) {}

    private final TrainingArguments args;
    private final Map<String, Tensor> trainable;
    private final Objective<B> objective;
    private final Data<B> train;
    private final Data<B> eval;
    private final ModelState model;
    private final Progress progress;
    private volatile boolean stopRequested;

    /**
     * @param trainable the parameters to train, by name (the checkpoint names their optimizer state so);
     *                  they are marked as requiring gradients
     * @param eval      evaluation batches (epoch 0 is used), or null for none
     */
    public TrainerLoop(TrainingArguments args, Map<String, Tensor> trainable, Objective<B> objective, Data<B> train, Data<B> eval,
                       ModelState model, Progress progress) {
        args.validate();
        if (trainable.isEmpty()) throw new IllegalArgumentException("TrainerLoop: no trainable parameters");
        if (!"no".equals(args.evalStrategy) && eval == null) {
            throw new IllegalArgumentException("config: eval_strategy is \"" + args.evalStrategy + "\" but there is no eval dataset");
        }
        this.args = args;
        this.trainable = new LinkedHashMap<>(trainable);
        for (Tensor t : trainable.values()) t.requiresGrad(true);
        this.objective = objective;
        this.train = train;
        this.eval = eval;
        this.model = model;
        this.progress = progress;
    }

    /** Asks the run to stop after the step in progress, saving a checkpoint (SIGINT calls this). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Trains to the end (or to a requested stop) and saves the final model in output_dir. */
    public Result run() throws IOException {
        Path outputDir = Path.of(args.outputDir);
        int batchesPerEpoch = train.epoch(0).size();
        if (batchesPerEpoch == 0) throw new IllegalArgumentException("the training dataset gives no batches");
        int stepsPerEpoch = Math.ceilDiv(batchesPerEpoch, args.gradientAccumulationSteps);
        int maxSteps = args.maxSteps > 0 ? args.maxSteps : (int) Math.ceil(args.numTrainEpochs * stepsPerEpoch);
        double numTrainEpochs = args.maxSteps > 0 ? Math.ceil((double) maxSteps / stepsPerEpoch) : args.numTrainEpochs;
        LrSchedule schedule = args.schedule(maxSteps);
        AdamW optimizer = adamW(args, trainable);
        MetricsLog metrics = new MetricsLog(outputDir.resolve("metrics.jsonl"));
        TrainerState state = Checkpoints.begin(args, outputDir, model, trainable, optimizer, metrics, progress);
        TrainerState s = state;
        progress.start(maxSteps, s.globalStep);
        List<B> epochBatches = null;
        int loadedEpoch = -1;
        double windowLoss = 0, lastLoss = Double.NaN;
        int windowSteps = 0;
        long windowItems = 0;
        Map<String, Double> windowMetrics = new LinkedHashMap<>();
        while (s.globalStep < maxSteps) {
            int epoch = s.globalStep / stepsPerEpoch, within = s.globalStep % stepsPerEpoch;
            if (epoch != loadedEpoch) {
                epochBatches = train.epoch(epoch);
                if (epochBatches.size() != batchesPerEpoch) {
                    throw new IllegalStateException("epoch " + epoch + " gives " + epochBatches.size() + " batches, epoch 0 gave "
                            + batchesPerEpoch + "; the data must give the same number every epoch");
                }
                loadedEpoch = epoch;
            }
            List<B> micro = epochBatches.subList(within * args.gradientAccumulationSteps,
                    Math.min((within + 1) * args.gradientAccumulationSteps, batchesPerEpoch));
            long items = 0, tokens = 0;
            for (B b : micro) {
                items += objective.items(b);
                tokens += objective.tokens(b);
            }
            double stepLoss = 0;
            for (B b : micro) {
                Objective.Loss loss = objective.loss(b);
                double value = loss.sum().item();
                if (!Double.isFinite(value)) {
                    throw new IllegalStateException("step " + (s.globalStep + 1) + ": the loss is " + value + "; the run stops "
                            + "before this step's update (lower learning_rate or check the data); " + lastCheckpoint(outputDir));
                }
                stepLoss += value / Math.max(1, items);
                Elementwise.mulScalar(loss.sum(), (float) (1.0 / Math.max(1, items))).backward();
                loss.metricSums().forEach((k, v) -> windowMetrics.merge(k, v, Double::sum));
            }
            List<Tensor> params = optimizer.params();
            double gradNorm = GradClip.totalNorm(params);
            double lr = schedule.learningRate(s.globalStep);
            optimizer.setLearningRate(lr);
            optimizer.stepAndZeroGrad(args.maxGradNorm > 0 ? GradClip.coefficient(gradNorm, args.maxGradNorm) : 1f);
            s.globalStep++;
            s.numInputTokensSeen += tokens;
            s.epoch = (double) s.globalStep / stepsPerEpoch;
            windowLoss += stepLoss;
            windowSteps++;
            windowItems += items;
            lastLoss = stepLoss;
            progress.step(s.globalStep, stepLoss, tokens);
            boolean last = s.globalStep == maxSteps, epochEnd = s.globalStep % stepsPerEpoch == 0;
            if (s.globalStep % args.loggingSteps == 0 || (args.loggingFirstStep && s.globalStep == 1) || last) {
                ObjectNode record = JsonLines.MAPPER.createObjectNode();
                record.put("loss", windowLoss / windowSteps);
                record.put("grad_norm", gradNorm);
                record.put("learning_rate", lr);
                record.put("epoch", s.epoch);
                record.put("num_tokens", s.numInputTokensSeen);
                objective.metrics(windowMetrics, windowItems).forEach(record::put);
                record.put("step", s.globalStep);
                log(s, metrics, record);
                windowLoss = 0;
                windowSteps = 0;
                windowItems = 0;
                windowMetrics.clear();
            }
            if (("steps".equals(args.evalStrategy) && s.globalStep % args.evalEvery() == 0) || ("epoch".equals(args.evalStrategy) && epochEnd)) {
                log(s, metrics, evaluate(s));
            }
            boolean save = ("steps".equals(args.saveStrategy) && s.globalStep % args.saveSteps == 0)
                    || ("epoch".equals(args.saveStrategy) && epochEnd);
            if (save || (stopRequested && !last)) {
                Path saved = Checkpoints.save(outputDir, args, s, () -> s.toJson(args, maxSteps, numTrainEpochs), model, trainable, optimizer);
                progress.message("saved " + saved);
            }
            if (stopRequested && !last) {
                progress.finish();
                progress.message("stopped at step " + s.globalStep + "; resume with --resume_from_checkpoint true");
                return new Result(s.globalStep, lastLoss, true, outputDir);
            }
        }
        progress.finish();
        model.save(outputDir);
        Files.writeString(outputDir.resolve(TrainerState.FILE), s.toJson(args, maxSteps, numTrainEpochs).toPrettyString());
        return new Result(s.globalStep, lastLoss, false, outputDir);
    }

    /** The evaluation record: eval_loss per item and the eval_ metrics, both over the whole eval set. */
    private ObjectNode evaluate(TrainerState s) {
        double sum = 0;
        long items = 0;
        Map<String, Double> metrics = new LinkedHashMap<>();
        try (var g = Autograd.noGrad()) {
            for (B b : eval.epoch(0)) {
                items += objective.items(b);
                Objective.Loss loss = objective.loss(b);
                sum += loss.sum().item();
                loss.metricSums().forEach((k, v) -> metrics.merge(k, v, Double::sum));
            }
        }
        ObjectNode record = JsonLines.MAPPER.createObjectNode();
        record.put("eval_loss", sum / Math.max(1, items));
        objective.metrics(metrics, items).forEach((k, v) -> record.put("eval_" + k, v));
        record.put("epoch", s.epoch);
        record.put("step", s.globalStep);
        return record;
    }

    private void log(TrainerState s, MetricsLog metrics, ObjectNode record) throws IOException {
        s.logHistory.add(record);
        metrics.append(record);
        progress.log(record);
    }

    /** AdamW over {@code trainable}: weight decay on matrices, none on vectors (biases, norm weights), as transformers groups them. */
    public static AdamW adamW(TrainingArguments args, Map<String, Tensor> trainable) {
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (Tensor t : trainable.values()) (t.rank() >= 2 ? decay : noDecay).add(t);
        List<ParamGroup> groups = new ArrayList<>();
        if (!decay.isEmpty()) groups.add(new ParamGroup(decay, args.weightDecay));
        if (!noDecay.isEmpty()) groups.add(new ParamGroup(noDecay, 0));
        return new AdamW(groups, args.learningRate, args.adamBeta1, args.adamBeta2, args.adamEpsilon);
    }

    private static String lastCheckpoint(Path outputDir) {
        try {
            List<Path> all = Checkpoints.list(outputDir);
            return all.isEmpty() ? "no checkpoint was saved" : "the last checkpoint is " + all.getLast();
        } catch (IOException e) {
            return "no checkpoint could be listed";
        }
    }
}
