package dev.align4j.train.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.data.Batch;
import dev.align4j.data.SftExample;
import dev.align4j.io.JsonLines;
import dev.align4j.io.hf.HfModels;
import dev.align4j.io.hf.LoadedModel;
import dev.align4j.io.hf.SaveOptions;
import dev.align4j.models.CausalLM;
import dev.align4j.models.llama.LlamaConfig;
import dev.align4j.models.llama.LlamaModel;
import dev.align4j.models.lora.LoraConfig;
import dev.align4j.models.lora.LoraModel;
import dev.align4j.tensor.Autograd;
import dev.align4j.tensor.Tensor;
import dev.align4j.train.FullModelState;
import dev.align4j.train.Objective;
import dev.align4j.train.Progress;
import dev.align4j.train.TrainerLoop;
import dev.align4j.train.TrainingArguments;
import dev.align4j.train.loss.DpoLoss;
import dev.align4j.train.loss.DpoLossType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DPO end to end on a tiny random Llama and the shared loop: at step 0 (policy = reference) the
 * loss is ln 2 a pair with margins and accuracies 0; after training, held-out pairs are ranked
 * right; the reference never changes; no loss type gives NaN.
 *
 * <p>The task: a prompt of three tokens from [8, 16); the chosen completion is token
 * {@code 2 + p₀ mod 3}, the rejected one {@code 2 + (p₀ + 1) mod 3}, each followed by the end
 * token 1. Held-out pairs have prompts the training never saw.
 */
class DpoObjectiveTest {
    static final Progress QUIET = new Progress.Lines(new java.io.PrintWriter(OutputStream.nullOutputStream()));
    static final int VOCAB = 16;

    static LoadedModel model(Path dir) throws IOException {
        CausalLM m = LlamaModel.random(LlamaConfig.tiny("llama", VOCAB, 16, 2, 2, 1), 7, 0.2);
        Path folder = dir.resolve("base");
        HfModels.save(m, folder, SaveOptions.defaults());
        return HfModels.load(folder);
    }

    /** {@code n} pairs from a seeded stream; sequences are chosen 0, rejected 0, chosen 1, … */
    static List<SftExample[]> pairs(long seed, int n) {
        Random r = new Random(seed);
        List<SftExample[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int p0 = 8 + r.nextInt(8), p1 = 8 + r.nextInt(8), p2 = 8 + r.nextInt(8);
            int good = 2 + p0 % 3, bad = 2 + (p0 + 1) % 3;
            boolean[] mask = {false, false, false, true, true};
            out.add(new SftExample[] {new SftExample(new int[] {p0, p1, p2, good, 1}, mask), new SftExample(new int[] {p0, p1, p2, bad, 1}, mask)});
        }
        return out;
    }

