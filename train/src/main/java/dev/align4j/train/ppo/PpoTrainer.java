package dev.align4j.train.ppo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.ScoreModels;
import dev.align4j.io.peft.PeftAdapters;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;
import dev.align4j.models.ScoreModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Elementwise;
import dev.align4j.tensor.ShapeOps;
import dev.align4j.tensor.Tensor;
import dev.align4j.tensor.optim.AdamW;
import dev.align4j.tensor.optim.GradClip;
import dev.align4j.tensor.optim.LrSchedule;
import dev.align4j.train.Checkpoints;
import dev.align4j.train.MetricsLog;
import dev.align4j.train.ModelState;
import dev.align4j.train.PeftArguments;
import dev.align4j.train.Policy;
import dev.align4j.train.Progress;
import dev.align4j.train.ResponseBatch;
import dev.align4j.train.Prompts;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.TrainerState;
import dev.align4j.train.loss.PpoAdvantages;
import dev.align4j.train.loss.PpoLoss;
import dev.align4j.train.reward.RewardModels;
import dev.align4j.train.reward.ScoreModelState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Proximal policy optimisation against a reward model, as TRL's {@code PPOTrainer}: stage 3 of the
 * InstructGPT pipeline (Ouyang et al. 2022, arXiv:2203.02155, §3.5; the recipe of Ziegler et al. 2019,
 * "Fine-Tuning Language Models from Human Preferences", arXiv:1909.08593).
 *
 * <p>One update, top to bottom (trl/experimental/ppo/ppo_trainer.py, {@code train}):
 * <ol>
 * <li>Rollout: the batch's prompts are completed by the generation engine (all at once, continuous
 * batching over the KV cache), sampled at {@code temperature}, at most {@code response_length} tokens,
 * ending at the stop token when one is set; the engine gives each token's log-prob under the
 * sampling distribution, the policy's old log-probs.</li>
 * <li>Scoring, without gradients, in packed batches of {@code local_rollout_forward_batch_size}
 * sequences: the reference's log-probs of the response tokens (its logits divided by the
 * temperature too; with LoRA the reference is the policy with its adapters off), the value model's
 * value of each response position (the state before the token), and the reward model's score of
 * each prompt + response, less {@code missing_eos_penalty} when the response has no EOS.</li>
 * <li>Advantages ({@link PpoAdvantages}): per-token reward {@code −kl_coef·kl_t} plus the score on
 * the last token, GAE, whitened advantages.</li>
 * <li>{@code num_ppo_epochs} passes over the batch in a fresh random order, each split into
 * {@code num_mini_batches} optimizer steps, each on its mini-batch's micro-batches of
 * {@code per_device_train_batch_size} responses ({@code gradient_accumulation_steps / num_mini_batches}
 * of them): the clipped policy loss plus {@code vf_coef} times the clipped value loss
 * ({@link PpoLoss}), a mean over each micro-batch's tokens, the mini-batch's loss the mean of its
 * micro-batches'; the policy and value model trained together; gradient clipping to
 * {@code max_grad_norm}; the learning rate of the schedule at this update.</li>
 * <li>TRL's metrics, one record per update in {@code metrics.jsonl}.</li>
 * </ol>
 *
 * <p>Deviations from TRL, all from batches being packed rather than padded: a response is its
 * generated tokens up to and including the stop token (no pad positions), so the score is added at
 * the response's last token and the value after it is 0, where TRL's padding places the score one
 * position past the last token when there is room. What it is not yet: sample generations, or a
 * reward model with another tokenizer (refused).
 */
public final class PpoTrainer {
    /** How a run ended: the updates done, whether a stop request ended it early, and the last update's metrics. */
    public record Result(int updates, boolean stoppedEarly, Map<String, Double> lastMetrics, Path outputDir) {}

    /** One prompt's rollout: its tokens and everything the epochs need, per response token. */
    record Sample(int[] query, int[] response, float[] logprobs, float[] refLogprobs, float[] values, double score, double judgeScore) {}

    /**
     * One update's metrics and the seconds each phase took: generation (the engine), scoring (the
     * reference, value, reward and judge models over the responses) and optimisation (advantages and
     * the PPO epochs).
     */
    public record Update(Map<String, Double> metrics, double generateSeconds, double scoreSeconds, double optimiseSeconds) {}

