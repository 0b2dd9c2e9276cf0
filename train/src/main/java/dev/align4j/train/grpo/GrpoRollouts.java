package dev.align4j.train.grpo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.generate.Completion;
import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.io.JsonLines;
import dev.align4j.models.CausalLM;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.train.Progress;
import dev.align4j.train.Prompts;
import dev.align4j.train.ResponseBatch;
import dev.align4j.train.loss.GrpoAdvantages;
import dev.align4j.train.rewards.RewardFunction;
import dev.align4j.train.rewards.RewardFunctions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The generation rounds of GRPO and RLOO, made when the trainer loop first asks for one of their micro-batches:
 * the round's prompts ({@code generation_batch_size / num_generations} of them, in the epoch's
 * shuffled order) each completed {@code num_generations} times by the generation engine — the group
 * shares its prompt's prefill — then scored by the reward functions, the rewards normalised within
 * each group by the method ({@link Advantages}: GRPO's or RLOO's), the reference's log-probs
 * taken when {@code beta > 0}, and the policy's own when the method needs them or the policy will
 * have changed before the round is trained on
 * ({@code gradient_accumulation_steps} not a multiple of {@code steps_per_generation × num_iterations},
 * as TRL decides); the round's completions shuffled and cut into {@code steps_per_generation}
 * micro-batches (trl/trainer/grpo_trainer.py, {@code _prepare_inputs} and
 * {@code _generate_and_score_completions}).
 *
 * <p>Every random draw is a function of the seed and the round, so a run resumed at a round's
 * first step regenerates that round exactly. Rounds are kept until no step needs them.
 */
final class GrpoRollouts {

    /** One completion of a round. */
    record Sample(Prompts.Prompt prompt, int[] completion, String text, boolean truncated) {}

    /**
     * A generated, scored round.
     *
     * @param samples    its completions, group by group (num_generations consecutive ones per prompt)
     * @param advantages one per completion
     * @param old        the policy's log-probs of each completion's tokens at generation, or null when the current policy's serve
     * @param ref        the reference's, or null when beta is 0
     * @param slices     the completions of each micro-batch, by index into samples
     * @param metrics    the round's metrics under TRL's names (reward, reward_std, rewards/f/mean, completions/..., frac_reward_zero_std)
     */
    record Round(List<Sample> samples, double[] advantages, float[][] old, float[][] ref, List<int[]> slices, Map<String, Double> metrics) {}

    /**
     * How a method turns a round's rewards into advantages: GRPO's group normalisation, RLOO's
     * leave-one-out baseline with its KL penalty.
     */
    interface Advantages {
        /**
         * @param rewards the reward functions' scores of the round's completions, group by group
         * @param samples the completions
         * @param old     each completion's per-token log-probs under the policy at generation, or null
         * @param ref     the reference's, or null (beta 0)
         */
        GrpoAdvantages.Result compute(RewardFunctions.Result rewards, List<Sample> samples, float[][] old, float[][] ref);

        /** Whether a micro-batch holds whole groups (online DPO's pairs) rather than completions shuffled apart. */
        default boolean wholeGroups() {
            return false;
        }

        /** Whether the method reads the policy's log-probs at generation even when the policy will not change before training. */
        default boolean needsOld() {
            return false;
        }
    }

    private final GroupConfig c;
    private final Advantages method;
    private final CausalLM policy, reference; // reference null: the policy with its adapters off (under LoRA), or none (beta 0)
    private final LoraModel lora;
    private final Function<int[], String> decode;
    private final List<Prompts.Prompt> prompts;
    private final RewardFunctions rewards;
    private final int[] stop;
    private final Path completionsLog;
    private final Progress progress;
    private final Map<Long, Round> rounds = new LinkedHashMap<>();
    private Generator generator;
    private long generationNanos;
    private List<Prompts.Prompt> order;
    private int orderEpoch = -1;

    /**
     * @param reference the frozen reference; null under LoRA (the policy with its adapters off) or with beta 0
     * @param decode    a completion's text from its ids (the tokenizer, special tokens skipped)
     * @param stop      the token ids that end a completion
     */
    GrpoRollouts(GroupConfig c, Advantages method, CausalLM policy, CausalLM reference, LoraModel lora, Function<int[], String> decode, List<Prompts.Prompt> prompts,
                 RewardFunctions rewards, int[] stop, Path completionsLog, Progress progress) {
        this.c = c;
        this.method = method;
        this.policy = policy;
        this.reference = reference;
        this.lora = lora;
        this.decode = decode;
        this.prompts = prompts;
        this.rewards = rewards;
        this.stop = stop;
        this.completionsLog = completionsLog;
        this.progress = progress;
    }

