package dev.align4j.train.grpo;

import dev.align4j.generate.text.GenerationConfig;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.tokenizer.Tokenizer;
import dev.align4j.models.CausalLM;
import dev.align4j.train.LoraDropout;
import dev.align4j.train.Objective;
import dev.align4j.train.Policy;
import dev.align4j.train.Progress;
import dev.align4j.train.Prompts;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.loss.GrpoAdvantages;
import dev.align4j.train.reward.RewardModelReward;
import dev.align4j.train.rewards.RewardFunction;
import dev.align4j.train.rewards.RewardFunctions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * Group relative policy optimisation, as TRL's {@code GRPOTrainer}: for each prompt a group of
 * {@code num_generations} completions is sampled, scored by the reward functions, and each
 * completion's advantage is its reward against its group's (Shao et al. 2024, "DeepSeekMath",
 * arXiv:2402.03300, §4.1; the DeepSeek-R1 recipe); the policy is updated with a clipped objective
 * and no value model ({@link dev.align4j.train.loss.GrpoLoss}).
 *
 * <p>The recipe: load the policy (LoRA adapters with {@code use_peft}); the reference only when
 * {@code beta > 0} (a frozen copy, or the base with the adapters off); the prompt rows
 * ({@link Prompts}); the reward functions ({@code reward_funcs}: built-ins by name, reward model
 * folders as {@link RewardModelReward}); hand {@link GroupObjective} with {@link GrpoStep} to the shared
 * {@link TrainerLoop}, whose batches are handles on the micro-batches of generation rounds that
 * {@link GrpoRollouts} generates when the loop reaches them. Completions stop at the generation
 * config's EOS ids and the tokenizer's EOS, as the engine's text layer does. A sample of each
 * logging step's completions goes to {@code OUTPUT_DIR/completions.jsonl}.
 *
 * <p>What it is not: vLLM's server mode, or evaluation (eval_strategy "no").
 */
public final class GrpoTrainer {
    private GrpoTrainer() {}

    /** A ready loop (call {@link TrainerLoop#run}). */
    public static TrainerLoop<?> create(GRPOConfig c, Progress progress) throws IOException {
        Loaded l = load(c, "grpo", progress);
        return of(c, l.policy(), l.reference(), l.prompts(), l.rewards(), l.decode(), l.stop(), progress).loop();
    }

    /** What a group trainer loads from its config before it runs. */
    record Loaded(Policy policy, CausalLM reference, List<Prompts.Prompt> prompts, RewardFunctions rewards, Function<int[], String> decode,
                  int[] stop) {}

    /**
     * The config's policy, reference (only when {@code beta > 0}: a frozen copy, or under LoRA none,
     * the base with the adapters off serving), prompts and reward functions, checked before any compute.
     */
    static Loaded load(GroupConfig c, String method, Progress progress) throws IOException {
        c.validate();
        return load(c, method, progress, rewardFunctions(c));
    }