    private final PPOConfig c;
    private final Policy policy;
    private final CausalLM model, reference; // reference null: the policy with its adapters off
    private final ScoreModel reward, judge, value;
    private final ModelState checkpointed; // the policy and the value model
    private final List<int[]> prompts;
    private final int batch, updates, eos;
    private final int[] stop;
    private final Map<String, Tensor> trainable;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final Generator generator;
    private final Progress progress;
    private volatile boolean stopRequested;
    private List<int[]> order; // the prompts of pass orderPass
    private int orderPass = -1;

    private PpoTrainer(PPOConfig c, Policy policy, CausalLM reference, ScoreModel reward, ScoreModel judge, ScoreModels.Loaded value,
                       List<int[]> prompts, int eos, Progress progress) {
        this.c = c;
        this.policy = policy;
        this.model = policy.model();
        this.reference = reference;
        this.reward = reward;
        this.judge = judge;
        this.value = value.model();
        this.prompts = prompts;
        this.eos = eos;
        this.progress = progress;
        this.batch = c.rolloutBatch();
        this.stop = c.stopTokenId != null ? new int[] {c.stopTokenId} : "eos".equals(c.stopToken) ? new int[] {eos} : new int[0];
        long episodes = c.totalEpisodes != null ? c.totalEpisodes : (long) (c.numTrainEpochs * prompts.size());
        this.updates = c.maxSteps > 0 ? c.maxSteps : (int) Math.ceil((double) episodes / batch);
        this.checkpointed = new PpoModelState(policy.state(), new ScoreModelState(value));
        this.trainable = new LinkedHashMap<>(policy.trainable());
        this.value.parameters().forEach((name, t) -> trainable.put(PpoModelState.VALUE + "." + name, t));
        for (Tensor t : trainable.values()) t.requiresGrad(true);
        this.optimizer = TrainerLoop.adamW(c, trainable);
        this.schedule = c.schedule(updates);
        this.generator = new Generator(model, Math.max(1, Math.min(batch, 64))); // made after requiresGrad: it reads live weights
    }

    /**
     * Loads the config's models and prompts and checks them before any compute.
     *
     * @throws IllegalArgumentException naming the file or key when the prompts are fewer than one batch, a prompt and
     *                                  response_length overflow the context, or the reward model's tokenizer differs
     */
    public static PpoTrainer create(PPOConfig c, Progress progress) throws IOException {
        c.validate();
        Path sftDir = Path.of(c.sftModelPath);
        if (c.valueModelPath == null && PeftAdapters.isAdapter(Path.of(c.rewardModelPath))) {
            throw new IllegalArgumentException("config: reward_model_path " + c.rewardModelPath + " is a LoRA adapter; set value_model_path to a"
                    + " model folder to start the value model from");
        }
        Tokenizer tokenizer = Tokenizer.load(sftDir);
        List<int[]> prompts = Prompts.load(c.datasetName, c.datasetTrainSplit, c.skipInvalidRows, tokenizer, sftDir, c.maxPromptLength)
                .stream().map(Prompts.Prompt::ids).toList();
        if (prompts.size() < c.rolloutBatch()) {
            throw new IllegalArgumentException(c.datasetName + ": " + prompts.size() + " prompts, fewer than one batch of " + c.rolloutBatch()
                    + " (per_device_train_batch_size × gradient_accumulation_steps); add prompts or lower the batch");
        }
        int eos = tokenizer.eosTokenId().orElseThrow(() -> new IllegalArgumentException(sftDir + ": the tokenizer has no EOS token"));
        RewardModels.Opened reward = RewardModels.open(Path.of(c.rewardModelPath));
        requireSameTokenizer(sftDir, reward.tokenizer());
        RewardModels.Opened judge = c.judgeModelPath == null ? null : RewardModels.open(Path.of(c.judgeModelPath));
        if (judge != null) requireSameTokenizer(sftDir, judge.tokenizer());

        LoadedModel loaded = HfModels.load(sftDir, LoadOptions.defaults().withLoadIn4Bit(PeftArguments.quantization(c)));
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        if (longest + c.responseLength > loaded.model().contextLength()) {
            throw new IllegalArgumentException("config: response_length " + c.responseLength + " after the longest prompt (" + longest
                    + " tokens) is " + (longest + c.responseLength) + " tokens, beyond the model's context of "
                    + loaded.model().contextLength() + "; lower response_length or set max_prompt_length");
        }
        Policy policy = Policy.of(c, loaded, c.sftModelPath);
        ScoreModels.Loaded value = ScoreModels.load(Path.of(c.valueModelPath != null ? c.valueModelPath : c.rewardModelPath),
                LoadOptions.defaults(), reward.model().padTokenId(), c.seed);
        value.model().backbone().gradientCheckpointing(c.gradientCheckpointing);
        CausalLM reference = policy.lora() != null ? null : HfModels.load(sftDir).model();
        return new PpoTrainer(c, policy, reference, reward.model(), judge == null ? null : judge.model(), value, prompts, eos, progress);
    }