    /** Prompts per round. */
    int promptsPerRound() {
        return c.generationBatch() / c.numGenerations;
    }

    /** Whole rounds in an epoch (the prompts left over are not used that epoch). */
    int roundsPerEpoch() {
        return prompts.size() / promptsPerRound();
    }

    /** The seconds spent generating and scoring rounds so far. */
    double generationSeconds() {
        return generationNanos / 1e9;
    }

    /** Round {@code round} of epoch {@code epoch}, generated on first use. */
    Round round(int epoch, int round) {
        long global = (long) epoch * roundsPerEpoch() + round;
        Round r = rounds.get(global);
        if (r != null) return r;
        long start = System.nanoTime();
        r = generate(epoch, round, global);
        generationNanos += System.nanoTime() - start;
        rounds.put(global, r);
        int keep = Math.ceilDiv(c.gradientAccumulationSteps, c.stepsPerGeneration()) + 1; // rounds one optimizer step can span, and the next
        rounds.keySet().removeIf(g -> g <= global - keep);
        return r;
    }

    private Round generate(int epoch, int round, long global) {
        List<Prompts.Prompt> order = order(epoch);
        int per = promptsPerRound(), g = c.numGenerations;
        List<Prompts.Prompt> mine = order.subList(round * per, (round + 1) * per);
        if (generator == null) generator = new Generator(policy, Math.min(64, c.generationBatch())); // made after the loop marked the trainable tensors
        List<Request> requests = new ArrayList<>(per);
        for (int p = 0; p < per; p++) {
            requests.add(new Request(mine.get(p).ids(), new SamplingParams(g, c.maxCompletionLength, c.temperature, c.topK, c.topP,
                    c.minP == null ? 0 : c.minP, c.repetitionPenalty, c.seed * 1_000_003L + (global * per + p) * g, stop)));
        }
        List<Sample> samples = new ArrayList<>(per * g);
        try (var noGrad = Autograd.noGrad()) {
            List<List<Completion>> done = generator.generate(requests);
            for (int p = 0; p < per; p++) {
                for (Completion completion : done.get(p)) {
                    int[] ids = completion.tokenIds();
                    samples.add(new Sample(mine.get(p), ids, decode.apply(ids), completion.finishReason() == Completion.FinishReason.LENGTH));
                }
            }
        }
        List<RewardFunction.Sample> scored = new ArrayList<>(samples.size());
        for (Sample s : samples) scored.add(new RewardFunction.Sample(s.prompt().text(), s.text(), s.completion().length, s.truncated(), s.prompt().row()));
        RewardFunctions.Result r = rewards.score(scored);
        for (String error : r.errors()) progress.message("reward: " + error);
        for (String warning : r.warnings()) progress.message("reward: " + warning);
        float[][] old = method.needsOld() || policyChangesFirst() ? logprobs(samples, policy, false) : null;
        float[][] ref = c.beta == 0 ? null : logprobs(samples, reference, reference == null);
        GrpoAdvantages.Result a = method.compute(r, samples, old, ref);

        int unit = method.wholeGroups() ? g : 1; // shuffle whole groups, or single completions
        List<Integer> units = new ArrayList<>();
        for (int i = 0; i < samples.size() / unit; i++) units.add(i);
        Collections.shuffle(units, new Random(c.seed * 31 + global));
        int[] shuffled = new int[samples.size()];
        for (int u = 0, k = 0; u < units.size(); u++) for (int j = 0; j < unit; j++) shuffled[k++] = units.get(u) * unit + j;
        List<int[]> slices = new ArrayList<>();
        for (int k = 0; k < c.stepsPerGeneration(); k++) slices.add(Arrays.copyOfRange(shuffled, k * c.microBatch(), (k + 1) * c.microBatch()));

        Map<String, Double> metrics = new LinkedHashMap<>(a.metrics());
        r.metrics().forEach((k, v) -> {
            if (!v.isNaN()) metrics.put(k, v); // a function that applied to no completion (or to one, for the std) has none
        });
        metrics.putAll(lengths(samples));
        if (r.errorCount() > 0) metrics.put("rewards/errors", (double) r.errorCount());
        Round out = new Round(samples, a.advantages(), old, ref, slices, metrics);
        log(out, r, global);
        return out;
    }

