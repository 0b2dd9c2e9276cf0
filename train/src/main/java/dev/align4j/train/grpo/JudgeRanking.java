package dev.align4j.train.grpo;

import dev.align4j.train.judges.Comparison;
import dev.align4j.train.judges.JudgeUnavailableException;
import dev.align4j.train.judges.PairwiseJudge;
import dev.align4j.train.judges.Verdict;
import dev.align4j.train.rewards.RewardFunction;
import dev.align4j.train.rewards.RewardUnavailableException;

import java.util.ArrayList;
import java.util.List;

/**
 * Online DPO's ranking by a pairwise judge (TRL's {@code OnlineDPOTrainer} with a {@code judge}:
 * {@code judge.judge(prompts, [first, second])} says which of each prompt's two completions is
 * better), carried as a reward function so the rounds, metrics and completions log stay those of
 * the reward-function ranking: the batch is the round's completions pair by pair, and the judged
 * better one of each pair scores 1, the other 0. A tie scores both ½ and an unparsable judgement
 * leaves both unscored; either way the first completion stays chosen, as for a reward tie (TRL
 * would take the second on its −1). A judge that cannot be reached after its retries is reported
 * and counted as a reward function that cannot be reached is ({@code strict} stops the run).
 */
final class JudgeRanking implements RewardFunction {
    private final PairwiseJudge judge;

    JudgeRanking(PairwiseJudge judge) {
        this.judge = judge;
    }

    @Override
    public String name() {
        return "judge";
    }

    @Override
    public List<Double> score(List<Sample> batch) {
        if (batch.size() % 2 != 0) throw new IllegalStateException("online DPO ranks pairs; got " + batch.size() + " completions");
        List<Comparison> pairs = new ArrayList<>(batch.size() / 2);
        for (int p = 0; p < batch.size(); p += 2) {
            pairs.add(new Comparison(batch.get(p).prompt(), batch.get(p).completion(), batch.get(p + 1).completion()));
        }
        List<Verdict> verdicts;
        try {
            verdicts = judge.judge(pairs);
        } catch (JudgeUnavailableException e) {
            throw new RewardUnavailableException(e.getMessage(), e);
        }
        List<Double> out = new ArrayList<>(batch.size());
        for (Verdict v : verdicts) {
            Double first = v == Verdict.UNPARSED ? null : v.firstScore();
            out.add(first);
            out.add(first == null ? null : 1 - first);
        }
        return out;
    }
}