    /**
     * A trainer over models already loaded (what {@link #create} builds from the config's folders; what
     * {@code bench ppo} builds from random weights), with no judge.
     *
     * @param reference the frozen reference, or null under LoRA (the policy with its adapters off)
     * @param prompts   the prompts' token ids
     * @param eos       the EOS token id ({@code stop_token eos}, {@code missing_eos_penalty}, {@code val/num_eos_tokens})
     */
    public static PpoTrainer of(PPOConfig c, Policy policy, CausalLM reference, ScoreModel reward, ScoreModels.Loaded value,
                                List<int[]> prompts, int eos, Progress progress) {
        c.validate();
        if (prompts.size() < c.rolloutBatch()) throw new IllegalArgumentException(prompts.size() + " prompts, fewer than one batch of " + c.rolloutBatch());
        return new PpoTrainer(c, policy, reference, reward, null, value, prompts, eos, progress);
    }

    /** Asks the run to stop after the update in progress, saving a checkpoint (SIGINT calls this). */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Runs every update (from a checkpoint with {@code resume_from_checkpoint}), logging one record per
     * update to {@code metrics.jsonl}, saving {@code checkpoint-N} every {@code save_steps} updates
     * (the policy, the value model under {@code value_model/}, the optimizer), and the policy in
     * {@code output_dir} at the end. Every random draw is a function of the seed and the update, so a
     * resumed run ends bit-identical to one that never stopped.
     */
    public Result run() throws IOException {
        Path outputDir = Path.of(c.outputDir);
        Files.createDirectories(outputDir);
        MetricsLog log = new MetricsLog(outputDir.resolve("metrics.jsonl"));
        TrainerState state = Checkpoints.begin(c, outputDir, checkpointed, trainable, optimizer, log, progress);
        progress.message("ppo: " + prompts.size() + " prompts, " + updates + " updates of " + batch + " responses; reference: "
                + (reference == null ? "the base with the adapters off" : "a frozen copy of " + c.sftModelPath));
        progress.start(updates, state.globalStep);
        TrainerState s = state;
        double epochs = (double) updates * batch / prompts.size();
        Map<String, Double> metrics = Map.of();
        long start = System.nanoTime(), episodesHere = 0;
        while (s.globalStep < updates) {
            int update = s.globalStep + 1;
            Update u = update(update);
            episodesHere += batch;
            metrics = new LinkedHashMap<>();
            metrics.put("eps", Math.floor(episodesHere / ((System.nanoTime() - start) / 1e9)));
            metrics.putAll(u.metrics());
            s.globalStep = update;
            s.epoch = (double) update * batch / prompts.size();
            s.numInputTokensSeen += Math.round(u.metrics().get("completions/mean_length") * batch);
            ObjectNode record = JsonLines.MAPPER.createObjectNode();
            metrics.forEach(record::put);
            record.put("epoch", s.epoch);
            record.put("step", update);
            s.logHistory.add(record);
            log.append(record);
            if (update % c.loggingSteps == 0 || update == 1 || update == updates) progress.log(record);
            progress.step(update, u.metrics().get("loss/policy_avg"), Math.round(u.metrics().get("completions/mean_length") * batch));
            boolean last = update == updates;
            if (("steps".equals(c.saveStrategy) && update % c.saveSteps == 0) || (stopRequested && !last)) {
                Path saved = Checkpoints.save(outputDir, c, s, () -> s.toJson(c, updates, epochs), checkpointed, trainable, optimizer);
                progress.message("saved " + saved);
            }
            if (stopRequested && !last) {
                progress.finish();
                progress.message("stopped at update " + update + "; resume with --resume_from_checkpoint true");
                return new Result(update, true, metrics, outputDir);
            }
        }
        progress.finish();
        policy.state().save(outputDir);
        Files.writeString(outputDir.resolve(TrainerState.FILE), s.toJson(c, updates, epochs).toPrettyString());
        return new Result(s.globalStep, false, metrics, outputDir);
    }

