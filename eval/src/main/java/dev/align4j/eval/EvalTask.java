package dev.align4j.eval;

/**
 * A task ready to run: its rows read, its templates rendered and its columns checked — every
 * check that needs no model output is done when it is prepared, so bad data stops the run before
 * the first task computes anything.
 */
interface EvalTask {

    TaskConfig config();

    /** Runs the task. */
    TaskResult run(EvalContext ctx);

    /** The task of a config, prepared. */
    static EvalTask prepare(TaskConfig c, EvalContext ctx) {
        return switch (c.outputType) {
            case "loglikelihood_rolling" -> new PerplexityTask(c, ctx);
            case "multiple_choice" -> new MultipleChoiceTask(c, ctx);
            case "generate_until" -> new GenerativeTask(c, ctx);
            case "reward_score", "win_rate", "judge_score" -> new OpenEndedTask(c, ctx);
            default -> throw new IllegalStateException("unvalidated output_type " + c.outputType);
        };
    }
}
