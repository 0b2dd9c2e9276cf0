package dev.align4j.eval;

import dev.align4j.generate.Generator;
import dev.align4j.generate.Request;
import dev.align4j.generate.SamplingParams;
import dev.align4j.generate.text.TextCompletion;
import dev.align4j.generate.text.TextListener;
import dev.align4j.generate.text.TextModel;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * A model's completions of a task's prompts through the generation engine, all prompts submitted
 * to one {@link Generator} so they decode together. Greedy by default, so a run is deterministic;
 * with a temperature, prompt {@code i} samples from seed {@code seed + i}, so the same run gives
 * the same completions whatever the batch composition. A prompt that would leave no room for
 * {@code max_gen_toks} keeps its last tokens (lm-evaluation-harness truncates from the left too).
 */
final class Completions {
    private Completions() {}

    /** Generation settings of a task. */
    record Settings(int maxNewTokens, double temperature, List<String> until, long seed, int maxNumSeqs) {

        /** A task's {@code generation_kwargs} (checked here: a bad value is an error naming its key) and the run's seed and batch. */
        static Settings of(TaskConfig c, EvalContext.Options run) {
            return new Settings(c.maxGenToks(), c.temperature(), c.until(), run.seed(), run.maxNumSeqs());
        }
    }

    /** The completions of {@code prompts}, in order; {@code done} is called once per finished prompt. */
    static TextCompletion[] generate(TextModel model, List<int[]> prompts, Settings s, IntConsumer done) {
        int context = model.model().contextLength();
        int maxNew = Math.min(s.maxNewTokens(), context - 1);
        Generator generator = new Generator(model.model(), s.maxNumSeqs());
        TextCompletion[] out = new TextCompletion[prompts.size()];
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = TextModel.keepLast(prompts.get(i), context - maxNew);
            SamplingParams params = s.temperature() == 0 ? SamplingParams.greedy(maxNew, model.stopTokenIds())
                    : SamplingParams.sample(1, maxNew, s.temperature(), s.seed() + i, model.stopTokenIds());
            int at = i;
            generator.submit(new Request(ids, params), new TextListener(model.tokenizer(), ids, 1, s.until(), (TextListener.Sink) (index, c) -> {
                out[at] = c;
                done.accept(1);
            }));
        }
        while (generator.hasWork()) generator.step();
        return out;
    }
}