    /** Update {@code update} (from 1): its prompts' rollout, advantages and PPO epochs, timed by phase. */
    public Update update(int update) {
        List<int[]> queries = queries(update);
        long t0 = System.nanoTime();
        List<int[]> responses = new ArrayList<>(batch);
        List<float[]> logprobs = new ArrayList<>(batch);
        try (var g = Autograd.noGrad()) {
            List<Request> requests = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                requests.add(new Request(queries.get(i), new SamplingParams(1, c.responseLength, c.temperature, 0, 1, 0, 1,
                        c.seed + (long) update * batch + i, stop)));
            }
            for (List<Completion> cs : generator.generate(requests)) {
                responses.add(cs.getFirst().tokenIds());
                logprobs.add(cs.getFirst().logprobs());
            }
        }
        long t1 = System.nanoTime();
        List<Sample> samples = score(queries, responses, logprobs);
        long t2 = System.nanoTime();
        float[][] lp = new float[batch][], ref = new float[batch][], values = new float[batch][];
        double[] scores = new double[batch];
        for (int i = 0; i < batch; i++) {
            lp[i] = samples.get(i).logprobs();
            ref[i] = samples.get(i).refLogprobs();
            values[i] = samples.get(i).values();
            scores[i] = samples.get(i).score();
        }
        PpoAdvantages.Rollout r = PpoAdvantages.compute(new PpoAdvantages.Options(c.klCoef, PpoAdvantages.KlEstimator.of(c.klEstimator),
                c.gamma, c.lam, c.whitenRewards), lp, ref, values, scores);
        double lr = schedule.learningRate(update - 1);
        optimizer.setLearningRate(lr);
        Map<String, Double> stats = epochs(samples, r, update);
        long t3 = System.nanoTime();

        Map<String, Double> metrics = new LinkedHashMap<>(r.metrics());
        if (judge != null) metrics.put("objective/judge_scores", samples.stream().mapToDouble(Sample::judgeScore).average().orElseThrow());
        metrics.putAll(stats);
        long eosCount = 0, length = 0;
        for (Sample s : samples) {
            for (int t : s.response()) if (t == eos) eosCount++;
            length += s.response().length;
        }
        metrics.put("val/num_eos_tokens", (double) eosCount);
        metrics.put("completions/mean_length", (double) length / batch);
        metrics.put("lr", lr);
        metrics.put("episode", (double) update * batch);
        return new Update(metrics, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
    }

    /**
     * The prompts of update {@code update}: the stream of passes over the prompts, each pass shuffled
     * with {@code seed + pass}, cut into batches (TRL's DataLoader with shuffle and drop_last over
     * repeated passes, here without dropping: a batch may span two passes).
     */
    List<int[]> queries(int update) {
        List<int[]> out = new ArrayList<>(batch);
        int n = prompts.size();
        for (long k = (long) (update - 1) * batch; k < (long) update * batch; k++) out.add(pass((int) (k / n)).get((int) (k % n)));
        return out;
    }

    /** Pass {@code pass} over the prompts, shuffled with {@code seed + pass}; the last one made is kept. */
    private List<int[]> pass(int pass) {
        if (pass != orderPass) {
            order = new ArrayList<>(prompts);
            Collections.shuffle(order, new Random(c.seed + pass));
            orderPass = pass;
        }
        return order;
    }

    /** Scores each response with the reference, value, reward and judge models, without gradients. */
    private List<Sample> score(List<int[]> queries, List<int[]> responses, List<float[]> logprobs) {
        List<Sample> out = new ArrayList<>(queries.size());
        int chunk = c.localRolloutForwardBatchSize;
        for (int from = 0; from < queries.size(); from += chunk) {
            int to = Math.min(from + chunk, queries.size());
            ResponseBatch p = ResponseBatch.of(queries.subList(from, to), responses.subList(from, to));
            float[] refLp, vals, scores, judged = null;
            try (var g = Autograd.noGrad()) {
                if (reference != null) {
                    refLp = p.logprobs(reference, c.temperature).toArray();
                } else {
                    try (var off = policy.lora().disabled()) {
                        refLp = p.logprobs(model, c.temperature).toArray();
                    }
                }
                vals = ShapeOps.indexSelect(value.tokenScores(p.batch()), 0, p.rows()).toArray();
                scores = reward.sequenceScores(p.batch()).toArray();
                if (judge != null) judged = judge.sequenceScores(p.batch()).toArray();
            }
            int at = 0;
            for (int i = from; i < to; i++) {
                int[] resp = responses.get(i);
                int n = resp.length;
                boolean hasEos = Arrays.stream(resp).anyMatch(t -> t == eos);
                double score = scores[i - from] - (!hasEos && c.missingEosPenalty != null ? c.missingEosPenalty : 0);
                out.add(new Sample(queries.get(i), resp, logprobs.get(i), Arrays.copyOfRange(refLp, at, at + n),
                        Arrays.copyOfRange(vals, at, at + n), score, judged == null ? Double.NaN : judged[i - from]));
                at += n;
            }
        }
        return out;
    }