    /** {@link #load(GroupConfig, String, Progress)} with the completions scored by {@code rewards}. */
    static Loaded load(GroupConfig c, String method, Progress progress, RewardFunctions rewards) throws IOException {
        Path modelDir = Path.of(c.modelNameOrPath);
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        List<Prompts.Prompt> prompts = Prompts.load(c.datasetName, c.datasetTrainSplit, c.skipInvalidRows, tokenizer, modelDir, c.maxPromptLength);
        int perRound = c.generationBatch() / c.numGenerations;
        if (prompts.size() < perRound) {
            throw new IllegalArgumentException(c.datasetName + ": " + prompts.size() + " prompts, fewer than one generation round's "
                    + perRound + " (generation batch " + c.generationBatch() + " / num_generations " + c.numGenerations + ")");
        }
        Policy policy = Policy.load(c, c.modelNameOrPath);
        int longest = prompts.stream().mapToInt(p -> p.ids().length).max().orElseThrow();
        if (longest + c.maxCompletionLength > policy.model().contextLength()) {
            progress.message("note: the longest prompt (" + longest + " tokens) and max_completion_length " + c.maxCompletionLength
                    + " exceed the model's context of " + policy.model().contextLength() + "; such completions end at the context (finish \"length\")");
        }
        CausalLM reference = c.beta == 0 || policy.lora() != null ? null : HfModels.load(modelDir).model();
        Set<Integer> stop = new LinkedHashSet<>(GenerationConfig.read(modelDir).eosTokenIds());
        tokenizer.eosTokenId().ifPresent(stop::add);
        if (c.resumeFromCheckpoint == null) Files.deleteIfExists(Path.of(c.outputDir).resolve("completions.jsonl"));
        progress.message(method + ": " + prompts.size() + " prompts, " + prompts.size() / perRound + " rounds an epoch of " + perRound + " prompts × "
                + c.numGenerations + " completions; rewards " + rewards.names() + "; reference: "
                + (c.beta == 0 ? "none (beta 0)" : reference == null ? "the base with the adapters off" : "a frozen copy of " + c.modelNameOrPath));
        return new Loaded(policy, reference, prompts, rewards, ids -> tokenizer.decode(ids, true), stop.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * A GRPO run over what is already loaded (what {@link #create} loads from the config's folders;
     * what {@code bench grpo} builds from random weights), and the seconds its generation rounds
     * have taken so far (sampling, rewards, and the reference's and old policy's log-probs).
     */
    public record Run(TrainerLoop<?> loop, DoubleSupplier generationSeconds) {}

    /**
     * The GRPO run of {@code policy} on {@code prompts}.
     *
     * @param reference the frozen reference when beta &gt; 0 and there are no adapters, else null
     * @param decode    a completion's text from its ids
     * @param stop      the ids that end a completion
     */
    public static Run of(GRPOConfig c, Policy policy, CausalLM reference, List<Prompts.Prompt> prompts, RewardFunctions rewards,
                         Function<int[], String> decode, int[] stop, Progress progress) {
        c.validate();
        return run(c, (r, samples, old, ref) -> GrpoAdvantages.compute(r.totals(), c.numGenerations, c.scaling()), new GrpoStep(c), policy, reference,
                prompts, rewards, decode, stop, progress);
    }

    /** A group method's run: its rounds with {@code advantages}, its loss {@code step}, on the shared loop. */
    static Run run(GroupConfig c, GrpoRollouts.Advantages advantages, GroupObjective.Step step, Policy policy, CausalLM reference,
                   List<Prompts.Prompt> prompts, RewardFunctions rewards, Function<int[], String> decode, int[] stop, Progress progress) {
        GrpoRollouts rollouts = new GrpoRollouts(c, advantages, policy.model(), reference, policy.lora(), decode, prompts, rewards, stop,
                Path.of(c.outputDir).resolve("completions.jsonl"), progress);
        Objective<GrpoBatch> objective = new GroupObjective(policy.model(), rollouts, c.logprobTemperature(), step);
        if (policy.lora() != null) {
            objective = new LoraDropout<>(objective, policy.lora(), c.seed, b -> ((long) b.epoch() << 40) ^ ((long) b.round() << 16) ^ (b.iteration() << 8) ^ b.slice());
        }
        TrainerLoop.Data<GrpoBatch> data = epoch -> {
            List<GrpoBatch> out = new ArrayList<>();
            for (int r = 0; r < rollouts.roundsPerEpoch(); r++) {
                for (int i = 0; i < c.numIterations; i++) for (int k = 0; k < c.stepsPerGeneration(); k++) out.add(new GrpoBatch(epoch, r, i, k));
            }
            return out;
        };
        return new Run(new TrainerLoop<>(c, policy.trainable(), objective, data, null, policy.state(), progress), rollouts::generationSeconds);
    }

    /** The config's reward functions: built-ins by name, reward model folders, with reward_weights. */
    static RewardFunctions rewardFunctions(GroupConfig c) throws IOException {
        List<RewardFunction> functions = new ArrayList<>();
        for (String name : c.rewardFuncs) {
            Path folder = Path.of(name);
            functions.add(Files.isDirectory(folder) ? RewardModelReward.open(folder) : RewardFunctions.builtIn(name, c.maxCompletionLength));
        }
        return new RewardFunctions(functions, c.rewardWeights, c.strict);
    }
}
