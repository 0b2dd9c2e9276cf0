package dev.align4j.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One evaluation task, in lm-evaluation-harness's YAML names where it has them ({@code task},
 * {@code output_type}, {@code dataset_path}, {@code doc_to_text}, {@code doc_to_target},
 * {@code num_fewshot}, {@code target_delimiter}, {@code fewshot_delimiter}, {@code generation_kwargs},
 * {@code apply_chat_template}, {@code system_instruction}) and align4j's own for what it adds
 * (answer extraction, numeric matching, reward-model and judge tasks).
 *
 * <p>The output types:
 * <ul>
 *   <li>{@code loglikelihood_rolling}: perplexity of a text column;</li>
 *   <li>{@code multiple_choice}: columns {@code question}, {@code choices}, {@code answer} (an index or a letter), scored by log-likelihood;</li>
 *   <li>{@code generate_until}: a completion per question, its answer extracted and compared with {@code doc_to_target};</li>
 *   <li>{@code reward_score}: the mean reward-model score of the model's completions of a {@code prompt} column;</li>
 *   <li>{@code win_rate}: the model against a baseline model on the same prompts, by the reward model or the LLM judge;</li>
 *   <li>{@code judge_score}: single-answer grading on a 1–10 rubric by the LLM judge (MT-Bench).</li>
 * </ul>
 * Templates are Jinja, rendered with the row's columns; an unknown column in a template is an error.
 */
public final class TaskConfig {
    public static final List<String> OUTPUT_TYPES = List.of("loglikelihood_rolling", "multiple_choice", "generate_until", "reward_score",
            "win_rate", "judge_score");

    /** The task's name in the results. */
    public String task;
    public String outputType;
    /** A JSON Lines file of the task's rows. */
    public String datasetPath;
    /** Evaluate only the first N rows (for a quick look; the results say so). */
    public Integer limit;
    /** The prompt of a row; default per output type. */
    public String docToText;
    /** generate_until: the gold answer and the few-shot examples' answers (default {@code {{answer}}}). */
    public String docToTarget = "{{answer}}";
    /** Few-shot examples before each question, drawn (seeded) from {@code fewshot_path} or the task's other rows. */
    public int numFewshot = 0;
    /** A JSON Lines file of few-shot examples (default: the task's own rows, never the row being asked). */
    public String fewshotPath;
    /** Between the question and its answer. */
    public String targetDelimiter = " ";
    /** Between two few-shot examples, and after the last one. */
    public String fewshotDelimiter = "\n\n";
    /** Text before the few-shot examples (lm-evaluation-harness's description). */
    public String description = "";
    /** Render the prompt through the model's chat template: few-shot examples as earlier turns. */
    public boolean applyChatTemplate = false;
    /** With the chat template, the system message. */
    public String systemInstruction;
    /** Generation settings: {@code until} (stop strings; default the few-shot delimiter for generate_until), {@code max_gen_toks}, {@code temperature}. */
    public Map<String, Object> generationKwargs = Map.of();
    /** How the answer is taken from a completion: none, regex, last_number or boxed. */
    public String filter = "none";
    /** With filter regex: the pattern; its first group (or the whole match) is the answer. */
    public String regexPattern;
    /** With filter regex: which match, 0 the first, -1 the last (lm-evaluation-harness's RegexFilter). */
    public int groupSelect = 0;
    /** exact (string equality after normalisation) or numeric (equal as numbers or simple expressions). */
    public String match = "exact";
    public boolean ignoreCase = false;
    public boolean ignorePunctuation = false;
    /** win_rate: reward_model or llm (default: llm when a judge is given, else the reward model). */
    public String judge;
    /** The column holding the prompt (reward_score, win_rate, judge_score). */
    public String promptColumn = "prompt";
    /** loglikelihood_rolling: the column holding the text. */
    public String textColumn = "text";

    /** The checks that need no data; the file the task came from names it. */
    void validate(String where) {
        List<String> problems = new ArrayList<>();
        if (task == null || task.isBlank()) problems.add("task (the name) is missing");
        if (outputType == null) problems.add("output_type is missing; one of " + OUTPUT_TYPES);
        else if (!OUTPUT_TYPES.contains(outputType)) problems.add("output_type \"" + outputType + "\" is not one of " + OUTPUT_TYPES);
        if (datasetPath == null) problems.add("dataset_path is missing");
        if (limit != null && limit < 1) problems.add("limit must be >= 1, got " + limit);
        if (numFewshot < 0) problems.add("num_fewshot must be >= 0, got " + numFewshot);
        if (!List.of("none", "regex", "last_number", "boxed").contains(filter)) {
            problems.add("filter \"" + filter + "\" is not one of [none, regex, last_number, boxed]");
        }
        if (filter.equals("regex") && regexPattern == null) problems.add("filter regex needs regex_pattern");
        if (!List.of("exact", "numeric").contains(match)) problems.add("match \"" + match + "\" is not one of [exact, numeric]");
        if (judge != null && !List.of("reward_model", "llm").contains(judge)) problems.add("judge \"" + judge + "\" is not one of [reward_model, llm]");
        for (String key : generationKwargs.keySet()) {
            if (!List.of("until", "max_gen_toks", "temperature", "do_sample").contains(key)) {
                problems.add("generation_kwargs." + key + " is not one of [until, max_gen_toks, temperature, do_sample]");
            }
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(where + ": " + String.join("; ", problems));
    }

    /** The prompt template, defaulted per output type. */
    String promptTemplate() {
        if (docToText != null) return docToText;
        return switch (outputType) {
            case "loglikelihood_rolling" -> "{{" + textColumn + "}}";
            case "multiple_choice", "generate_until" -> "Question: {{question}}\nAnswer:";
            default -> "{{" + promptColumn + "}}";
        };
    }

    /** generation_kwargs.max_gen_toks, default 256. */
    int maxGenToks() {
        Object v = generationKwargs.get("max_gen_toks");
        if (v == null) return 256;
        if (!(v instanceof Number n) || n.intValue() < 1) throw new IllegalArgumentException("generation_kwargs.max_gen_toks must be a positive integer, got " + v);
        return n.intValue();
    }

    /** generation_kwargs.temperature, default 0 (greedy, as lm-evaluation-harness's do_sample false). */
    double temperature() {
        Object v = generationKwargs.get("temperature");
        if (v == null) return 0;
        if (!(v instanceof Number n) || n.doubleValue() < 0) throw new IllegalArgumentException("generation_kwargs.temperature must be >= 0, got " + v);
        return Boolean.FALSE.equals(generationKwargs.get("do_sample")) ? 0 : n.doubleValue();
    }

    /** generation_kwargs.until: for generate_until the few-shot delimiter by default; none for open-ended prompts. */
    List<String> until() {
        Object v = generationKwargs.get("until");
        if (v == null) return outputType.equals("generate_until") && !applyChatTemplate ? List.of(fewshotDelimiter) : List.of();
        if (v instanceof String s) return List.of(s);
        if (v instanceof List<?> list && list.stream().allMatch(x -> x instanceof String)) return list.stream().map(String.class::cast).toList();
        throw new IllegalArgumentException("generation_kwargs.until must be a string or a list of strings, got " + v);
    }
}