    /** The prompts in epoch {@code epoch}'s order (shuffled with the seed and the epoch), kept for the epoch's rounds. */
    private List<Prompts.Prompt> order(int epoch) {
        if (epoch != orderEpoch) {
            order = new ArrayList<>(prompts);
            if (c.shuffleDataset) Collections.shuffle(order, new Random(c.seed + epoch));
            orderEpoch = epoch;
        }
        return order;
    }

    /** TRL's condition for computing the old policy's log-probs at generation: the policy changes before the round is used up. */
    private boolean policyChangesFirst() {
        return c.gradientAccumulationSteps % (c.stepsPerGeneration() * c.numIterations) != 0;
    }

    private float[][] logprobs(List<Sample> samples, CausalLM model, boolean adaptersOff) {
        float[][] out = new float[samples.size()][];
        int chunk = c.microBatch();
        for (int from = 0; from < samples.size(); from += chunk) {
            int to = Math.min(from + chunk, samples.size());
            List<int[]> q = new ArrayList<>(), r = new ArrayList<>();
            for (int i = from; i < to; i++) {
                q.add(samples.get(i).prompt().ids());
                r.add(samples.get(i).completion());
            }
            ResponseBatch batch = ResponseBatch.of(q, r);
            float[] lp;
            try (var noGrad = Autograd.noGrad()) {
                if (adaptersOff) {
                    try (var off = lora.disabled()) {
                        lp = batch.logprobs(policy, c.logprobTemperature()).toArray();
                    }
                } else {
                    lp = batch.logprobs(model, c.logprobTemperature()).toArray();
                }
            }
            int at = 0;
            for (int i = from; i < to; i++) {
                int n = samples.get(i).completion().length;
                out[i] = Arrays.copyOfRange(lp, at, at + n);
                at += n;
            }
        }
        return out;
    }

    /** TRL's completion-length metrics of a round. */
    private static Map<String, Double> lengths(List<Sample> samples) {
        Map<String, Double> m = new LinkedHashMap<>();
        double sum = 0, min = Double.MAX_VALUE, max = 0, tSum = 0, tMin = Double.MAX_VALUE, tMax = 0;
        int truncated = 0, terminated = 0;
        for (Sample s : samples) {
            int n = s.completion().length;
            sum += n;
            min = Math.min(min, n);
            max = Math.max(max, n);
            if (s.truncated()) {
                truncated++;
            } else {
                terminated++;
                tSum += n;
                tMin = Math.min(tMin, n);
                tMax = Math.max(tMax, n);
            }
        }
        m.put("completions/mean_length", sum / samples.size());
        m.put("completions/min_length", min);
        m.put("completions/max_length", max);
        m.put("completions/clipped_ratio", (double) truncated / samples.size());
        m.put("completions/mean_terminated_length", terminated == 0 ? 0 : tSum / terminated);
        m.put("completions/min_terminated_length", terminated == 0 ? 0 : tMin);
        m.put("completions/max_terminated_length", terminated == 0 ? 0 : tMax);
        return m;
    }

    /**
     * Appends the round's completions to {@code completions.jsonl} when its first optimizer step is a
     * logging step: step, prompt, completion, each function's reward, the total and the advantage.
     */
    private void log(Round round, RewardFunctions.Result r, long global) {
        long firstStep = global * c.stepsPerGeneration() * c.numIterations / c.gradientAccumulationSteps + 1;
        if (firstStep != 1 && firstStep % c.loggingSteps != 0) return;
        int n = c.numCompletionsToPrint == null ? round.samples().size() : Math.min(c.numCompletionsToPrint, round.samples().size());
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Sample s = round.samples().get(i);
            ObjectNode line = JsonLines.MAPPER.createObjectNode();
            line.put("step", firstStep);
            line.put("prompt", s.prompt().text());
            line.put("completion", s.text());
            for (int f = 0; f < r.names().size(); f++) {
                Double v = r.scores().get(f).get(i);
                if (v == null) line.putNull(r.names().get(f));
                else line.put(r.names().get(f), v);
            }
            line.put("reward", r.totals()[i]);
            line.put("advantage", round.advantages()[i]);
            try {
                lines.append(JsonLines.MAPPER.writeValueAsString(line)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try {
            Files.createDirectories(completionsLog.getParent());
            Files.writeString(completionsLog, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(completionsLog + ": " + e.getMessage(), e);
        }
    }
}
