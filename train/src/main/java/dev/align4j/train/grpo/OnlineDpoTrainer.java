package dev.align4j.train.grpo;

import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.judges.ChatBackend;
import dev.align4j.train.judges.JudgeTemplate;
import dev.align4j.train.judges.Judges;
import dev.align4j.train.judges.LlmPairwiseJudge;
import dev.align4j.train.loss.GrpoAdvantages;
import dev.align4j.train.rewards.RewardFunctions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Online DPO, as TRL's {@code OnlineDPOTrainer} (TRL 1.x, with reward functions as the ranker): each
 * prompt's two completions are sampled from the current policy by the generation engine, scored by
 * the reward functions (less {@code missing_eos_penalty} for a completion without EOS), ranked, and
 * trained on with DPO's loss against the reference ({@link OnlineDpoStep}).
 *
 * <p>What differs from {@link GrpoTrainer} is only the ranking and the loss, and that a micro-batch
 * keeps each prompt's pair together; the rounds, reward functions, shared loop, checkpoints and
 * completions.jsonl are the same. With {@code judge} set, a pairwise judge ranks the pairs instead
 * of the reward functions ({@link JudgeRanking}).
 */
public final class OnlineDpoTrainer {
    private OnlineDpoTrainer() {}

    /** A ready loop (call {@link TrainerLoop#run}). */
    public static TrainerLoop<?> create(OnlineDPOConfig c, Progress progress) throws IOException {
        c.validate();
        GrpoTrainer.Loaded l = GrpoTrainer.load(c, "online-dpo", progress, c.judge == null ? GrpoTrainer.rewardFunctions(c) : judged(c));
        GrpoRollouts.Advantages ranking = new GrpoRollouts.Advantages() {
            @Override
            public GrpoAdvantages.Result compute(RewardFunctions.Result r, List<GrpoRollouts.Sample> samples, float[][] old, float[][] ref) {
                return rewards(r.totals(), samples, c.missingEosPenalty);
            }

            @Override
            public boolean wholeGroups() {
                return true;
            }
        };
        return GrpoTrainer.run(c, ranking, new OnlineDpoStep(c), l.policy(), l.reference(), l.prompts(), l.rewards(), l.decode(), l.stop(),
                progress).loop();
    }

    /** The pairs ranked by the config's judge. */
    private static RewardFunctions judged(OnlineDPOConfig c) throws IOException {
        String key = System.getenv("ALIGN4J_JUDGE_API_KEY") != null ? System.getenv("ALIGN4J_JUDGE_API_KEY") : System.getenv("OPENAI_API_KEY");
        JudgeTemplate template = c.judgeTemplate == null ? JudgeTemplate.defaultPairwise()
                : JudgeTemplate.load(Path.of(c.judgeTemplate), JudgeTemplate.Kind.PAIRWISE);
        ChatBackend backend = Judges.backend(c.judge, key, c.judgeModel, c.judgeMaxNewTokens);
        return new RewardFunctions(List.of(new JudgeRanking(new LlmPairwiseJudge(backend, template))), null, c.strict);
    }

    /**
     * Each completion's reward (carried where the other methods carry advantages), less the
     * missing-EOS penalty for a completion that ran to max_new_tokens; metrics {@code objective/scores}
     * (their mean) and {@code val/contain_eos_token} (the fraction that ended with EOS).
     */
    static GrpoAdvantages.Result rewards(double[] totals, List<GrpoRollouts.Sample> samples, Double missingEosPenalty) {
        double[] out = totals.clone();
        int ended = 0;
        double sum = 0;
        for (int i = 0; i < out.length; i++) {
            boolean eos = !samples.get(i).truncated();
            if (eos) ended++;
            else if (missingEosPenalty != null) out[i] -= missingEosPenalty;
            sum += out[i];
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("objective/scores", sum / out.length);
        metrics.put("val/contain_eos_token", (double) ended / out.length);
        return new GrpoAdvantages.Result(out, metrics);
    }
}