    static List<Batch> batches(List<SftExample[]> pairs, int perBatch, Random shuffle) {
        List<SftExample[]> order = new ArrayList<>(pairs);
        if (shuffle != null) Collections.shuffle(order, shuffle);
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += perBatch) {
            List<SftExample> seqs = new ArrayList<>();
            for (SftExample[] p : order.subList(i, Math.min(i + perBatch, order.size()))) seqs.addAll(Arrays.asList(p));
            out.add(Batch.of(seqs));
        }
        return out;
    }

    /** Metric sums over batches, without gradients. */
    static Map<String, Double> evaluate(Objective<Batch> o, List<Batch> batches) {
        Map<String, Double> sums = new HashMap<>();
        try (var g = Autograd.noGrad()) {
            for (Batch b : batches) {
                Objective.Loss l = o.loss(b);
                sums.merge("loss", (double) l.sum().item(), Double::sum);
                l.metricSums().forEach((k, v) -> sums.merge(k, v, Double::sum));
            }
        }
        return sums;
    }

    static TrainingArguments args(Path out) {
        TrainingArguments a = new TrainingArguments();
        a.outputDir = out.toString();
        a.learningRate = 5e-3;
        a.numTrainEpochs = 12;
        a.loggingSteps = 10;
        a.saveStrategy = "no";
        return a;
    }

    @Test
    void aTinyModelLearnsToRankHeldOutPairsAndTheReferenceNeverChanges(@TempDir Path dir) throws IOException {
        LoadedModel policy = model(dir);
        CausalLM reference = HfModels.load(dir.resolve("base")).model();
        Map<String, float[]> before = new HashMap<>();
        reference.parameters().forEach((k, v) -> before.put(k, v.toArray()));
        DpoLoss.Options options = DpoLoss.Options.DEFAULT.withBeta(0.5);
        DpoObjective objective = new DpoObjective(policy.model(), new DpoObjective.Reference.Frozen(reference), options);
        List<SftExample[]> train = pairs(1, 32), heldOut = pairs(2, 16);

        Map<String, Double> start = evaluate(objective, batches(heldOut, 4, null));
        assertEquals(16 * Math.log(2), start.get("loss"), 1e-4, "policy = reference: ln 2 a pair");
        assertEquals(0.0, start.get("rewards/margins"), 1e-6);
        assertEquals(0.0, start.get("rewards/accuracies"));

        TrainerLoop<Batch> loop = new TrainerLoop<>(args(dir.resolve("out")), policy.model().parameters(), objective,
                epoch -> batches(train, 4, new Random(100 + epoch)), null, new FullModelState(policy), QUIET);
        TrainerLoop.Result result = loop.run();
        assertEquals(96, result.globalStep(), "12 epochs of 8 batches");

        Map<String, Double> end = evaluate(objective, batches(heldOut, 4, null));
        assertTrue(end.get("rewards/accuracies") / 16 >= 0.9, "held-out accuracy " + end.get("rewards/accuracies") / 16);
        assertTrue(end.get("loss") < start.get("loss"), end + " vs " + start);
        double marginBefore = start.get("logps/chosen") - start.get("logps/rejected"), marginAfter = end.get("logps/chosen") - end.get("logps/rejected");
        assertTrue(marginAfter > marginBefore + 1, "the policy's log-prob margin grew: " + marginBefore + " → " + marginAfter);
        reference.parameters().forEach((k, v) -> assertArrayEquals(before.get(k), v.toArray(), "reference " + k + " changed"));
        List<JsonNode> lines = new ArrayList<>();
        JsonLines.forEach(dir.resolve("out/metrics.jsonl"), l -> lines.add(l.json()));
        for (String key : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
                "logps/rejected", "logits/chosen", "logits/rejected")) {
            assertTrue(lines.getLast().has(key), key + " in " + lines.getLast());
        }
    }

    /** Under LoRA the reference is the policy with its adapters off: B = 0 at the start gives ln 2, and the base stays put. */
    @Test
    void loraReferenceIsTheBaseWithAdaptersOff(@TempDir Path dir) throws IOException {
        LoadedModel policy = model(dir);
        LoraModel lora = LoraModel.attach(policy.model(), new LoraConfig(4, 8, 0, List.of("all-linear"), false, List.of()), 3);
        float[] base = policy.model().parameters().get("model.layers.0.self_attn.q_proj.weight").toArray();
        DpoObjective objective = new DpoObjective(policy.model(), new DpoObjective.Reference.AdaptersOff(lora),
                DpoLoss.Options.DEFAULT.withBeta(0.5));
        List<Batch> held = batches(pairs(2, 8), 4, null);
        assertEquals(8 * Math.log(2), evaluate(objective, held).get("loss"), 1e-4);
        Map<String, Tensor> trainable = lora.trainableParameters();
        TrainingArguments a = args(dir.resolve("out"));
        a.maxSteps = 20;
        List<SftExample[]> train = pairs(1, 32);
        new TrainerLoop<>(a, trainable, objective, epoch -> batches(train, 4, new Random(epoch)), null,
                new dev.align4j.train.AdapterModelState(lora, dir.resolve("base").toString(), dir.resolve("base")), QUIET).run();
        assertTrue(evaluate(objective, held).get("loss") < 8 * Math.log(2), "the adapters learned");
        assertArrayEquals(base, policy.model().parameters().get("model.layers.0.self_attn.q_proj.weight").toArray(), "the base is frozen");
        assertTrue(lora.enabled(), "the adapters are back on after each reference pass");
    }

    /** Every loss type trains a few steps on the tiny model without a NaN or infinite loss (the loop stops on one). */
    @ParameterizedTest
    @EnumSource(DpoLossType.class)
    void noLossTypeProducesNaN(DpoLossType type, @TempDir Path dir) throws IOException {
        LoadedModel policy = model(dir);
        CausalLM reference = HfModels.load(dir.resolve("base")).model();
        double eps = type == DpoLossType.EXO_PAIR || type == DpoLossType.ROBUST ? 1e-3 : 0;
        DpoLoss.Options o = new DpoLoss.Options(0.5, List.of(type), List.of(1.0), eps, false, OptionalDouble.empty(), false, 0.05);
        DpoObjective objective = new DpoObjective(policy.model(), new DpoObjective.Reference.Frozen(reference), o);
        TrainingArguments a = args(dir.resolve("out"));
        a.maxSteps = 6;
        List<SftExample[]> train = pairs(1, 16);
        new TrainerLoop<>(a, policy.model().parameters(), objective, epoch -> batches(train, 4, new Random(epoch)), null,
                new FullModelState(policy), QUIET).run();
        assertTrue(Double.isFinite(evaluate(objective, batches(pairs(2, 8), 4, null)).get("loss")));
    }

    /**
     * logits/chosen: the vocabulary mean of the logits at the positions that predict chosen tokens, averaged over
     * them, times the pairs; checked against the logits written out by hand for one pair (positions 2 and 3 of the
     * chosen sequence, 7 and 8 of the packed batch for the rejected one).
     */
    @Test
    void logitMetricsAreTheMeanLogitOverCompletionPositions() {
        CausalLM m = LlamaModel.random(LlamaConfig.tiny("llama", VOCAB, 16, 2, 2, 1), 7, 0.2);
        Batch b = batches(pairs(3, 1), 1, null).getFirst();
        float[] logits = m.logits(b.packed()).toArray(); // (T, V) row-major
        double chosen = (rowMean(logits, 2) + rowMean(logits, 3)) / 2, rejected = (rowMean(logits, 7) + rowMean(logits, 8)) / 2;
        Map<String, Double> metrics = DpoObjective.meanLogits(b, m.logits(b.packed()));
        assertEquals(chosen, metrics.get("logits/chosen"), 1e-6);
        assertEquals(rejected, metrics.get("logits/rejected"), 1e-6);
    }

    static double rowMean(float[] logits, int row) {
        double s = 0;
        for (int v = 0; v < VOCAB; v++) s += logits[row * VOCAB + v];
        return s / VOCAB;
    }

    @Test
    void aReferenceWithAnotherVocabularyIsRefusedBeforeTraining() {
        CausalLM policy = LlamaModel.random(LlamaConfig.tiny("llama", VOCAB, 16, 2, 2, 1), 7, 0.2);
        CausalLM other = LlamaModel.random(LlamaConfig.tiny("llama", VOCAB + 1, 16, 2, 2, 1), 7, 0.2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DpoObjective(policy, new DpoObjective.Reference.Frozen(other), DpoLoss.Options.DEFAULT));
        assertTrue(e.getMessage().contains("the reference model's vocabulary has 17 tokens, the policy's 16"), e.getMessage());
    }
}
