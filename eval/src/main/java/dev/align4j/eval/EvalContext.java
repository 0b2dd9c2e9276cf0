package dev.align4j.eval;

import dev.align4j.generate.text.TextModel;
import dev.align4j.io.hf.LoadOptions;
import dev.align4j.train.judges.ChatBackend;
import dev.align4j.train.judges.JudgeTemplate;
import dev.align4j.train.judges.LlmGrader;
import dev.align4j.train.judges.LlmPairwiseJudge;
import dev.align4j.train.reward.RewardModelReward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * What the tasks of one {@code align4j eval} run share: the model under evaluation, and the things
 * only some tasks need — a baseline model (win rates), a reward model, an LLM judge — each loaded
 * the first time a task asks for it, and closed with the context.
 *
 * <p>The judge's backend is shared by the pairwise judge and the grader; the context owns it (the
 * judge and grader are never closed themselves, which would close it twice).
 */
public final class EvalContext implements AutoCloseable {

    /**
     * The run's settings.
     *
     * @param seed        few-shot draws, sampled generation, bootstrap resamples
     * @param batchTokens tokens per packed forward pass of log-likelihood scoring
     * @param maxNumSeqs  sequences the generation engine decodes together
     * @param judgeBatch  comparisons or answers sent to the judge at once; what was judged before a failure is kept
     */
    public record Options(long seed, int batchTokens, int maxNumSeqs, int judgeBatch) {
        public static final Options DEFAULT = new Options(1234, 2048, 32, 8);

        public Options {
            if (batchTokens < 1) throw new IllegalArgumentException("batch tokens must be >= 1, got " + batchTokens);
            if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be >= 1, got " + maxNumSeqs);
            if (judgeBatch < 1) throw new IllegalArgumentException("judge batch must be >= 1, got " + judgeBatch);
        }
    }

    /**
     * How to reach the judge.
     *
     * @param backend  opens the chat backend (a model folder or an OpenAI-compatible endpoint)
     * @param pairwise the pairwise prompt template
     * @param single   the grading prompt template
     */
    public record JudgeSpec(Opener<ChatBackend> backend, JudgeTemplate pairwise, JudgeTemplate single) {}

    /** Opens a resource when first needed. */
    @FunctionalInterface
    public interface Opener<T> {
        T open() throws IOException;
    }

    private final TextModel model;
    private final Options options;
    private final EvalProgress progress;
    private final Path baselineFolder, baselineAdapter, rewardModelFolder;
    private final JudgeSpec judgeSpec;
    private TextModel baseline;
    private RewardModelReward rewardModel;
    private ChatBackend judgeBackend;

    /**
     * @param baselineFolder    model B of win rates, or null
     * @param baselineAdapter   its LoRA adapter, or null
     * @param rewardModelFolder a reward model folder, or null
     * @param judge             the LLM judge, or null
     */
    public EvalContext(TextModel model, Options options, EvalProgress progress, Path baselineFolder, Path baselineAdapter,
                       Path rewardModelFolder, JudgeSpec judge) {
        this.model = model;
        this.options = options;
        this.progress = progress;
        this.baselineFolder = baselineFolder;
        this.baselineAdapter = baselineAdapter;
        this.rewardModelFolder = rewardModelFolder;
        this.judgeSpec = judge;
    }

    public TextModel model() {
        return model;
    }

    public Options options() {
        return options;
    }

    EvalProgress progress() {
        return progress;
    }

    boolean hasBaseline() {
        return baselineFolder != null;
    }

    boolean hasRewardModel() {
        return rewardModelFolder != null;
    }

    boolean hasJudge() {
        return judgeSpec != null;
    }

    /** Model B of win rates. */
    TextModel baseline() {
        if (baseline == null) {
            if (baselineFolder == null) throw new IllegalArgumentException("a win_rate task needs a baseline model (--baseline DIR)");
            baseline = open(() -> TextModel.load(baselineFolder, LoadOptions.defaults(), baselineAdapter));
        }
        return baseline;
    }

    RewardModelReward rewardModel() {
        if (rewardModel == null) {
            if (rewardModelFolder == null) throw new IllegalArgumentException("this task needs a reward model (--reward-model DIR)");
            rewardModel = open(() -> RewardModelReward.open(rewardModelFolder));
        }
        return rewardModel;
    }

    LlmPairwiseJudge pairwiseJudge() {
        return new LlmPairwiseJudge(judgeBackend(), judgeSpec.pairwise());
    }

    LlmGrader grader() {
        return new LlmGrader(judgeBackend(), judgeSpec.single());
    }

    private ChatBackend judgeBackend() {
        if (judgeBackend == null) {
            if (judgeSpec == null) throw new IllegalArgumentException("this task needs a judge (--judge MODEL_DIR or --judge URL)");
            judgeBackend = open(judgeSpec.backend());
        }
        return judgeBackend;
    }

    private static <T> T open(Opener<T> opener) {
        try {
            return opener.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (baseline != null) baseline.close();
        if (judgeBackend != null) judgeBackend.close();
    }
}