    /** The PPO epochs over one rollout batch; TRL's per-update statistics, means over every micro-batch. */
    private Map<String, Double> epochs(List<Sample> samples, PpoAdvantages.Rollout r, int update) {
        PpoLoss.Options losses = new PpoLoss.Options(c.cliprange, c.cliprangeValue, c.vfCoef);
        Random order = new Random(c.seed + 1_000_003L * update);
        int b = samples.size(), mini = b / c.numMiniBatches, micro = c.perDeviceTrainBatchSize;
        Map<String, List<Double>> stats = new LinkedHashMap<>();
        List<Tensor> params = optimizer.params();
        if (policy.lora() != null) policy.lora().setTraining(true);
        try {
            for (int epoch = 0; epoch < c.numPpoEpochs; epoch++) {
                List<Integer> perm = new ArrayList<>();
                for (int i = 0; i < b; i++) perm.add(i);
                Collections.shuffle(perm, order);
                int micros = Math.ceilDiv(mini, micro); // each mini-batch's loss is the mean of its micro-batches'
                for (int m = 0; m < b; m += mini) {
                    for (int u = m; u < m + mini; u += micro) {
                        List<Integer> idx = perm.subList(u, Math.min(u + micro, m + mini));
                        List<int[]> q = new ArrayList<>(), resp = new ArrayList<>();
                        List<float[]> old = new ArrayList<>(), adv = new ArrayList<>(), vOld = new ArrayList<>(), ret = new ArrayList<>();
                        for (int i : idx) {
                            Sample s = samples.get(i);
                            q.add(s.query());
                            resp.add(s.response());
                            old.add(s.logprobs());
                            vOld.add(s.values());
                            adv.add(toFloat(r.advantages()[i]));
                            ret.add(toFloat(r.returns()[i]));
                        }
                        ResponseBatch p = ResponseBatch.of(q, resp);
                        if (policy.lora() != null) policy.lora().setDropoutSeed(Arrays.hashCode(new long[] {c.seed, update, epoch, u}));
                        Tensor scaled = p.scaledLogits(model, c.temperature);
                        Tensor newLp = p.logprobs(scaled);
                        Tensor vpred = ShapeOps.indexSelect(value.tokenScores(p.batch()), 0, p.rows());
                        PpoLoss.Result loss = PpoLoss.compute(losses, newLp, flat(old), flat(adv), vpred, flat(vOld), flat(ret));
                        Elementwise.mulScalar(loss.loss(), 1f / micros).backward();
                        loss.metrics().forEach((k, v) -> stats.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
                        stats.computeIfAbsent("policy/entropy", x -> new ArrayList<>()).add(p.meanEntropy(scaled.detach()));
                    }
                    double norm = GradClip.totalNorm(params);
                    optimizer.stepAndZeroGrad(c.maxGradNorm > 0 ? GradClip.coefficient(norm, c.maxGradNorm) : 1f);
                    stats.computeIfAbsent("grad_norm", x -> new ArrayList<>()).add(norm);
                }
            }
        } finally {
            if (policy.lora() != null) policy.lora().setTraining(false);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        stats.forEach((k, v) -> {
            double mean = v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            out.put(k.equals("val/ratio") || k.equals("grad_norm") ? k : k + "_avg", mean);
            if (k.equals("val/ratio")) {
                double var = v.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / Math.max(1, v.size() - 1);
                out.put("val/ratio_var", var);
            }
        });
        return out;
    }

    /** The reward model must read the policy's token ids: refused, naming both files, when the tokenizers differ. */
    static void requireSameTokenizer(Path policyDir, Path rewardTokenizerDir) throws IOException {
        Path a = policyDir.resolve("tokenizer.json"), b = rewardTokenizerDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(b) || Files.mismatch(a, b) != -1) {
            throw new IllegalArgumentException(b + " differs from " + a + ": the reward model must share the policy's tokenizer, "
                    + "since it scores the policy's token ids (train the reward model from the SFT model)");
        }
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    private static float[] flat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
